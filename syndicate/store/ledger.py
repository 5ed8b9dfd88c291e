"""The ledger: every post's permanent identity and history, and what each feed file holds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec.structs import asdict

from syndicate.model import Post
from syndicate.store import migrations, tallies
from syndicate.store.codec import dump_post, load_post
from syndicate.store.database import Database, upsert_statement
from syndicate.store.identity import Fingerprint
from syndicate.store.ownership import Lease, check_fence

if TYPE_CHECKING:
    from sqlalchemy import Engine


class Record(msgspec.Struct, frozen=True):
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
    post_json: str | None = None  # `post` as stored, when known: saves encoding it again
    public: bool = False  # in the feeds' eyes at the last build (see pipeline/events.py)
    published_at: datetime | None = None  # first seen public; None while never

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(
            self.declared_id, self.content_hash, self.title_key, self.post.date.date()
        )


class FeedRecord(msgspec.Struct, frozen=True):
    """What a feed file was last made from and what was written (every build opens by reading
    all of them, 3,000 at 10,000 posts)."""

    path: str
    kind: str
    key: str
    name: str
    feed_id: str
    signature: str
    digest: str
    size: int
    entries: int
    pinged: str | None = None  # the digest WebSub hubs were last told of
    # the entry ids it lists as JSON, newest first (None: unknown, or not read: Ledger.feeds)
    members: str | None = None


class FeedDocument(msgspec.Struct, frozen=True):
    """A feed file's bytes as built, shared by every node of a cluster."""

    path: str
    body: bytes
    etag: str
    modified_ms: int  # when it was written, Unix milliseconds


class Event(msgspec.Struct, frozen=True):
    """Something subscribers and publishers act on: a post became public, changed, or went."""

    post_pk: int
    entry_id: str
    kind: str  # "published", "updated" or "withdrawn"
    at: datetime
    backfill: bool = False
    seq: int | None = None  # given by the ledger when stored


