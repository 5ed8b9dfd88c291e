"""Bringing a ledger to the newest schema with SQLAlchemy and Alembic (see __init__.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from syndicate.errors import StoreError
from syndicate.store import schema
from syndicate.store.migrations import BASELINE, HEAD, LEGACY_VERSION

_FOLDER = Path(__file__).parent
_MIGRATION_LOCK = 7_306_030_106  # pg_advisory_xact_lock key: one node upgrades at a time


def upgrade(engine: Engine) -> None:
    """Bring the database at `engine` to the newest schema (in one transaction)."""
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Replicas starting together on a new ledger would each create its tables; the
                # others wait here, then find it at the head.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            current = _current(conn)
            if current == HEAD:
                return
            if current is None:
                current = _adopt(conn)
            if current != HEAD:
                _run_revisions(conn, current)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot bring the ledger up to date: {exc}") from exc


def _current(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return str(row[0]) if row else None


def _adopt(conn: Connection) -> str:
    """Stamp a database Alembic has not seen: a new one as the head, an old one (after its
    pre-Alembic steps) as the baseline. The revision it is at now."""
    known = inspect(conn).has_table("posts")
    version = _legacy_version(conn) if known else None
    if version is not None and version > LEGACY_VERSION:
        raise StoreError(
            f"the ledger was written by a newer syndicate (schema {version}); upgrade syndicate"
        )
    if version is not None and version < 2:
        _legacy_columns(conn, version)
    schema.metadata.create_all(conn)
    stamped = BASELINE if known else HEAD
    conn.execute(text("CREATE TABLE IF NOT EXISTS alembic_version "
                      "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))  # fmt: skip
    conn.execute(text("DELETE FROM alembic_version"))
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": stamped})
    _put_state(conn, "schema_version", str(LEGACY_VERSION))
    return stamped


def _legacy_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table("state"):
        return None
    found = conn.execute(
        select(schema.state.c.value).where(schema.state.c.key == "schema_version")
    ).first()
    return int(found[0]) if found and str(found[0]).isdigit() else None


def _legacy_columns(conn: Connection, version: int) -> None:
    """What the ledger's own migrations did before Alembic (schema_version 1 to 2)."""
    for table, column, kind in schema.LEGACY_COLUMNS:
        present = {c["name"] for c in inspect(conn).get_columns(table)}
        if column not in present:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
    conn.execute(text("UPDATE feeds SET pinged = digest WHERE pinged IS NULL"))
    # Posts the old ledger knew were never marked public: the next build must take them as
    # already seen, not announce them all again (see pipeline/events.py).
    _put_state(conn, "events_baseline", "pending")


def _put_state(conn: Connection, key: str, value: str) -> None:
    conn.execute(schema.state.delete().where(schema.state.c.key == key))
    conn.execute(schema.state.insert().values(key=key, value=value))


def _run_revisions(conn: Connection, current: str) -> None:
    """Alembic's upgrade from `current` to the head, on this connection (env.py runs it)."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(_FOLDER))
    config.attributes["connection"] = conn
    try:
        ScriptDirectory.from_config(config).get_revision(current)
    except CommandError:
        raise StoreError(
            f"the ledger was written by a newer syndicate (revision {current}); upgrade syndicate"
        ) from None
    command.upgrade(config, "head")


def sqlite_ddl() -> tuple[str, ...]:
    """The newest schema as SQLite statements: what new_sqlite.py holds (a test keeps it so)."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = sqlite.dialect()
    statements: list[str] = []
    for table in schema.metadata.sorted_tables:
        statements.append(_one_line(CreateTable(table).compile(dialect=dialect)))
        indexes = sorted(table.indexes, key=lambda i: str(i.name))
        statements.extend(_one_line(CreateIndex(i).compile(dialect=dialect)) for i in indexes)
    return tuple(statements)


def write_new_sqlite() -> None:
    """Regenerate new_sqlite.py from schema.py (after adding a revision)."""
    lines = [
        "# ruff: noqa: E501",
        '"""The newest schema as SQLite statements, so that a new ledger is made without',
        "importing SQLAlchemy (about 0.2 s of every cold `syndicate build`). Generated from",
        "schema.py; tests/store/test_migrations.py checks that it is current. To regenerate:",
        "",
        "    python -c 'from syndicate.store.migrations import steps; steps.write_new_sqlite()'",
        '"""',
        "",
        f"REVISION = {HEAD!r}",
        "STATEMENTS = (",
        *(f"    {statement!r}," for statement in sqlite_ddl()),
        ")",
        "",
    ]
    (_FOLDER / "new_sqlite.py").write_text("\n".join(lines), "utf-8")


def _one_line(compiled: object) -> str:
    return " ".join(str(compiled).split())
