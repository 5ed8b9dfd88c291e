"""Claims shared by several replicas: two `Outbox`es on engines of their own (two `syndicate run`
processes on one database) race for the same deliveries, each is claimed once; a claim taken
over after its lease ran out can no longer be written by its first owner, even when the new
claim carries the same owner and lease (the fence); on PostgreSQL a row being claimed is
skipped, not waited for. Run on SQLite, and on PostgreSQL with SYNDICATE_TEST_STORE=postgresql.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from syndicate.model import Delivery, DeliveryStatus, Receipt
from syndicate.store import schema
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Intake, NewDelivery, Outbox
from tests.conftest import NOW, Blog

LEASE = timedelta(minutes=5)


@pytest.fixture
def replicas(blog: Blog) -> Iterator[tuple[Outbox, Outbox]]:
    """Two outboxes over the same database, each with its own engine and connections."""
    one, two = Ledger.open(blog.store_url), Ledger.open(blog.store_url)
    yield Outbox(one.engine), Outbox(two.engine)
    one.close()
    two.close()


def queued(outbox: Outbox, count: int) -> list[Delivery]:
    """`count` deliveries for one account, all due now."""
    new = [NewDelivery(n, f"tag:blog,2024:{n}", "toots", NOW) for n in range(1, count + 1)]
    outbox.take(Intake(1, new=new), NOW)
    outbox.plan({d.id: NOW for d in outbox.select()}, NOW)
    return outbox.select()


def test_two_replicas_racing_claim_each_delivery_exactly_once(
    replicas: tuple[Outbox, Outbox],
) -> None:
    seen = queued(replicas[0], 60)
    won: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def replica(name: str, outbox: Outbox, order: list[Delivery]) -> None:
        start.wait()
        for delivery in order:
            claimed = outbox.claim(delivery, f"{name}:1", NOW, NOW + LEASE)
            if claimed is not None:
                won[name].append(claimed.id)

    # One goes forward, the other backward and then forward again: they meet in the middle
    # and then contend for every row the first has not reached yet.
    runs = [
        threading.Thread(target=replica, args=("a", replicas[0], seen)),
        threading.Thread(target=replica, args=("b", replicas[1], seen[::-1] + seen)),
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
    assert not set(won["a"]) & set(won["b"])
    assert sorted(won["a"] + won["b"]) == [d.id for d in seen]
    for delivery in replicas[0].select():
        assert delivery.status is DeliveryStatus.SENDING and delivery.fence == 1
        assert delivery.lease_owner == ("a:1" if delivery.id in won["a"] else "b:1")


def test_a_claim_taken_over_after_its_lease_cannot_be_written_by_its_first_owner(
    replicas: tuple[Outbox, Outbox],
) -> None:
    first, second = replicas
    (seen,) = queued(first, 1)
    stale = first.claim(seen, "web:1", NOW, NOW + LEASE)
    assert stale is not None and stale.fence == 1
    # The lease ran out; another replica takes the row over. Both are "web:1" (pid 1 in two
    # containers of the same name) and the clock says the same: status, owner and lease are
    # identical, only the fence tells the claims apart.
    later = second.claim(stale, "web:1", NOW, NOW + LEASE)
    assert later is not None and later.fence == 2
    assert (later.lease_owner, later.lease_until) == (stale.lease_owner, stale.lease_until)
    receipt = Receipt("1", "https://social.example/1")
    assert first.compose(stale, "the old text") is None
    assert not first.part_sent(stale, 1, "the old text", receipt, NOW)
    assert not first.sent(stale, receipt, NOW)
    assert not first.retry_later(stale, NOW, "timeout", NOW, uncertain=True)
    assert not first.give_up(stale, "refused", NOW)
    assert not first.hold(stale, "401", NOW)
    assert not first.cancel_claimed(stale, "withdrawn", NOW)
    assert first.parts(seen.id) == []
    assert first.get(seen.id) == later  # nothing the stale claim tried was written
    composed = second.compose(later, "the new text")
    assert composed is not None
    assert second.sent(composed, Receipt("2", "https://social.example/2"), NOW)
    done = first.get(seen.id)
    assert done is not None and (done.status, done.remote_id) == (DeliveryStatus.SENT, "2")


def test_a_claim_by_another_owner_after_the_lease_shuts_the_first_one_out(
    replicas: tuple[Outbox, Outbox],
) -> None:
    first, second = replicas
    (seen,) = queued(first, 1)
    stale = first.claim(seen, "a:1", NOW, NOW + LEASE)
    assert stale is not None
    later = second.claim(stale, "b:2", NOW + LEASE, NOW + 2 * LEASE)
    assert later is not None and later.fence == 2
    assert not first.sent(stale, Receipt("1", None), NOW + LEASE)
    assert second.retry_later(later, NOW + 2 * LEASE, "502", NOW + LEASE, uncertain=True)
    back = first.get(seen.id)
    assert back is not None and back.status is DeliveryStatus.PENDING and back.uncertain
    assert second.claim(stale, "b:2", NOW, NOW + LEASE) is None  # read before: stale too


def test_on_postgresql_a_row_being_claimed_is_skipped_not_waited_for(
    replicas: tuple[Outbox, Outbox], blog: Blog
) -> None:
    if not blog.store_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    first, second = replicas
    (seen,) = queued(first, 1)
    holder = Ledger.open(blog.store_url)
    try:
        with holder.engine.begin() as conn:  # another replica, in the middle of its claim
            locking = select(schema.deliveries.c.id).with_for_update()
            conn.execute(locking.where(schema.deliveries.c.id == seen.id)).one()
            started = time.monotonic()
            assert second.claim(seen, "b:2", NOW, NOW + LEASE) is None
            assert time.monotonic() - started < 5  # a plain UPDATE would wait for the commit
        # Once the other transaction is over (it changed nothing), the row can be claimed.
        assert second.claim(seen, "b:2", NOW, NOW + LEASE) is not None
    finally:
        holder.close()