class Ledger:
    """Reads the ledger whole and writes changes back in one transaction."""

    def __init__(self, database: Database) -> None:
        self._db = database
        # Set on a node of a cluster: every write then checks, in its transaction, that this
        # lease still owns the blog (store/ownership.py).
        self.fence: Lease | None = None

    @classmethod
    def open(cls, url: str) -> Ledger:
        database = Database(url)
        migrations.upgrade(database)
        return cls(database)

    def close(self) -> None:
        self._db.close()

    @property
    def database(self) -> Database:
        return self._db

    @property
    def engine(self) -> Engine:
        """Shared with the outbox (store/outbox.py), which keeps its tables in the same database."""
        return self._db.engine

    def records(self) -> dict[int, Record]:
        rows = self._select(f"SELECT {', '.join(POST_COLUMNS)} FROM posts")  # noqa: S608
        return {row[0]: _record(*row) for row in rows}

    def records_of(self, pks: Iterable[int]) -> dict[int, Record]:
        """Only these posts' records (the outbox needs a handful, not the whole blog)."""
        query = f"SELECT {', '.join(POST_COLUMNS)} FROM posts WHERE pk IN "  # noqa: S608
        rows = self._select_in(query, sorted(set(pks)))
        return {row[0]: _record(*row) for row in rows}

    def file_stamps(self) -> list[tuple[str, int, int, int]]:
        """(source, mtime_ns, size, pk) of every post with a file, read from an index without
        decoding any post: what a build that only adds posts needs of the whole ledger
        (pipeline/builder.py's quick path)."""
        query = "SELECT source, mtime_ns, size, pk FROM posts WHERE source IS NOT NULL"
        return self._select(query)

    def next_pk(self) -> int:
        (row,) = self._select("SELECT max(pk) FROM posts")
        return int(row[0] or 0) + 1

    def holds_entry_id(self, entry_id: str) -> bool:
        query = "SELECT 1 FROM posts WHERE entry_id = :id"
        return bool(self._select(query, {"id": entry_id}))

    def holds_updated(self, moment: datetime) -> bool:
        """Whether a post is updated at `moment` (stored as `_stamp` writes it)."""
        query = "SELECT 1 FROM posts WHERE updated = :at"
        return bool(self._select(query, {"at": _stamp(moment)}))

    def records_by_entry(self, entry_ids: Iterable[str]) -> dict[int, Record]:
        """Only the records with these entry ids."""
        query = f"SELECT {', '.join(POST_COLUMNS)} FROM posts WHERE entry_id IN "  # noqa: S608
        rows = self._select_in(query, sorted(set(entry_ids)))
        return {row[0]: _record(*row) for row in rows}

    def deleted_records(self) -> dict[int, Record]:
        """The records of posts whose file is gone (a new file may be one of them back)."""
        query = f"SELECT {', '.join(POST_COLUMNS)} FROM posts WHERE source IS NULL"  # noqa: S608
        return {row[0]: _record(*row) for row in self._select(query)}

    def public_count(self) -> int:
        """How many posts were public at the last build (counted as `status` counts them)."""
        return tallies.posts(self._db).public

    def public_sources(self, prefix: str) -> list[str]:
        """The sources starting with `prefix` of the posts public at the last build."""
        query = (
            "SELECT source FROM posts WHERE public = 1 "  # noqa: S608
            f"AND substr(source, 1, {len(prefix)}) = :prefix"
        )
        return [str(source) for (source,) in self._select(query, {"prefix": prefix})]

    def feeds(self, *, members: bool = False) -> dict[str, FeedRecord]:
        """Every feed file's record; with `members` what each lists too (the builder's: a
        few megabytes at 10,000 posts, which serving and pinging need not read)."""
        columns = FEED_COLUMNS if members else (*FEED_COLUMNS[:-1], "NULL")
        rows = self._select(f"SELECT {', '.join(columns)} FROM feeds")  # noqa: S608
        return {row[0]: FeedRecord(*row) for row in rows}

    def feed_paths(self) -> set[str]:
        """The path of every feed file: with `feeds_of`, all a build that only adds posts
        needs of the feeds (3,000 at 10,000 posts, whose whole records take 15 ms to read)."""
        return {path for (path,) in self._select("SELECT path FROM feeds")}

    def feeds_of(self, groups: Iterable[tuple[str, str]]) -> dict[str, FeedRecord]:
        """The records, members too, of the feed files of these (kind, key) groups."""
        wanted = set(groups)
        query = f"SELECT {', '.join(FEED_COLUMNS)} FROM feeds WHERE key IN "  # noqa: S608
        rows = self._select_in(query, sorted({key for _, key in wanted}))
        # by key, then kind: a tag and an author may share a key
        return {row[0]: FeedRecord(*row) for row in rows if (row[1], row[2]) in wanted}

    def state(self) -> dict[str, str]:
        return tallies.state(self._db)

    def save(
        self,
        records: Iterable[Record] = (),
        feeds: Iterable[FeedRecord] = (),
        state: Mapping[str, str] | None = None,
        events: Iterable[Event] = (),
        sources: Mapping[str, str] | None = None,
        bodies: Mapping[str, str] | None = None,
        documents: Iterable[FeedDocument] = (),
        consumed: Iterable[int] = (),
    ) -> None:
        """Upsert records, feed records, state values, source states, remote bodies and feed
        documents, and append events, all or nothing: an event is stored exactly when the
        change that caused it is, and a source's state (its validators) only with the entries
        it brought. `consumed` are the waiting polls (store/inbox.py) whose entries these are:
        deleted in the same transaction.

        A feed's `pinged` is written when the feed is first stored and otherwise only by
        `mark_pinged`: the builder's copy of it may be older than the hub worker's."""
        # A record stored twice in a build (minted, then made visible) is written once, as
        # its last version: what upserting both in turn leaves.
        rows = [_row(r) for r in {r.pk: r for r in records}.values()]
        feed_rows = [_feed_row(f) for f in feeds]
        event_rows = [_event_row(e) for e in events]
        db = self._db
        with db.writing() as cursor:
            if self.fence is not None:
                check_fence(db, cursor, self.fence)
            self._upsert(cursor, "posts", rows, "pk")
            self._upsert(cursor, "feeds", feed_rows, "path", keep=("pinged",))
            state_rows = [{"key": k, "value": v} for k, v in (state or {}).items()]
            self._upsert(cursor, "state", state_rows, "key")
            source_rows = [{"name": k, "state": v} for k, v in (sources or {}).items()]
            self._upsert(cursor, "sources", source_rows, "name")
            body_rows = [{"source": k, "body": v} for k, v in (bodies or {}).items()]
            self._upsert(cursor, "bodies", body_rows, "source")
            document_rows = [asdict(d) for d in documents]
            self._upsert(cursor, "feed_documents", document_rows, "path")
            if document_rows and db.dialect == "postgresql":
                cursor.execute("SELECT pg_notify('syndicate_feeds', '')")  # sent at the commit
            for marks, params in _chunks(sorted(set(consumed))):
                query = f"DELETE FROM remote_inbox WHERE id IN ({marks})"  # noqa: S608
                cursor.execute(db.statement(query), params)
            if event_rows:
                cursor.executemany(
                    db.statement(
                        "INSERT INTO events (post_pk, entry_id, kind, at, backfill) "
                        "VALUES (:post_pk, :entry_id, :kind, :at, :backfill)"
                    ),
                    event_rows,
                )

    def mark_pinged(self, digests: Mapping[str, str]) -> int:
        """Record that hubs were told of these feed versions (path -> digest); returns how many
        stuck. Compare-and-set: a feed rewritten since the digest was taken stays due."""
        rows = [{"p": path, "d": value} for path, value in digests.items()]
        if not rows:
            return 0
        statement = "UPDATE feeds SET pinged = :d WHERE path = :p AND digest = :d"
        stuck = 0
        with self._db.writing() as cursor:
            if self.fence is not None:
                check_fence(self._db, cursor, self.fence)
            for row in rows:  # one by one: not every driver sums rowcount over executemany
                cursor.execute(self._db.statement(statement), row)
                stuck += max(cursor.rowcount, 0)
        return stuck

    def bodies(self, sources: Iterable[str]) -> dict[str, str]:
        """The stored bodies of these remote entries (by `Record.source`)."""
        rows = self._select_in("SELECT source, body FROM bodies WHERE source IN ", list(sources))
        return {str(s): str(b) for s, b in rows}

    def events(self, *, after: int = 0, limit: int | None = None) -> list[Event]:
        """Stored events in order, those after sequence number `after`."""
        query = (
            "SELECT post_pk, entry_id, kind, at, backfill, seq FROM events "
            "WHERE seq > :after ORDER BY seq"
        )
        params: dict[str, int] = {"after": after}
        if limit is not None:
            query += " LIMIT :limit"
            params["limit"] = limit
        return [_event(*row) for row in self._select(query, params)]

    def announced(self) -> set[int]:
        """Posts with a `published` event stored (announced, or queued for backfill)."""
        query = "SELECT DISTINCT post_pk FROM events WHERE kind = 'published'"
        return {int(pk) for (pk,) in self._select(query)}

    def document_etags(self) -> dict[str, str]:
        """Each stored feed document's ETag, by path (no bodies: cheap to ask often)."""
        return {str(p): str(e) for p, e in self._select("SELECT path, etag FROM feed_documents")}

    def documents(self, paths: Iterable[str] | None = None) -> list[FeedDocument]:
        """The stored feed documents: all of them, or those at `paths`."""
        query = "SELECT path, body, etag, modified_ms FROM feed_documents"
        if paths is None:
            rows = self._select(query)
        else:
            rows = self._select_in(query + " WHERE path IN ", list(paths))
        return [FeedDocument(str(p), bytes(b), str(e), int(m)) for p, b, e, m in rows]

    def source_state(self, name: str) -> str | None:
        rows = self._select("SELECT state FROM sources WHERE name = :name", {"name": name})
        return str(rows[0][0]) if rows else None

    def dates_under(self, prefix: str) -> dict[str, datetime]:
        """The dates of the posts whose source starts with `prefix` (one remote source's
        entries), by source."""
        query = f"SELECT source, post FROM posts WHERE substr(source, 1, {len(prefix)}) = :prefix"  # noqa: S608
        rows = self._select(query, {"prefix": prefix})
        return {str(source): load_post(str(post)).date for source, post in rows}

    def source_states(self) -> dict[str, str]:
        return tallies.source_states(self._db)

    def _select(self, query: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        with self._db.reading() as cursor:
            cursor.execute(self._db.statement(query), params or {})
            return list(cursor.fetchall())

    def _select_in(self, query: str, values: list[Any]) -> list[Any]:
        """`query` ending in `IN `, for every value, 500 at a time (SQLite caps parameters)."""
        found: list[Any] = []
        with self._db.reading() as cursor:
            for marks, params in _chunks(values):
                cursor.execute(self._db.statement(f"{query}({marks})"), params)
                found.extend(cursor.fetchall())
        return found

    def _upsert(
        self,
        cursor: Any,
        table: str,
        rows: Sequence[Mapping[str, Any]],
        key: str,
        keep: tuple[str, ...] = (),
    ) -> None:
        """`rows` (dictionaries by column, all with the same columns) in one executemany."""
        if rows:
            statement = upsert_statement(table, tuple(rows[0]), key, keep)
            cursor.executemany(self._db.statement(statement), rows)


def _chunks(values: Sequence[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """`values` 500 at a time (SQLite caps a statement's parameters), each chunk as the marks
    of an `IN (...)` and its parameters."""
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        marks = ", ".join(f":v{i}" for i in range(len(chunk)))
        yield marks, {f"v{i}": value for i, value in enumerate(chunk)}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# The columns as schema.py declares them (tests/store/test_ledger.py keeps them the same).
POST_COLUMNS = (
    "pk",
    "entry_id",
    "source",
    "declared_id",
    "content_hash",
    "title_key",
    "source_hash",
    "mtime_ns",
    "size",
    "body_format",
    "post",
    "first_seen",
    "updated",
    "public",
    "published_at",
)
FEED_COLUMNS = (
    "path",
    "kind",
    "key",
    "name",
    "feed_id",
    "signature",
    "digest",
    "size",
    "entries",
    "pinged",
    "members",
)


def _record(
    pk: int,
    entry_id: str,
    source: str | None,
    declared_id: str | None,
    content_hash: str,
    title_key: str,
    source_hash: str,
    mtime_ns: int,
    size: int,
    body_format: str,
    post: str,
    first_seen: str,
    updated: str,
    public: int,
    published_at: str | None,
) -> Record:
    return Record(
        pk,
        entry_id,
        source,
        declared_id,
        content_hash,
        title_key,
        source_hash,
        mtime_ns,
        size,
        body_format,
        load_post(post),
        datetime.fromisoformat(first_seen),
        datetime.fromisoformat(updated),
        post,
        bool(public),
        datetime.fromisoformat(published_at) if published_at else None,
    )


def _row(record: Record) -> dict[str, Any]:
    return {
        "pk": record.pk,
        "entry_id": record.entry_id,
        "source": record.source,
        "declared_id": record.declared_id,
        "content_hash": record.content_hash,
        "title_key": record.title_key,
        "source_hash": record.source_hash,
        "mtime_ns": record.mtime_ns,
        "size": record.size,
        "body_format": record.body_format,
        "post": record.post_json or dump_post(record.post),
        "first_seen": _stamp(record.first_seen),
        "updated": _stamp(record.updated),
        "public": int(record.public),
        "published_at": _stamp(record.published_at) if record.published_at else None,
    }


def _event_row(event: Event) -> dict[str, Any]:
    return {
        "post_pk": event.post_pk,
        "entry_id": event.entry_id,
        "kind": event.kind,
        "at": _stamp(event.at),
        "backfill": int(event.backfill),
    }


def _event(post_pk: int, entry_id: str, kind: str, at: str, backfill: int, seq: int) -> Event:
    return Event(post_pk, entry_id, kind, datetime.fromisoformat(at), bool(backfill), seq)


def _feed_row(feed: FeedRecord) -> dict[str, Any]:
    return {
        "path": feed.path,
        "kind": feed.kind,
        "key": feed.key,
        "name": feed.name,
        "feed_id": feed.feed_id,
        "signature": feed.signature,
        "digest": feed.digest,
        "size": feed.size,
        "entries": feed.entries,
        "pinged": feed.pinged,
        "members": feed.members,
    }
