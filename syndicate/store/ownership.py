"""Which node owns a blog's files: one lease row per blog, with an epoch (a fencing token).

Several `syndicate run` replicas may share one ledger; only one of them reads the blog's
files and builds at a time. Every node tries to `take` the lease every few seconds: it gets
it when nobody holds it, when the holder's lease ran out (a dead or frozen node), or when it
holds it already (a renewal). A change of owner adds one to the epoch.

The epoch is what makes a takeover safe: the ledger, once `fenced` by a lease, checks inside
each write's transaction that the row still names that owner and epoch. A node frozen past
its lease (SIGSTOP, a long GC pause, a suspended VM) that wakes up mid-build cannot write:
its commit is refused (StaleOwnerError), however sure it is that it still owns the blog.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from syndicate.errors import StaleOwnerError
from syndicate.store.database import Database, from_unix_ms, unix_ms


class Lease(msgspec.Struct, frozen=True):
    blog: str
    owner: str
    epoch: int
    until: datetime


class Ownership:
    def __init__(self, database: Database, blog: str) -> None:
        self._db = database
        self.blog = blog

    def take(self, owner: str, now: datetime, ttl: timedelta) -> Lease | None:
        """Take or renew the lease until `now + ttl`; None while another node holds it."""
        until = now + ttl
        row = {"blog": self.blog, "owner": owner, "now": unix_ms(now), "until": unix_ms(until)}
        db = self._db
        with db.writing() as cursor:
            cursor.execute(
                db.statement(
                    "INSERT INTO blog_owner (blog, owner, epoch, until_ms) "
                    "VALUES (:blog, :owner, 1, :until) ON CONFLICT (blog) DO NOTHING"
                ),
                row,
            )
            if cursor.rowcount != 1:  # there is a row: renew ours, or take an expired one
                cursor.execute(
                    db.statement(
                        "UPDATE blog_owner SET until_ms = :until, "
                        "epoch = CASE WHEN owner = :owner THEN epoch ELSE epoch + 1 END, "
                        "owner = :owner "
                        "WHERE blog = :blog AND (owner = :owner OR until_ms < :now)"
                    ),
                    row,
                )
                if cursor.rowcount != 1:
                    return None
            return self._read(cursor)

    def release(self, lease: Lease) -> None:
        """Give the lease up at once (a clean stop), so another node need not wait it out."""
        db = self._db
        with db.writing() as cursor:
            cursor.execute(
                db.statement(
                    "UPDATE blog_owner SET until_ms = 0 "
                    "WHERE blog = :blog AND owner = :owner AND epoch = :epoch"
                ),
                {"blog": lease.blog, "owner": lease.owner, "epoch": lease.epoch},
            )

    def holder(self) -> Lease | None:
        """The lease as it stands (it may have run out)."""
        with self._db.reading() as cursor:
            return self._read(cursor)

    def _read(self, cursor: Any) -> Lease | None:
        cursor.execute(
            self._db.statement("SELECT owner, epoch, until_ms FROM blog_owner WHERE blog = :blog"),
            {"blog": self.blog},
        )
        found = cursor.fetchone()
        if found is None:
            return None
        owner, epoch, until = found
        return Lease(self.blog, str(owner), int(epoch), from_unix_ms(until))


def check_fence(database: Database, cursor: Any, lease: Lease) -> None:
    """Inside a write's transaction: refuse it unless `lease` still owns the blog. On
    PostgreSQL the row is locked until the commit, so a takeover waits for this write."""
    lock = "" if database.dialect == "sqlite" else " FOR UPDATE"  # SQLite: the write lock holds
    query = f"SELECT owner, epoch FROM blog_owner WHERE blog = :blog{lock}"  # noqa: S608
    cursor.execute(
        database.statement(query),
        {"blog": lease.blog},
    )
    found = cursor.fetchone()
    if found is None or (str(found[0]), int(found[1])) != (lease.owner, lease.epoch):
        now = f"{found[0]} (epoch {found[1]})" if found else "nobody"
        raise StaleOwnerError(
            f"{lease.owner} (epoch {lease.epoch}) no longer owns blog {lease.blog!r}; {now} does"
        )
