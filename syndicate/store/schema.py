"""Tables of the ledger database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from syndicate.store.database import upsert_statement

# The tables as they are now. A new ledger is created from them; an older one is brought to
# them by the Alembic revisions in store/migrations/versions, one per change.

# What syndicate's own schema_version 2 added to a version-1 ledger, before Alembic: applied
# by store/migrations to a ledger that old, as (table, column, SQL type and default).
LEGACY_COLUMNS = (
    ("posts", "public", "INTEGER NOT NULL DEFAULT 0"),
    ("posts", "published_at", "VARCHAR"),
    ("feeds", "pinged", "VARCHAR"),
)

metadata = MetaData()

posts = Table(
    "posts",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=False),
    Column("entry_id", String, nullable=False, unique=True),  # the id feeds carry, forever
    Column("source", String, nullable=True),  # current file; NULL once deleted
    Column("declared_id", String, nullable=True),
    Column("content_hash", String, nullable=False),
    Column("title_key", String, nullable=False),
    Column("source_hash", String, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("body_format", String, nullable=False),
    Column("post", Text, nullable=False),  # the Post as JSON, so unchanged files are not re-read
    Column("first_seen", String, nullable=False),  # RFC 3339, UTC
    Column("updated", String, nullable=False),  # RFC 3339, UTC
    Column("public", Integer, nullable=False, default=0),  # public at the last build
    Column("published_at", String, nullable=True),  # when first seen public (RFC 3339, UTC)
    # Every file's stamp and the public count, read without the rows' JSON (0007).
    Index("ix_posts_source_stamp", "source", "mtime_ns", "size", "public"),
    Index("ix_posts_updated", "updated"),  # is a new post's instant taken?
)

feeds = Table(
    "feeds",
    metadata,
    Column("path", String, primary_key=True),  # under the output directory
    Column("kind", String, nullable=False),  # site, tag or author
    Column("key", String, nullable=False),  # tag slug or author key ("" for the site)
    Column("name", String, nullable=False),  # tag or author as shown
    Column("feed_id", String, nullable=False),  # the id the feed carries, forever
    Column("signature", String, nullable=False),  # of everything the file was made from
    Column("digest", String, nullable=False),  # of the bytes written
    Column("size", BigInteger, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("pinged", String, nullable=True),  # the digest WebSub hubs were last told of
    # the entry ids the feed lists, newest first, as JSON: a build that adds posts reads only
    # these (NULL: not known, the next full build records it)
    Column("members", Text, nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("post_pk", Integer, nullable=False, index=True),
    Column("entry_id", String, nullable=False),
    Column("kind", String, nullable=False),  # published, updated, withdrawn
    Column("at", String, nullable=False),  # RFC 3339, UTC
    Column("backfill", Integer, nullable=False, default=0),  # asked for by `syndicate backfill`
)

bodies = Table(
    "bodies",
    metadata,
    # A remote entry's body: there is no file to read it again from when it must be re-rendered.
    Column("source", String, primary_key=True),
    Column("body", Text, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("name", String, primary_key=True),
    Column("state", Text, nullable=False),  # JSON: validators, failures, next poll...
)

state = Table(
    "state",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    # The outbox: one row per (post, account), ever, for the new post (an edit never makes a
    # second one), and one per planned re-share of it (`reshare` 1, 2, ...).
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("post_pk", Integer, nullable=False),
    Column("entry_id", String, nullable=False),
    Column("account", String, nullable=False, index=True),
    # pending, scheduled, sending, sent, failed, skipped, paused
    Column("status", String, nullable=False, index=True),
    Column("published_at", String, nullable=False),  # the event's time: timing counts from it
    Column("created", String, nullable=False),
    Column("updated", String, nullable=False),
    Column("due", String, nullable=True),  # when it goes out, as last planned
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", String, nullable=True),  # after a failure: the retry's earliest time
    Column("uncertain", Integer, nullable=False, default=0),  # the last try may have posted
    Column("lease_owner", String, nullable=True),
    Column("lease_until", String, nullable=True),
    Column("text", Text, nullable=True),  # the exact text, once composed for sending
    Column("remote_id", String, nullable=True),
    Column("remote_url", String, nullable=True),
    Column("sent_at", String, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("reshare", Integer, nullable=False, default=0, server_default="0"),
    # How many times it was claimed: every write about a claim must name the claim's number.
    Column("fence", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint(
        "post_pk", "account", "reshare", name="one_delivery_per_post_account_and_reshare"
    ),
)

delivery_parts = Table(
    "delivery_parts",
    metadata,
    # A thread's parts as each was posted: a resumed delivery continues after the last one.
    Column("delivery_id", Integer, primary_key=True, autoincrement=False),
    Column("part", Integer, primary_key=True, autoincrement=False),  # 1 is the thread's head
    Column("text", Text, nullable=False),
    Column("remote_id", String, nullable=False),
    Column("remote_url", String, nullable=True),
    Column("sent_at", String, nullable=False),
)

blog_owner = Table(
    "blog_owner",
    metadata,
    # Which node owns the blog's files and builds it (store/ownership.py): a lease, and an
    # epoch that grows with every change of owner, which every ledger write checks.
    Column("blog", String, primary_key=True),
    Column("owner", String, nullable=False),
    Column("epoch", BigInteger, nullable=False),
    Column("until_ms", BigInteger, nullable=False),  # the lease's end, Unix milliseconds
)

remote_inbox = Table(
    "remote_inbox",
    metadata,
    # On a cluster, what a poll of a remote source found, by whichever node polled it
    # (store/inbox.py), until the owner's build stores it and deletes the row in one
    # transaction: RemoteBatch as JSON (pipeline/remote_entries.py).
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String, nullable=False),
    Column("state", Text, nullable=False),  # the source's state after that poll
    Column("batch", Text, nullable=False),
)

source_due = Table(
    "source_due",
    metadata,
    # On a cluster: each remote source's host and when its next poll is due (Unix ms), for the
    # tick that hands each due host to one node (cluster/polls.py).
    Column("source", String, primary_key=True),
    Column("host", String, nullable=False, index=True),
    Column("due_ms", BigInteger, nullable=False, index=True),
)

cluster_nodes = Table(
    "cluster_nodes",
    metadata,
    # The replicas that serve a blog, each beating every third of the lease
    # (store/nodes.py): what `syndicate status` lists, and when each was last seen.
    Column("blog", String, primary_key=True),
    Column("node", String, primary_key=True),
    Column("host", String, nullable=False),
    Column("pid", BigInteger, nullable=False),
    Column("version", String, nullable=False),
    Column("started_ms", BigInteger, nullable=False),  # Unix milliseconds
    Column("seen_ms", BigInteger, nullable=False),
)

feed_documents = Table(
    "feed_documents",
    metadata,
    # Each feed's bytes as the owner last built them, written in the build's transaction, so
    # every node of a cluster serves the same bytes and ETag (web/shared_feeds.py).
    Column("path", String, primary_key=True),
    Column("body", LargeBinary, nullable=False),
    Column("etag", String, nullable=False),
    Column("modified_ms", BigInteger, nullable=False),  # Unix milliseconds, for Last-Modified
)

account_states = Table(
    "account_states",
    metadata,
    Column("account", String, primary_key=True),
    Column("paused", Integer, nullable=False, default=0),
    Column("reason", Text, nullable=True),  # why it is paused, for people
    Column("since", String, nullable=True),
    Column("not_before", String, nullable=True),  # a rate limit's reset: nothing goes out before
)


def upsert(
    conn: Any, table: Table, rows: list[dict[str, Any]], key: str, keep: tuple[str, ...] = ()
) -> None:
    """Insert or update rows by key on a SQLAlchemy connection, with the ledger's statement
    (store/database.py); columns in `keep` are written by an insert but left alone by an
    update."""
    if rows:
        names = tuple(c.name for c in table.columns)
        conn.execute(text(upsert_statement(table.name, names, key, keep)), rows)
