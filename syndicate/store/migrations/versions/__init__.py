"""Alembic revisions of the ledger, oldest first (see store/migrations)."""
