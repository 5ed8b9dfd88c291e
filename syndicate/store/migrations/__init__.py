"""The ledger's schema over time, as Alembic revisions (versions/), for SQLite and PostgreSQL
alike; `upgrade(engine)` brings any ledger to the newest schema when it is opened.

Three kinds of database arrive here:
- a new one: the tables are created as schema.py has them now, and stamped as the newest
  revision (Alembic's advice for a fresh database);
- one from before Alembic (its `state` table says `schema_version` 1 or 2): its columns are
  brought to version 2, as that code did, any missing table is created, and it is stamped as
  the baseline revision, then upgraded like any other;
- one Alembic already knows: upgraded from its revision. A revision this syndicate does not
  know means a newer syndicate wrote it: refused, never guessed at.

Every revision checks what is there before changing it, so a table created by the second
path in its newest form is left as it is.

Opening a ledger already at the newest revision reads one row and imports nothing of Alembic.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from syndicate.errors import StoreError
from syndicate.store import schema

HEAD = "0002_reshares"  # the newest revision: tests/store/test_migrations.py keeps it true
BASELINE = "0001_baseline"  # the schema as syndicate's schema_version 2 left it
LEGACY_VERSION = 3  # written to state.schema_version: pre-Alembic syndicates refuse the ledger
_FOLDER = Path(__file__).parent


def upgrade(engine: Engine) -> None:
    """Bring the database at `engine` to the newest schema (in one transaction)."""
    try:
        with engine.begin() as conn:
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
