"""Each feed file's members: the entry ids it lists, so that a build which only adds posts
reads the posts of the feeds it changes rather than the whole ledger (`feeds.members`, NULL
until the next build that plans the feed records it).

Revision ID: 0006_feed_members
Revises: 0005_cluster_nodes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_feed_members"
down_revision = "0005_cluster_nodes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if any(column["name"] == "members" for column in inspector.get_columns("feeds")):
        return
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("members", sa.Text, nullable=True))
