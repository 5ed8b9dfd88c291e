"""The replicas that serve a blog: each beats (writes when it was last seen) every third of
the owner lease, and says goodbye on a clean stop, so `syndicate status` can list the nodes
of a cluster, which of them are alive, and which stopped or went silent."""

from __future__ import annotations

from datetime import datetime

import msgspec

from syndicate.store.database import Database, from_unix_ms, unix_ms, upsert_statement


class NodeBeat(msgspec.Struct, frozen=True):
    node: str
    host: str
    pid: int
    version: str
    started: datetime
    seen: datetime


_COLUMNS = ("blog", "node", "host", "pid", "version", "started_ms", "seen_ms")


class Nodes:
    def __init__(self, database: Database, blog: str) -> None:
        self._db = database
        self.blog = blog

    def beat(self, beat: NodeBeat) -> None:
        row = {
            "blog": self.blog,
            "node": beat.node,
            "host": beat.host,
            "pid": beat.pid,
            "version": beat.version,
            "started_ms": unix_ms(beat.started),
            "seen_ms": unix_ms(beat.seen),
        }
        # The key is the pair (blog, node): the conflict target names both, kept as they are.
        statement = upsert_statement("cluster_nodes", _COLUMNS, "blog, node", ("blog", "node"))
        with self._db.writing() as cursor:
            cursor.execute(self._db.statement(statement), row)

    def gone(self, node: str) -> None:
        """A clean stop: the node leaves the list."""
        with self._db.writing() as cursor:
            cursor.execute(
                self._db.statement("DELETE FROM cluster_nodes WHERE blog = :blog AND node = :node"),
                {"blog": self.blog, "node": node},
            )

    def listed(self) -> list[NodeBeat]:
        """Every node that beat and did not say goodbye, most recently seen first."""
        query = (
            "SELECT node, host, pid, version, started_ms, seen_ms FROM cluster_nodes "
            "WHERE blog = :blog ORDER BY seen_ms DESC, node"
        )
        with self._db.reading() as cursor:
            cursor.execute(self._db.statement(query), {"blog": self.blog})
            rows = cursor.fetchall()
        return [
            NodeBeat(str(n), str(h), int(p), str(v), from_unix_ms(started), from_unix_ms(seen))
            for n, h, p, v, started, seen in rows
        ]
