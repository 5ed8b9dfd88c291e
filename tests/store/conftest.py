"""A new ledger for each test, on SQLite or (SYNDICATE_TEST_STORE=postgresql) PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def ledger_url(tmp_path: Path, postgres_server: str | None) -> str:
    """A new ledger's URL: SQLite, or PostgreSQL when the suite runs on it."""
    if postgres_server is None:
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    from tests.peers.postgres import fresh_database

    return fresh_database(postgres_server, f"ledger_{tmp_path.name}"[:60])
