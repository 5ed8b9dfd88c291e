"""The ledger's schema migrations (store/migrations, Alembic): a new ledger, one from before
Alembic and one at the newest revision all end with exactly the tables schema.py declares."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, Table, UniqueConstraint, create_engine, text
from sqlalchemy.exc import IntegrityError

from syndicate.store import migrations, schema
from syndicate.store.ledger import Ledger
from tests.peers.postgres import fresh_database

DELIVERY = {
    "post_pk": 1, "entry_id": "tag:x,2024:1", "account": "toots", "status": "sent",
    "published_at": "2024-06-01T00:00:00+00:00", "created": "2024-06-01T00:00:00+00:00",
    "updated": "2024-06-01T00:00:00+00:00", "attempts": 1, "uncertain": 0,
    "remote_id": "110", "text": "Posted before the upgrade",
}  # fmt: skip


def test_head_names_the_newest_revision() -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    assert ScriptDirectory.from_config(config).get_current_head() == migrations.HEAD


def differences(url: str) -> list[Any]:
    with create_engine(url).connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    return [d for d in found if not (isinstance(d, tuple) and d[0] == "remove_table")]


@pytest.fixture
def database(tmp_path: Path, postgres_server: str | None) -> Callable[[str], str]:
    """A new, empty database by name: SQLite files, or PostgreSQL databases when the suite
    runs with SYNDICATE_TEST_STORE=postgresql."""

    def made(name: str) -> str:
        if postgres_server is None:
            return f"sqlite:///{tmp_path / name}.db"
        return fresh_database(postgres_server, f"migrations_{name}")

    return made


def test_a_new_ledger_is_created_as_schema_py_declares_and_stamped(
    database: Callable[[str], str],
) -> None:
    url = database("new")
    Ledger.open(url).close()
    assert differences(url) == []
    assert version(url) == migrations.HEAD


def version_two_ledger(url: str) -> None:
    """A ledger as syndicate's schema_version 2 wrote it, before Alembic: no `reshare` nor
    `fence`, the old one-delivery-per-post-and-account constraint, no delivery_parts."""
    old = MetaData()
    for table in schema.metadata.sorted_tables:
        if table.name == "deliveries":
            columns = [
                Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable,
                       index=c.index, autoincrement=c.autoincrement)
                for c in table.columns
                if c.name not in {"reshare", "fence"}
            ]  # fmt: skip
            name = "one_delivery_per_post_and_account"
            unique = UniqueConstraint("post_pk", "account", name=name)
            Table("deliveries", old, *columns, unique)
        elif table.name != "delivery_parts":
            table.to_metadata(old)
    engine = create_engine(url)
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO state (key, value) VALUES ('schema_version', '2')"))
        conn.execute(old.tables["deliveries"].insert().values(**DELIVERY))
    engine.dispose()


def test_a_ledger_from_before_alembic_is_brought_up_to_date_keeping_its_rows(
    database: Callable[[str], str],
) -> None:
    url = database("old")
    version_two_ledger(url)
    ledger = Ledger.open(url)
    try:
        with ledger.engine.begin() as conn:
            query = text("SELECT remote_id, text, reshare, fence FROM deliveries")
            [row] = conn.execute(query).all()
            assert tuple(row) == ("110", "Posted before the upgrade", 0, 0)
            # the same post for the same account again, as its first re-share: allowed now
            conn.execute(schema.deliveries.insert().values(**DELIVERY, reshare=1))
    finally:
        ledger.close()
    assert differences(url) == []
    assert version(url) == migrations.HEAD
    with create_engine(url).connect() as conn:
        state = {str(k): str(v) for k, v in conn.execute(text("SELECT key, value FROM state"))}
    assert state["schema_version"] == str(migrations.LEGACY_VERSION)  # older syndicates refuse


def test_opening_an_up_to_date_ledger_again_changes_nothing(
    database: Callable[[str], str],
) -> None:
    url = database("again")
    Ledger.open(url).close()
    Ledger.open(url).close()
    assert version(url) == migrations.HEAD and differences(url) == []


def test_a_delivery_is_still_one_per_post_account_and_reshare(
    database: Callable[[str], str],
) -> None:
    url = database("unique")
    Ledger.open(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(schema.deliveries.insert().values(**DELIVERY))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(schema.deliveries.insert().values(**DELIVERY))
    engine.dispose()


def version(url: str) -> str:
    with create_engine(url).connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def test_an_up_to_date_ledger_opens_without_loading_alembic(
    database: Callable[[str], str],
) -> None:
    url = database("quick")
    Ledger.open(url).close()
    program = (
        "import sys; from syndicate.store.ledger import Ledger; "
        f"Ledger.open({url!r}).close(); print('alembic' in sys.modules)"
    )
    command = [sys.executable, "-c", program]
    shown = subprocess.run(command, capture_output=True, text=True, check=False)
    assert shown.stdout.strip() == "False", shown.stderr


def test_the_new_sqlite_schema_is_generated_from_schema_py() -> None:
    """new_sqlite.py (a new SQLite ledger made without SQLAlchemy) is schema.py's newest form:
    after a change, regenerate it with `steps.write_new_sqlite()`."""
    from syndicate.store.migrations import new_sqlite, steps

    assert new_sqlite.REVISION == migrations.HEAD
    assert steps.sqlite_ddl() == new_sqlite.STATEMENTS


def test_a_new_sqlite_ledger_is_made_without_sqlalchemy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    program = (
        "import sys; from syndicate.store.ledger import Ledger; "
        f"Ledger.open({url!r}).close(); print(sorted({{m.split('.')[0] for m in sys.modules}}"
        " & {'sqlalchemy', 'alembic'}))"
    )
    command = [sys.executable, "-c", program]
    shown = subprocess.run(command, capture_output=True, text=True, check=False)
    assert shown.stdout.strip() == "[]", shown.stderr
    assert differences(url) == [] and version(url) == migrations.HEAD
    with create_engine(url).connect() as conn:
        state = {str(k): str(v) for k, v in conn.execute(text("SELECT key, value FROM state"))}
    assert state == {"schema_version": str(migrations.LEGACY_VERSION)}


def test_a_ledger_at_the_reshares_revision_gains_the_fence_keeping_its_rows(
    database: Callable[[str], str],
) -> None:
    url = database("reshares")
    Ledger.open(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:  # back to 0002: the table as it was, without `fence`
        conn.execute(schema.deliveries.insert().values(**DELIVERY))
        operations = Operations(MigrationContext.configure(conn))
        with operations.batch_alter_table("deliveries", recreate="auto") as batch:
            batch.drop_column("fence")
        conn.execute(text("UPDATE alembic_version SET version_num = '0002_reshares'"))
    engine.dispose()
    Ledger.open(url).close()
    assert version(url) == migrations.HEAD and differences(url) == []
    with create_engine(url).connect() as conn:
        rows = conn.execute(text("SELECT id, remote_id, fence FROM deliveries")).all()
    assert [tuple(r) for r in rows] == [(1, "110", 0)]
