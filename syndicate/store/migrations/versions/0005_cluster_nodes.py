"""Several nodes: the replicas serving each blog and when each was last seen (`cluster_nodes`).

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
    if sa.inspect(op.get_bind()).has_table("cluster_nodes"):
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
