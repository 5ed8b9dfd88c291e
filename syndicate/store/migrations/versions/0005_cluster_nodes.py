"""Several nodes: the replicas serving each blog and when each was last seen (`cluster_nodes`);
what polls of remote sources found, waiting for the owner's build (`remote_inbox`), and when
each source is due (`source_due`).

Revision ID: 0005_cluster_nodes
Revises: 0004_blog_owner
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_cluster_nodes"
down_revision = "0004_blog_owner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("remote_inbox"):
        op.create_table(
            "remote_inbox",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("source", sa.String, nullable=False),
            sa.Column("state", sa.Text, nullable=False),
            sa.Column("batch", sa.Text, nullable=False),
        )
    if not inspector.has_table("source_due"):
        op.create_table(
            "source_due",
            sa.Column("source", sa.String, primary_key=True),
            sa.Column("host", sa.String, nullable=False),
            sa.Column("due_ms", sa.BigInteger, nullable=False),
        )
        op.create_index("ix_source_due_host", "source_due", ["host"])
        op.create_index("ix_source_due_due_ms", "source_due", ["due_ms"])
    if inspector.has_table("cluster_nodes"):
        return
    op.create_table(
        "cluster_nodes",
        sa.Column("blog", sa.String, primary_key=True),
        sa.Column("node", sa.String, primary_key=True),
        sa.Column("host", sa.String, nullable=False),
        sa.Column("pid", sa.BigInteger, nullable=False),
        sa.Column("version", sa.String, nullable=False),
        sa.Column("started_ms", sa.BigInteger, nullable=False),
        sa.Column("seen_ms", sa.BigInteger, nullable=False),
    )
