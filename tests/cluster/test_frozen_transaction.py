"""A node frozen inside a ledger transaction (SIGSTOP between two statements) holds the lock
on its lease row; PostgreSQL ends its session after the idle-in-transaction bound, so another
node takes the blog over instead of waiting for the frozen one to wake. The frozen node's
transaction is lost, not half written, and its Database works again afterwards."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from syndicate.errors import StoreError
from syndicate.store.database import Database
from syndicate.store.ledger import Ledger
from syndicate.store.ownership import Lease, Ownership, check_fence
from tests.conftest import Blog

TTL = timedelta(seconds=1)
IDLE = 0.5  # seconds: the frozen node's bound, short for the test


def test_a_transaction_left_idle_releases_its_locks(cluster_blog: Blog) -> None:
    Ledger.open(cluster_blog.store_url).close()  # the schema
    frozen_db = Database(cluster_blog.store_url, idle_transaction_timeout=IDLE)
    frozen = Ownership(frozen_db, "rdo")
    now = datetime.now(UTC)
    lease = frozen.take("node-a", now, TTL)
    assert lease is not None
    taken: list[Lease | None] = []
    with pytest.raises(StoreError), frozen_db.writing() as cursor:
        check_fence(frozen_db, cursor, lease)  # the lease row is locked (FOR UPDATE)
        other = Ownership(Database(cluster_blog.store_url), "rdo")
        later = now + TTL * 2
        taker = threading.Thread(target=lambda: taken.append(other.take("node-b", later, TTL)))
        started = time.monotonic()
        taker.start()
        taker.join(timeout=30)  # blocked on the row lock until the server ends our session
        assert not taker.is_alive(), "the takeover waited for the frozen transaction"
        assert time.monotonic() - started >= IDLE * 0.8
        cursor.execute("UPDATE state SET value = 'late' WHERE key = 'x'")  # woken: refused
    holder = frozen.holder()  # the dead connection left the pool; a new one answers
    assert holder is not None and (holder.owner, holder.epoch) == ("node-b", 2)
    assert [lease.owner for lease in taken if lease is not None] == ["node-b"]
