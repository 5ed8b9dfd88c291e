"""`/healthz` judges the age of the last successful scan; `/metrics` is Prometheus text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from syndicate.web.app import HealthFacts
from tests.conftest import NOW
from tests.web.conftest import Client, Site

RESCAN = 600.0
FAMILIES = {
    f"syndicate_{name}"
    for name in (
        "scans",
        "build_seconds",
        "posts",
        "feeds_written",
        "events",
        "hub_pings",
        "source_polls",
        "errors",
        "last_successful_scan_timestamp_seconds",
    )
}


def health(client: Client) -> tuple[int, dict[str, object]]:
    response = client.get("/healthz")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("age", "status", "verdict"),
    [
        (0, 200, "ok"),
        (RESCAN, 200, "ok"),
        (2 * RESCAN + 60, 200, "ok"),  # one rescan missed: tolerated
        (2 * RESCAN + 61, 503, "stale"),  # two missed: not
    ],
)
def test_healthy_while_scans_succeed(
    client: Client, site: Site, age: float, status: int, verdict: str
) -> None:
    site.facts = HealthFacts(last_success=NOW - timedelta(seconds=age), rescan=RESCAN)
    code, body = health(client)
    assert (code, body["status"]) == (status, verdict)
    assert body["last_successful_scan_age_seconds"] == age
    assert body["stale_after_seconds"] == 2 * RESCAN + 60
    assert body["rescan_seconds"] == RESCAN


def test_reports_the_last_scan_as_a_utc_time(client: Client, site: Site) -> None:
    site.facts = HealthFacts(last_success=NOW - timedelta(seconds=5), rescan=RESCAN)
    assert health(client)[1]["last_successful_scan"] == "2024-06-01T11:59:55Z"


def test_before_the_first_scan_a_grace_period_then_503(client: Client, site: Site) -> None:
    site.facts = HealthFacts(last_success=None, rescan=RESCAN)
    assert health(client)[:1] == (200,)
    assert health(client)[1]["status"] == "starting"
    site.clock.advance(timedelta(seconds=301))  # the app was made at NOW
    code, body = health(client)
    assert (code, body["status"]) == (503, "no successful scan")
    assert body["last_successful_scan"] is None


def test_the_grace_period_runs_from_the_daemons_start_when_given(
    client: Client, site: Site
) -> None:
    started = NOW - timedelta(seconds=1000)
    site.facts = HealthFacts(last_success=None, rescan=RESCAN, started=started, grace=2000)
    assert health(client)[0] == 200
    site.facts = HealthFacts(last_success=None, rescan=RESCAN, started=started, grace=900)
    assert health(client)[0] == 503


def test_without_rescans_any_age_is_fine_after_one_success(client: Client, site: Site) -> None:
    site.facts = HealthFacts(last_success=NOW - timedelta(days=30), rescan=0)
    code, body = health(client)
    assert (code, body["status"], body["stale_after_seconds"]) == (200, "ok", None)


def test_serving_only_is_healthy(client: Client) -> None:
    code, body = health(client)  # the fixture's default: SERVING_ONLY
    assert (code, body["status"]) == (200, "serving")


def test_metrics_are_the_registrys_text_exposition(client: Client, site: Site) -> None:
    site.metrics.scans.labels(trigger="watch").inc(3)
    site.metrics.posts.set(2)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    assert samples[("syndicate_scans_total", (("trigger", "watch"),))] == 3
    assert samples[("syndicate_posts", ())] == 2
    assert "syndicate_last_successful_scan_timestamp_seconds" in response.text


def test_metrics_in_openmetrics_when_asked(client: Client) -> None:
    response = client.get("/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def test_metrics_lists_every_syndicate_family(client: Client, site: Site) -> None:
    """A dashboard built on these names breaks silently if one goes missing."""
    site.metrics.build_seconds.observe(0.2)
    site.metrics.last_scan.set(NOW.timestamp())
    families = {
        family.name: family
        for family in text_string_to_metric_families(client.get("/metrics").text)
    }
    assert set(families) >= FAMILIES
    # The daemon's own registry: no process or platform collectors mixed in.
    assert all(name.startswith("syndicate_") for name in families)
    last = families["syndicate_last_successful_scan_timestamp_seconds"]
    assert [sample.value for sample in last.samples] == [NOW.timestamp()]


def test_metrics_count_answers_by_status(client: Client) -> None:
    """How many polls cost only a 304, and how many asked for something that is not there."""
    etag = client.get("/feed.xml").headers["etag"]
    for _ in range(3):
        client.get("/feed.xml", {"If-None-Match": etag})
    client.get("/nothing.xml")
    text = client.get("/metrics").text
    counts = {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "syndicate_http_responses_total"
    }
    assert (counts["200"], counts["304"], counts["404"]) == (1, 3, 1)
