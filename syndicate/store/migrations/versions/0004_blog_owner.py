"""Several nodes: the blog's owner lease (`blog_owner`: owner, epoch, lease end) and the feed
documents every node serves (`feed_documents`).

Revision ID: 0004_blog_owner
Revises: 0003_fence
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_blog_owner"
down_revision = "0003_fence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("blog_owner"):
        op.create_table(
            "blog_owner",
            sa.Column("blog", sa.String, primary_key=True),
            sa.Column("owner", sa.String, nullable=False),
            sa.Column("epoch", sa.BigInteger, nullable=False),
            sa.Column("until_ms", sa.BigInteger, nullable=False),
        )
    if not inspector.has_table("feed_documents"):
        op.create_table(
            "feed_documents",
            sa.Column("path", sa.String, primary_key=True),
            sa.Column("body", sa.LargeBinary, nullable=False),
            sa.Column("etag", sa.String, nullable=False),
            sa.Column("modified_ms", sa.BigInteger, nullable=False),
        )
