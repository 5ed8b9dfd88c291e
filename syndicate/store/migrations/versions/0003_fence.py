"""Fencing: a delivery counts its claims (`fence`), so a write about a claim is refused once a
later claim has taken the row over, even one that holds the same owner and lease.

Revision ID: 0003_fence
Revises: 0002_reshares
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_fence"
down_revision = "0002_reshares"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("deliveries")}
    if "fence" in columns:  # created in its newest form (see migrations/__init__.py)
        return
    # "auto": a column with a constant default is a plain ALTER on both SQLite and PostgreSQL;
    # no table is rebuilt, so PostgreSQL's id sequence stays as it is.
    with op.batch_alter_table("deliveries", recreate="auto") as batch:
        batch.add_column(sa.Column("fence", sa.Integer, nullable=False, server_default="0"))
