"""The API against its own description: Schemathesis generates requests from the live daemon's
/api/openapi.json and checks every answer against it.

It runs as the `schemathesis` command in a subprocess rather than through its pytest plugin:
the command runs every phase in one go (examples, coverage: boundary values, wrong types and
methods the document does not list; fuzzing; stateful: chains of calls along the links it
infers), with every check, and writes reports the test reads to prove that each check really
ran on positive and negative data. The plugin would need the schema before collection (the
daemon starts in a fixture) and a separate state machine for the stateful phase. A fixed seed,
one worker and no example database make a run reproducible; Schemathesis sets no deadline.
The actions mutate the shared daemon as they go: every answer must conform whatever the state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import openapi_spec_validator
import schemathesis

from syndicate.admin.api import api_document, operations
from tests.admin.conftest import Site, as_json

SEED = int(os.environ.get("SYNDICATE_SCHEMATHESIS_SEED", "20240601"))  # change it to explore
MAX_EXAMPLES = 100  # per operation and phase: about 2,500 requests, 15 s
TOKEN_VARIABLE = "SYNDICATE_TEST_API_TOKEN"  # the config names it: the token stays off argv
EVERY_CHECK = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
}


def _document(site: Site) -> dict[str, Any]:
    with site.api() as api:
        return dict(as_json(api.get("/api/openapi.json")))


def test_the_document_is_valid_openapi_3_1(live_site: Site) -> None:
    document = _document(live_site)
    assert document == json.loads(api_document())
    assert document["openapi"].startswith("3.1.")
    loaded = schemathesis.openapi.from_dict(document)
    loaded.validate()  # against the OpenAPI 3.1 meta-schema Schemathesis ships
    assert len(loaded) == len(operations())
    for path, item in document["paths"].items():
        for method in item:  # each one builds: parameters and responses resolve
            assert loaded[path][method].path == path
    openapi_spec_validator.validate(document)  # an independent reading of the specification


def _config(site: Site, folder: Path) -> Path:
    """Schemathesis's settings, with the ids that exist now offered half the time, so actions
    reach real deliveries, posts and accounts and not only 404s."""
    deliveries = sorted({d.id for d in site.deliveries()})
    posts = sorted({d.post_pk for d in site.deliveries()})
    config = folder / "schemathesis.toml"
    config.write_text(f"""
seed = {SEED}
workers = 1
request-timeout = 30

[headers]
Authorization = "Bearer ${{{TOKEN_VARIABLE}}}"

[generation]
mode = "all"
max-examples = {MAX_EXAMPLES}
database = "none"

[dictionaries.deliveries]
values = {deliveries}
[dictionaries.posts]
values = {posts}
[dictionaries.accounts]
values = ["blog-mastodon", "team-hook"]

[parameters]
"path.delivery_id" = {{ dictionary = "deliveries", probability = 0.5 }}
"path.post_id" = {{ dictionary = "posts", probability = 0.5 }}
"path.name" = {{ dictionary = "accounts", probability = 0.5 }}
""")
    return config


def _recorded(ndjson: Path) -> tuple[Counter[str], Counter[str], Counter[str], Counter[int]]:
    """From the event stream: the checks run, generation modes, phases, and statuses seen."""
    checks, modes, phases, statuses = Counter[str](), Counter[str](), Counter[str](), Counter[int]()
    with ndjson.open(encoding="utf-8") as events:
        for line in events:
            event = json.loads(line)
            recorder = event.get("ScenarioFinished", {}).get("recorder", {})
            for case in recorder.get("cases", {}).values():
                if meta := case["value"].get("meta"):
                    modes[meta["generation"]["mode"]] += 1
                    phases[meta["phase"]["name"]] += 1
            for results in recorder.get("checks", {}).values():
                checks.update(result["name"] for result in results)
            for interaction in recorder.get("interactions", {}).values():
                if interaction.get("response"):
                    statuses[interaction["response"]["status_code"]] += 1
    return checks, modes, phases, statuses


def test_schemathesis_finds_nothing(live_site: Site, tmp_path: Path) -> None:
    config = _config(live_site, tmp_path)
    report, events = tmp_path / "report.json", tmp_path / "events.ndjson"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{live_site.base}/api/openapi.json",
        "--checks",
        "all",
        "--no-color",
        "--report",
        "json,ndjson",
        "--report-json-path",
        str(report),
        "--report-ndjson-path",
        str(events),
    ]
    environ = {**os.environ, TOKEN_VARIABLE: live_site.token}
    done = subprocess.run(
        command,
        cwd=tmp_path,  # whatever else it writes stays out of the checkout
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout[-20_000:] + done.stderr[-5_000:]
    assert done.returncode == 0, output
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["failures"] == [] and summary["errors"] == [], output
    assert summary["complete"] and summary["stop_reason"] == "completed", output
    total = len(operations())
    assert summary["operations"] == {
        "total": total,
        "selected": total,
        "tested": total,
        "errored": 0,
        "skipped": 0,
        "skip_reasons": [],
    }
    for phase in ("coverage", "fuzzing", "stateful"):
        assert summary["phases"][phase]["status"] == "success", (phase, output)

    checks, modes, phases, statuses = _recorded(events)
    assert set(checks) >= EVERY_CHECK, EVERY_CHECK - set(checks)
    assert {"positive", "negative"} <= set(modes), modes
    assert {"coverage", "fuzzing", "stateful"} <= set(phases), phases
    # the generated requests reached every kind of answer, not just one refusal
    assert {200, 401, 404, 405, 409, 422} <= set(statuses), statuses
    with httpx.Client(base_url=live_site.base) as public:
        assert public.get("/healthz").status_code == 200  # and the daemon is still well
