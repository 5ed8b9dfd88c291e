# ruff: noqa: E501
"""The newest schema as SQLite statements, so that a new ledger is made without
importing SQLAlchemy (about 0.2 s of every cold `syndicate build`). Generated from
schema.py; tests/store/test_migrations.py checks that it is current. To regenerate:

    python -c 'from syndicate.store.migrations import steps; steps.write_new_sqlite()'
"""

REVISION = "0007_post_stamp_index"
STATEMENTS = (
    "CREATE TABLE account_states ( account VARCHAR NOT NULL, paused INTEGER NOT NULL, reason TEXT, since VARCHAR, not_before VARCHAR, PRIMARY KEY (account) )",
    "CREATE TABLE blog_owner ( blog VARCHAR NOT NULL, owner VARCHAR NOT NULL, epoch BIGINT NOT NULL, until_ms BIGINT NOT NULL, PRIMARY KEY (blog) )",
    "CREATE TABLE bodies ( source VARCHAR NOT NULL, body TEXT NOT NULL, PRIMARY KEY (source) )",
    "CREATE TABLE cluster_nodes ( blog VARCHAR NOT NULL, node VARCHAR NOT NULL, host VARCHAR NOT NULL, pid BIGINT NOT NULL, version VARCHAR NOT NULL, started_ms BIGINT NOT NULL, seen_ms BIGINT NOT NULL, PRIMARY KEY (blog, node) )",
    "CREATE TABLE deliveries ( id INTEGER NOT NULL, post_pk INTEGER NOT NULL, entry_id VARCHAR NOT NULL, account VARCHAR NOT NULL, status VARCHAR NOT NULL, published_at VARCHAR NOT NULL, created VARCHAR NOT NULL, updated VARCHAR NOT NULL, due VARCHAR, attempts INTEGER NOT NULL, not_before VARCHAR, uncertain INTEGER NOT NULL, lease_owner VARCHAR, lease_until VARCHAR, text TEXT, remote_id VARCHAR, remote_url VARCHAR, sent_at VARCHAR, last_error TEXT, reshare INTEGER DEFAULT '0' NOT NULL, fence INTEGER DEFAULT '0' NOT NULL, PRIMARY KEY (id), CONSTRAINT one_delivery_per_post_account_and_reshare UNIQUE (post_pk, account, reshare) )",
    "CREATE INDEX ix_deliveries_account ON deliveries (account)",
    "CREATE INDEX ix_deliveries_status ON deliveries (status)",
    "CREATE TABLE delivery_parts ( delivery_id INTEGER NOT NULL, part INTEGER NOT NULL, text TEXT NOT NULL, remote_id VARCHAR NOT NULL, remote_url VARCHAR, sent_at VARCHAR NOT NULL, PRIMARY KEY (delivery_id, part) )",
    "CREATE TABLE events ( seq INTEGER NOT NULL, post_pk INTEGER NOT NULL, entry_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, at VARCHAR NOT NULL, backfill INTEGER NOT NULL, PRIMARY KEY (seq) )",
    "CREATE INDEX ix_events_post_pk ON events (post_pk)",
    "CREATE TABLE feed_documents ( path VARCHAR NOT NULL, body BLOB NOT NULL, etag VARCHAR NOT NULL, modified_ms BIGINT NOT NULL, PRIMARY KEY (path) )",
    'CREATE TABLE feeds ( path VARCHAR NOT NULL, kind VARCHAR NOT NULL, "key" VARCHAR NOT NULL, name VARCHAR NOT NULL, feed_id VARCHAR NOT NULL, signature VARCHAR NOT NULL, digest VARCHAR NOT NULL, size BIGINT NOT NULL, entries INTEGER NOT NULL, pinged VARCHAR, members TEXT, PRIMARY KEY (path) )',
    "CREATE TABLE posts ( pk INTEGER NOT NULL, entry_id VARCHAR NOT NULL, source VARCHAR, declared_id VARCHAR, content_hash VARCHAR NOT NULL, title_key VARCHAR NOT NULL, source_hash VARCHAR NOT NULL, mtime_ns BIGINT NOT NULL, size BIGINT NOT NULL, body_format VARCHAR NOT NULL, post TEXT NOT NULL, first_seen VARCHAR NOT NULL, updated VARCHAR NOT NULL, public INTEGER NOT NULL, published_at VARCHAR, PRIMARY KEY (pk), UNIQUE (entry_id) )",
    "CREATE INDEX ix_posts_source_stamp ON posts (source, mtime_ns, size, public)",
    "CREATE INDEX ix_posts_updated ON posts (updated)",
    "CREATE TABLE remote_inbox ( id INTEGER NOT NULL, source VARCHAR NOT NULL, state TEXT NOT NULL, batch TEXT NOT NULL, PRIMARY KEY (id) )",
    "CREATE TABLE source_due ( source VARCHAR NOT NULL, host VARCHAR NOT NULL, due_ms BIGINT NOT NULL, PRIMARY KEY (source) )",
    "CREATE INDEX ix_source_due_due_ms ON source_due (due_ms)",
    "CREATE INDEX ix_source_due_host ON source_due (host)",
    "CREATE TABLE sources ( name VARCHAR NOT NULL, state TEXT NOT NULL, PRIMARY KEY (name) )",
    'CREATE TABLE state ( "key" VARCHAR NOT NULL, value TEXT NOT NULL, PRIMARY KEY ("key") )',
)
