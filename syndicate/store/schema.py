"""Tables of the ledger database."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

SCHEMA_VERSION = 1

metadata = MetaData()

posts = Table(
    "posts",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=False),
    Column("entry_id", String, nullable=False, unique=True),  # the id feeds carry, forever
    Column("source", String, nullable=True, index=True),  # current file; NULL once deleted
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
)

state = Table(
    "state",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)
