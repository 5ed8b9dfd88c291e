"""The cluster's poll inbox: what a node polled waits, with the source's newest state and due
time, until the owner's build stores it and deletes it in the same transaction; a build by a
node that lost the blog deletes nothing (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from syndicate.errors import StaleOwnerError
from syndicate.store.inbox import PollInbox
from syndicate.store.ledger import Ledger
from syndicate.store.ownership import Ownership

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    opened = Ledger.open(ledger_url)
    yield opened
    opened.close()


def test_sources_are_due_by_host_and_polls_wait_in_order(ledger: Ledger) -> None:
    inbox = PollInbox(ledger.database)
    hosts = {"a1": "a.test", "a2": "a.test", "b1": "b.test"}
    inbox.plan(hosts, NOW)  # never polled: due now
    assert inbox.due_hosts(NOW, hosts) == ["a.test", "b.test"]
    assert inbox.due_hosts(NOW, ["b1"]) == ["b.test"]  # only the sources asked about
    inbox.put("a1", "a.test", '{"v": 1}', "batch 1", NOW + MINUTE)
    inbox.put("a1", "a.test", '{"v": 2}', "batch 2", NOW + 2 * MINUTE)
    assert inbox.due_on("a.test", NOW) == ["a2"]
    assert inbox.due_on("a.test", NOW + 2 * MINUTE) == ["a2", "a1"]  # most overdue first
    assert inbox.latest_state("a1") == '{"v": 2}' and inbox.latest_state("a2") is None
    waiting = inbox.waiting()
    assert [(w.source, w.batch) for w in waiting] == [("a1", "batch 1"), ("a1", "batch 2")]
    assert inbox.waiting(since=waiting[1].id) == waiting[1:]
    assert inbox.waiting_ids() == [w.id for w in waiting]
    inbox.plan({**hosts, "a2": "c.test"}, NOW)  # a source moved host
    assert inbox.due_hosts(NOW, hosts) == ["b.test", "c.test"]


def test_a_build_consumes_what_it_stores_and_a_stale_owner_nothing(
    ledger: Ledger, ledger_url: str
) -> None:
    inbox = PollInbox(ledger.database)
    inbox.put("a1", "a.test", "{}", "one", NOW)
    inbox.put("b1", "b.test", "{}", "two", NOW)
    first, second = (w.id for w in inbox.waiting())
    ownership = Ownership(ledger.database, "rdo")
    old = ownership.take("node-a", NOW, MINUTE)
    assert old is not None
    ledger.fence = old
    ledger.save(sources={"a1": "{}"}, consumed=[first])
    assert [w.id for w in inbox.waiting()] == [second]
    ownership.take("node-b", NOW + 2 * MINUTE, MINUTE)
    with pytest.raises(StaleOwnerError):
        ledger.save(sources={"b1": "{}"}, consumed=[second])
    assert [w.id for w in inbox.waiting()] == [second]
    assert "b1" not in ledger.source_states()
