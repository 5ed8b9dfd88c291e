"""The baseline: the schema as syndicate's own `schema_version` 2 left it (posts, feeds,
events, bodies, sources, state, deliveries, account_states). Nothing to do: a ledger from
before Alembic is brought to it by migrations.upgrade, then stamped with this revision.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass
