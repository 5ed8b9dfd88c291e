"""Speed work must not change a byte: the feeds of a generated 400-post blog (every format,
site, tag and author feeds) and of the bundled example are compared with the digests of what
an earlier syndicate built (output_digests.json), in one process and with worker pools.

After a change meant to alter the output, regenerate the digests and say why in the commit:

    python -m tests.pipeline.test_output_unchanged
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.clock import FixedClock
from syndicate.config import parse_settings
from syndicate.pipeline import workers
from syndicate.pipeline.opening import open_builder

REPO = Path(__file__).resolve().parents[2]
DIGESTS = Path(__file__).with_name("output_digests.json")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = """
[site]
title = "Unchanged"
url = "https://unchanged.example.org/"
[content]
root = {root}
layout = "middleman"
[feeds]
output = "public"
formats = ["atom", "rss", "json"]
limit = 15
[feeds.authors]
enabled = true
[store]
url = "sqlite:///ledger.db"
cache = "cache.sqlite"
"""


def _generated_blog(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(folder, 400, 7)
    return folder


def built(root: Path, home: Path) -> dict[str, str]:
    """Every output file's SHA-256 after a cold build of the blog at `root`."""
    home.mkdir(parents=True)
    config = CONFIG.format(root=json.dumps(str(root)))
    settings = parse_settings(config, file="unchanged.toml", base_dir=home)
    with open_builder(settings, clock=FixedClock(NOW)) as builder:
        builder.build()
    output = home / "public"
    return {
        str(path.relative_to(output)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(output.rglob("*"))
        if path.is_file()
    }


def all_outputs(scratch: Path) -> dict[str, dict[str, str]]:
    generated = _generated_blog(scratch / "generated-blog")
    example = scratch / "example-blog"
    shutil.copytree(REPO / "examples" / "blog", example)
    return {
        "generated-400": built(generated, scratch / "generated"),
        "example": built(example, scratch / "example"),
    }


@pytest.fixture
def expected() -> dict[str, dict[str, str]]:
    return dict(json.loads(DIGESTS.read_text("utf-8")))


def test_the_feeds_are_byte_for_byte_what_they_were(
    tmp_path: Path, expected: dict[str, dict[str, str]]
) -> None:
    assert all_outputs(tmp_path) == expected


def test_worker_pools_make_the_same_bytes(
    tmp_path: Path, expected: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "POOL_THRESHOLD", 1)
    generated = _generated_blog(tmp_path / "generated-blog")
    assert built(generated, tmp_path / "generated") == expected["generated-400"]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        digests = all_outputs(Path(scratch))
    DIGESTS.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"{sum(map(len, digests.values()))} digests written to {DIGESTS}", file=sys.stderr)
