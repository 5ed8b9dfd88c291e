"""The blog's owner lease and its epoch: one owner at a time, a takeover only after the lease
ran out, and no ledger write from a node that lost it (on SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from syndicate.errors import StaleOwnerError
from syndicate.store.database import Database
from syndicate.store.ledger import FeedDocument, Ledger
from syndicate.store.ownership import Lease, Ownership

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    opened = Ledger.open(ledger_url)
    yield opened
    opened.close()


def owners(ledger_url: str) -> Ownership:
    return Ownership(Database(ledger_url), "rdo")


def test_one_owner_at_a_time_and_a_takeover_only_after_the_lease(
    ledger: Ledger, ledger_url: str
) -> None:
    ownership = owners(ledger_url)
    first = ownership.take("node-a", NOW, TTL)
    assert first == Lease("rdo", "node-a", 1, NOW + TTL)
    assert ownership.take("node-b", NOW + TTL - timedelta(seconds=1), TTL) is None
    renewed = ownership.take("node-a", NOW + timedelta(seconds=10), TTL)
    assert renewed is not None and renewed.epoch == 1  # a renewal keeps the epoch
    later = NOW + timedelta(seconds=10) + TTL + timedelta(milliseconds=1)
    taken = ownership.take("node-b", later, TTL)
    assert taken is not None and (taken.owner, taken.epoch) == ("node-b", 2)
    assert ownership.take("node-a", later, TTL) is None
    assert ownership.holder() == taken


def test_a_released_lease_is_taken_at_once(ledger: Ledger, ledger_url: str) -> None:
    ownership = owners(ledger_url)
    lease = ownership.take("node-a", NOW, TTL)
    assert lease is not None
    ownership.release(lease)
    taken = ownership.take("node-b", NOW + timedelta(seconds=1), TTL)
    assert taken is not None and taken.epoch == 2


def test_a_former_owner_cannot_write_the_ledger(ledger: Ledger, ledger_url: str) -> None:
    """Node A, frozen past its lease, wakes up and tries to commit its build: refused, and
    nothing of it is stored; node B, the owner now, writes."""
    ownership = owners(ledger_url)
    old = ownership.take("node-a", NOW, TTL)
    assert old is not None
    new = ownership.take("node-b", NOW + TTL * 2, TTL)
    assert new is not None
    ledger.fence = old
    document = FeedDocument("feed.xml", b"<rss/>", '"e1"', 1)
    with pytest.raises(StaleOwnerError, match="node-a \\(epoch 1\\) no longer owns"):
        ledger.save(state={"built": "by a"}, documents=[document])
    with pytest.raises(StaleOwnerError):
        ledger.mark_pinged({"feed.xml": "x"})
    assert "built" not in ledger.state() and ledger.documents() == []
    ledger.fence = new
    ledger.save(state={"built": "by b"}, documents=[document])
    assert ledger.state()["built"] == "by b" and ledger.documents() == [document]


def test_racing_nodes_take_the_lease_exactly_once(ledger: Ledger, ledger_url: str) -> None:
    """Eight nodes, each with its own connections, try at the same moment, over 20 rounds
    where the lease has always just run out: each round has exactly one new owner."""
    winners: list[list[Lease]] = []
    for round_ in range(20):
        at = NOW + TTL * 2 * (round_ + 1)
        gate = threading.Barrier(8)
        won: list[Lease] = []

        def attempt(
            node: int, at: datetime = at, gate: threading.Barrier = gate, won: list[Lease] = won
        ) -> None:
            ownership = owners(ledger_url)
            gate.wait()
            lease = ownership.take(f"node-{node}", at, TTL)
            if lease is not None:
                won.append(lease)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners.append(won)
    assert [len(won) for won in winners] == [1] * 20
    # The epoch grows by one exactly when the owner changes (a node winning twice renews).
    leases = [won[0] for won in winners]
    for before, after in itertools.pairwise(leases):
        assert after.epoch == before.epoch + (after.owner != before.owner)
