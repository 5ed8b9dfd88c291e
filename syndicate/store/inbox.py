"""On a cluster, remote sources are polled by whichever node a host's job lands on
(cluster/polls.py), while only the blog's owner builds. What a poll found waits here, in
`remote_inbox`, until the owner's build stores its entries and deletes the row in the same
transaction (`Ledger.save(consumed=...)`): a poll is either waiting or recorded, never both
and never lost. `source_due` holds each source's host and next due time, for the tick that
hands due hosts out.

A source's newest state (its validators and next poll) is the one in its latest waiting row,
else the ledger's `sources` row: a node polling it again before the owner has built must
send the validators of the poll before, not older ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import msgspec

from syndicate.store.database import Database, unix_ms, upsert_statement


class Waiting(msgspec.Struct, frozen=True):
    id: int
    source: str
    batch: str  # RemoteBatch as JSON (pipeline/remote_entries.py)


class PollInbox:
    def __init__(self, database: Database) -> None:
        self._db = database

    def put(self, source: str, host: str, state: str, batch: str, due: datetime) -> None:
        """Keep what a poll of `source` found, and when it is due next, in one transaction."""
        db = self._db
        with db.writing() as cursor:
            cursor.execute(
                db.statement(
                    "INSERT INTO remote_inbox (source, state, batch) "
                    "VALUES (:source, :state, :batch)"
                ),
                {"source": source, "state": state, "batch": batch},
            )
            self._plan(cursor, source, host, due)
            if db.dialect == "postgresql":
                cursor.execute("SELECT pg_notify('syndicate_inbox', '')")  # sent at the commit

    def plan(self, hosts: Mapping[str, str], now: datetime) -> None:
        """Every configured source has a due row (new ones due `now`); a source's host
        follows its URL when that changes."""
        known = dict(self._rows("SELECT source, host FROM source_due"))
        changed = {s: h for s, h in hosts.items() if known.get(s) != h}
        if not changed:
            return
        with self._db.writing() as cursor:
            for source, host in changed.items():
                if source in known:
                    cursor.execute(
                        self._db.statement(
                            "UPDATE source_due SET host = :host WHERE source = :source"
                        ),
                        {"source": source, "host": host},
                    )
                else:
                    self._plan(cursor, source, host, now)

    def due_hosts(self, now: datetime, sources: Iterable[str]) -> list[str]:
        """The hosts with a source due by `now`, among `sources` (this node's configured)."""
        wanted = set(sources)
        rows = self._rows(
            "SELECT source, host FROM source_due WHERE due_ms <= :now", {"now": unix_ms(now)}
        )
        return sorted({str(host) for source, host in rows if source in wanted})

    def due_on(self, host: str, now: datetime) -> list[str]:
        """The sources on `host` due by `now`, the most overdue first."""
        rows = self._rows(
            "SELECT source FROM source_due WHERE host = :host AND due_ms <= :now "
            "ORDER BY due_ms, source",
            {"host": host, "now": unix_ms(now)},
        )
        return [str(source) for (source,) in rows]

    def latest_state(self, source: str) -> str | None:
        """The state the latest waiting poll of `source` left, if one waits."""
        rows = self._rows(
            "SELECT state FROM remote_inbox WHERE source = :source ORDER BY id DESC LIMIT 1",
            {"source": source},
        )
        return str(rows[0][0]) if rows else None

    def waiting_ids(self) -> list[int]:
        """The ids of the polls not yet stored by a build, oldest first."""
        return [int(i) for (i,) in self._rows("SELECT id FROM remote_inbox ORDER BY id")]

    def waiting(self, since: int = 0) -> list[Waiting]:
        """Polls not yet stored by a build, oldest first, from id `since` on. Ids are not
        made in commit order (two nodes' polls commit in either order), so no id says that
        every poll before it has been seen: the reader asks for the ids first."""
        rows = self._rows(
            "SELECT id, source, batch FROM remote_inbox WHERE id >= :since ORDER BY id",
            {"since": since},
        )
        return [Waiting(int(i), str(s), str(b)) for i, s, b in rows]

    def _plan(self, cursor: Any, source: str, host: str, due: datetime) -> None:
        statement = upsert_statement("source_due", ("source", "host", "due_ms"), "source", ())
        row = {"source": source, "host": host, "due_ms": unix_ms(due)}
        cursor.execute(self._db.statement(statement), row)

    def _rows(self, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self._db.reading() as cursor:
            cursor.execute(self._db.statement(query), params or {})
            return [tuple(row) for row in cursor.fetchall()]
