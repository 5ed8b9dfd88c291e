"""Two indexes on posts, for a build that only adds posts. Every file's stamp (source,
mtime_ns, size) and the public posts' count are read from an index rather than from the rows,
which hold each post's JSON; `updated` is looked up when a new post's instant may be taken.
The stamp index starts with `source`, so it replaces the index on `source` alone.

Revision ID: 0007_post_stamp_index
Revises: 0006_feed_members
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_post_stamp_index"
down_revision = "0006_feed_members"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("posts")}
    if "ix_posts_source_stamp" not in present:
        op.create_index("ix_posts_source_stamp", "posts", ["source", "mtime_ns", "size", "public"])
    if "ix_posts_updated" not in present:
        op.create_index("ix_posts_updated", "posts", ["updated"])
    if "ix_posts_source" in present:
        op.drop_index("ix_posts_source", table_name="posts")
