from __future__ import annotations

from tests.admin.conftest import Site, as_json


def test_live_site_has_a_failed_and_sent_delivery(live_site: Site) -> None:
    with live_site.api() as api:
        body = as_json(api.get("/api/deliveries"))
    statuses = sorted(d["status"] for d in body["items"])
    assert "failed" in statuses and "sent" in statuses
