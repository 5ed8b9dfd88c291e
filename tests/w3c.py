"""The W3C Feed Validation Service, run locally on built feeds (tests skip without it).

`SYNDICATE_FEEDVALIDATOR` names a checkout of github.com/w3c/feedvalidator; its own
interpreter (`.venv/bin/python` inside it, with lxml, html5lib and rdflib) runs the validator,
in one process for all the feeds, each validated against the URL it is published at (so its
self link is checked too), filtered as the online service filters (level "AA").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

_RUNNER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import feedvalidator
from feedvalidator import compatibility
from feedvalidator.formatter.text_plain import Formatter
found = {}
for path, url in json.load(sys.stdin):
    with open(path, "rb") as f:
        data = f.read()
    try:
        events = feedvalidator.validateString(data, firstOccurrenceOnly=1, base=url)["loggedEvents"]
    except feedvalidator.logging.ValidationFailure as failure:
        events = [failure.event]
    except Exception as exc:
        found[path] = [f"the validator failed: {type(exc).__name__}: {exc}"]
        continue
    found[path] = list(Formatter(compatibility.AA(events)))
print("\n" + json.dumps(found))
"""


def checkout() -> Path:
    """The validator's checkout, or skip the test."""
    where = os.environ.get("SYNDICATE_FEEDVALIDATOR")
    if not where or not (Path(where) / "src" / "feedvalidator").is_dir():
        pytest.skip("the W3C feed validator is not checked out (set SYNDICATE_FEEDVALIDATOR)")
    return Path(where)


def validate(feeds: Iterable[tuple[Path, str]]) -> dict[str, list[str]]:
    """The validator's errors and warnings for each Atom or RSS file (path, published URL)."""
    root = checkout()
    python = root / ".venv" / "bin" / "python"
    request = json.dumps([(str(path), url) for path, url in feeds])
    done = subprocess.run(
        [str(python) if python.exists() else sys.executable, "-c", _RUNNER, str(root / "src")],
        input=request,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    found: dict[str, list[str]] = json.loads(done.stdout.rsplit("\n", 2)[-2])
    return {path: messages for path, messages in found.items() if messages}
