"""`syndicate status` counts in the database (store/tallies.py): its report must say what
reading every row says. Run on SQLite, and on PostgreSQL with SYNDICATE_TEST_STORE=postgresql.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import timedelta

from syndicate.clock import FixedClock
from syndicate.status import collect
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Intake, NewDelivery, Outbox
from tests.conftest import NOW, Blog, build

ACCOUNTS = """
[feeds]
hubs = ["https://hub.example.net/"]
[[accounts]]
name = "toots"
network = "mastodon"
server = "https://mastodon.example.net"
credentials = { token = "env:SYNDICATE_TEST_SURELY_UNSET" }
[[accounts]]
name = "hook"
network = "webhook"
credentials = { url = "env:SYNDICATE_TEST_SURELY_UNSET" }
"""


def test_the_status_report_counts_what_the_rows_say(blog: Blog, clock: FixedClock) -> None:
    for n in range(1, 8):
        meta = {"title": f"Post {n}", "date": f"2024-05-0{n}", "published": n != 3}
        blog.post(f"2024-05-0{n}-post-{n}.html.md", meta)
    settings = blog.settings(ACCOUNTS)
    build(settings, clock)
    (blog.posts / "2024-05-07-post-7.html.md").unlink()
    build(settings, FixedClock(NOW + timedelta(minutes=1)))

    ledger = Ledger.open(settings.store_url)
    try:
        outbox = Outbox(ledger.engine)
        new = [NewDelivery(pk, f"tag:{pk}", a, NOW) for pk in (1, 2, 4) for a in ("toots", "hook")]
        outbox.take(Intake(1, new=new), NOW)
        outbox.pause("toots", "401 Unauthorized: the token was revoked", NOW)
        rows = outbox.select()
        records, events = ledger.records(), ledger.events()
        public, feeds = ledger.public_sources(""), ledger.feeds()
        paused = outbox.accounts()
        state, sources = ledger.state(), ledger.source_states()
    finally:
        ledger.close()

    report = collect(settings)
    present = [r for r in records.values() if r.source is not None]
    assert report["posts"] == {
        "known": len(records),
        "present": len(present),
        "public": len(public),
        "remote": 0,
    }
    assert report["posts"]["known"] == 7 and report["posts"]["present"] == 6
    assert report["feeds"] == {
        "files": len(feeds),
        "bytes": sum(f.size for f in feeds.values()),
        "not_yet_pinged": sum(1 for f in feeds.values() if f.pinged != f.digest),
    }
    assert report["events"] == {
        "total": len(events),
        "by_kind": dict(Counter(e.kind for e in events)),
        "last": events[-1].at.isoformat(),
    }
    assert report["deliveries"] == dict(Counter(str(d.status) for d in rows))
    assert report["accounts"]["toots"]["paused"] is True
    assert report["accounts"]["toots"]["reason"] == paused["toots"].reason
    assert report["accounts"]["hook"] == {"network": "webhook", "paused": False, "reason": None}
    assert report["last_build"] == (
        json.loads(state["last_build"]) if "last_build" in state else None
    )
    assert report["last_errors"] == json.loads(state.get("last_errors", "[]"))
    assert report["sources"] == {name: json.loads(text) for name, text in sources.items()}


def test_an_empty_ledger_counts_nothing(blog: Blog) -> None:
    report = collect(blog.settings())
    assert report["posts"] == {"known": 0, "present": 0, "public": 0, "remote": 0}
    assert report["feeds"] == {"files": 0, "bytes": 0, "not_yet_pinged": 0}
    assert report["events"] == {"total": 0, "by_kind": {}, "last": None}
    assert report["deliveries"] == {}


def test_status_imports_neither_sqlalchemy_nor_the_ledger(blog: Blog) -> None:
    """The outbox's SQLAlchemy costs 0.2 s, the ledger and the post model beneath it some
    25 ms: status counts and reads its state tables through the driver alone."""
    import subprocess

    heavy = ("sqlalchemy", "syndicate.store.ledger", "syndicate.model")
    code = f"import sys, syndicate.status; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
