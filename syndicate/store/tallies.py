"""What `syndicate status` counts, counted by the database in plain statements through the
driver (store/database.py): the posts, feeds, events and deliveries are tallied without
reading each row into Python, and without importing SQLAlchemy, which the outbox's own
queries use (0.2 s of a command that should answer at once). It reads the state tables
here too, so that `status` need not import the ledger (and the post model beneath it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from syndicate.redaction import redact
from syndicate.store.database import Database


class PostTally(NamedTuple):
    known: int  # ever seen
    present: int  # whose file (or remote entry) is there now
    public: int  # public at the last build
    remote: int  # from remote sources


class FeedTally(NamedTuple):
    files: int
    bytes: int
    unpinged: int  # written since WebSub hubs were last told


class Pause(NamedTuple):
    paused: bool
    reason: str | None


def posts(db: Database) -> PostTally:
    (row,) = _rows(
        db,
        "SELECT COUNT(*), COUNT(source),"
        " SUM(CASE WHEN public = 1 AND source IS NOT NULL THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN source LIKE 'sources/%' THEN 1 ELSE 0 END) FROM posts",
    )
    return PostTally(*(int(n or 0) for n in row))


def feeds(db: Database) -> FeedTally:
    (row,) = _rows(
        db,
        "SELECT COUNT(*), SUM(size),"
        " SUM(CASE WHEN pinged IS NULL OR pinged <> digest THEN 1 ELSE 0 END) FROM feeds",
    )
    return FeedTally(*(int(n or 0) for n in row))


def events(db: Database) -> tuple[dict[str, int], datetime | None]:
    """The events by kind, and when the last one was stored."""
    by_kind = _rows(db, "SELECT kind, COUNT(*) FROM events GROUP BY kind ORDER BY MIN(seq)")
    last = _rows(db, "SELECT at FROM events ORDER BY seq DESC LIMIT 1")
    return (
        {str(kind): int(n) for kind, n in by_kind},
        datetime.fromisoformat(last[0][0]) if last else None,
    )


def deliveries(db: Database) -> dict[str, int]:
    """The outbox's deliveries by status."""
    rows = _rows(db, "SELECT status, COUNT(*) FROM deliveries GROUP BY status ORDER BY MIN(id)")
    return {str(status): int(n) for status, n in rows}


def pauses(db: Database) -> dict[str, Pause]:
    """Each account the outbox holds a state for: paused or not, and why (redacted)."""
    rows = _rows(db, "SELECT account, paused, reason FROM account_states")
    return {
        str(account): Pause(bool(paused), None if reason is None else redact(reason))
        for account, paused, reason in rows
    }


def state(db: Database) -> dict[str, str]:
    """The ledger's state table (the last build, its errors; Ledger.state reads it here)."""
    return {str(key): str(value) for key, value in _rows(db, "SELECT key, value FROM state")}


def source_states(db: Database) -> dict[str, str]:
    """Each remote source's state, as JSON text (Ledger.source_states reads it here)."""
    return {str(name): str(value) for name, value in _rows(db, "SELECT name, state FROM sources")}


def _rows(db: Database, query: str) -> list[Any]:
    with db.reading() as cursor:
        cursor.execute(db.statement(query))
        return list(cursor.fetchall())
