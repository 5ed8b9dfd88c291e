"""Re-shares and threads: a delivery has a `reshare` number (0 for the new post, then 1, 2...
for each planned re-share of it), unique with its post and account; a thread's posted parts
are kept in `delivery_parts`.

Revision ID: 0002_reshares
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_reshares"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

OLD_UNIQUE = "one_delivery_per_post_and_account"
NEW_UNIQUE = "one_delivery_per_post_account_and_reshare"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    columns = {column["name"] for column in inspector.get_columns("deliveries")}
    if "reshare" not in columns:
        # "auto": SQLite rebuilds the table (it cannot drop a constraint); PostgreSQL alters
        # it in place (a rebuilt copy would restart the id sequence under existing rows).
        with op.batch_alter_table("deliveries", recreate="auto") as batch:
            batch.add_column(sa.Column("reshare", sa.Integer, nullable=False, server_default="0"))
            batch.drop_constraint(OLD_UNIQUE, type_="unique")
            batch.create_unique_constraint(NEW_UNIQUE, ["post_pk", "account", "reshare"])
    if not inspector.has_table("delivery_parts"):
        op.create_table(
            "delivery_parts",
            sa.Column("delivery_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("part", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("remote_id", sa.String, nullable=False),
            sa.Column("remote_url", sa.String, nullable=True),
            sa.Column("sent_at", sa.String, nullable=False),
        )
