"""The cluster's list of nodes: a beat adds or refreshes a node, a goodbye removes it, and
each blog sees only its own (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syndicate.store.database import Database
from syndicate.store.ledger import Ledger
from syndicate.store.nodes import NodeBeat, Nodes

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def beat(node: str, seconds: int) -> NodeBeat:
    return NodeBeat(node, "host-" + node, 100, "0.1.0", START, START + timedelta(seconds=seconds))


def test_beats_goodbyes_and_blogs_apart(ledger_url: str) -> None:
    Ledger.open(ledger_url).close()  # the schema
    database = Database(ledger_url)
    try:
        rdo, other = Nodes(database, "rdo"), Nodes(database, "other")
        rdo.beat(beat("a", 1))
        rdo.beat(beat("b", 2))
        other.beat(beat("a", 3))
        rdo.beat(beat("a", 5))  # a again: refreshed, not added
        assert [(n.node, n.seen) for n in rdo.listed()] == [
            ("a", START + timedelta(seconds=5)),
            ("b", START + timedelta(seconds=2)),
        ]
        assert rdo.listed()[0] == beat("a", 5)
        rdo.gone("a")
        assert [n.node for n in rdo.listed()] == ["b"]
        assert [n.node for n in other.listed()] == ["a"]
    finally:
        database.close()
