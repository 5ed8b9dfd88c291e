"""The ledger: every post's permanent identity and history, and what each feed file holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from syndicate.errors import StoreError
from syndicate.model import Post
from syndicate.store import schema
from syndicate.store.codec import dump_post, load_post
from syndicate.store.identity import Fingerprint


@dataclass(frozen=True, slots=True)
class Record:
    """One post as the ledger knows it."""

    pk: int
    entry_id: str
    source: str | None  # None once the file is gone
    declared_id: str | None
    content_hash: str
    title_key: str
    source_hash: str
    mtime_ns: int
    size: int
    body_format: str
    post: Post
    first_seen: datetime
    updated: datetime

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.declared_id, self.content_hash, self.title_key, self.post.date.date())


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """What a feed file was last made from and what was written."""

    path: str
    kind: str
    key: str
    name: str
    feed_id: str
    signature: str
    digest: str
    size: int
    entries: int


class Ledger:
    """Reads the ledger whole and writes changes back in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str) -> Ledger:
        try:
            engine = create_engine(url)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            schema.metadata.create_all(engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the ledger at {url}: {exc}") from exc
        ledger = cls(engine)
        ledger._check_version()
        return ledger

    def close(self) -> None:
        self._engine.dispose()

    def records(self) -> dict[int, Record]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(schema.posts)).mappings().all()
        return {row["pk"]: _record(row) for row in rows}

    def feeds(self) -> dict[str, FeedRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(schema.feeds)).mappings().all()
        return {row["path"]: FeedRecord(**row) for row in rows}

    def state(self) -> dict[str, str]:
        with self._engine.connect() as conn:
            return dict(conn.execute(select(schema.state.c.key, schema.state.c.value)).tuples().all())

    def save(self, records: Iterable[Record] = (), feeds: Iterable[FeedRecord] = (),
             state: Mapping[str, str] | None = None) -> None:
        """Upsert records, feed records and state values, all or nothing."""
        rows = [_row(r) for r in records]
        feed_rows = [_feed_row(f) for f in feeds]
        try:
            with self._engine.begin() as conn:
                moved = [r["pk"] for r in rows]
                if moved:  # free their paths first, so two files that swap names do not clash
                    for chunk in _chunks(moved, 500):
                        conn.execute(update(schema.posts).where(schema.posts.c.pk.in_(chunk)).values(source=None))
                _upsert(conn, schema.posts, rows, "pk")
                _upsert(conn, schema.feeds, feed_rows, "path")
                _upsert(conn, schema.state, [{"key": k, "value": v} for k, v in (state or {}).items()], "key")
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot write the ledger: {exc}") from exc

    def _check_version(self) -> None:
        version = self.state().get("schema_version")
        if version is None:
            self.save(state={"schema_version": str(schema.SCHEMA_VERSION)})
        elif int(version) > schema.SCHEMA_VERSION:
            raise StoreError(
                f"the ledger was written by a newer syndicate (schema {version}); upgrade syndicate"
            )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the web app) never block the builder
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes, one fsync per checkpoint
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _upsert(conn: Any, table: Any, rows: list[dict[str, Any]], key: str) -> None:
    if not rows:
        return
    dialect = conn.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    columns = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != key}
    conn.execute(stmt.on_conflict_do_update(index_elements=[key], set_=columns), rows)


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _record(row: Mapping[str, Any]) -> Record:
    return Record(
        pk=row["pk"], entry_id=row["entry_id"], source=row["source"],
        declared_id=row["declared_id"], content_hash=row["content_hash"],
        title_key=row["title_key"], source_hash=row["source_hash"], mtime_ns=row["mtime_ns"],
        size=row["size"], body_format=row["body_format"], post=load_post(row["post"]),
        first_seen=datetime.fromisoformat(row["first_seen"]),
        updated=datetime.fromisoformat(row["updated"]),
    )


def _row(record: Record) -> dict[str, Any]:
    return {
        "pk": record.pk, "entry_id": record.entry_id, "source": record.source,
        "declared_id": record.declared_id, "content_hash": record.content_hash,
        "title_key": record.title_key, "source_hash": record.source_hash,
        "mtime_ns": record.mtime_ns, "size": record.size, "body_format": record.body_format,
        "post": dump_post(record.post), "first_seen": _stamp(record.first_seen),
        "updated": _stamp(record.updated),
    }


def _feed_row(feed: FeedRecord) -> dict[str, Any]:
    return {
        "path": feed.path, "kind": feed.kind, "key": feed.key, "name": feed.name,
        "feed_id": feed.feed_id, "signature": feed.signature,
        "digest": feed.digest, "size": feed.size, "entries": feed.entries,
    }
