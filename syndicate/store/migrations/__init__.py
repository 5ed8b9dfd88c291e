"""The ledger's schema over time, as Alembic revisions (versions/), for SQLite and PostgreSQL
alike; `upgrade(database)` brings any ledger to the newest schema when it is opened.

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

Opening a ledger already at the newest revision reads one row through the driver and imports
neither SQLAlchemy nor Alembic (steps.py does the rest).
"""

from __future__ import annotations

from syndicate.errors import StoreError
from syndicate.store.database import Database

HEAD = "0007_post_stamp_index"  # the newest revision: tests/store/test_migrations.py keeps it true
BASELINE = "0001_baseline"  # the schema as syndicate's schema_version 2 left it
LEGACY_VERSION = 3  # written to state.schema_version: pre-Alembic syndicates refuse the ledger


def upgrade(database: Database) -> None:
    """Bring `database` to the newest schema (in one transaction)."""
    if _at_head(database) or _created_new_sqlite(database):
        return
    from syndicate.store.migrations import steps

    steps.upgrade(database.engine)


def _at_head(database: Database) -> bool:
    try:
        with database.reading() as cursor:
            cursor.execute(database.statement("SELECT version_num FROM alembic_version"))
            rows = cursor.fetchall()
    except StoreError:
        return False  # no such table yet: a new or pre-Alembic ledger
    return [tuple(row) for row in rows] == [(HEAD,)]


def _created_new_sqlite(database: Database) -> bool:
    """Make an empty SQLite ledger's tables as they are now, stamped as the head, from
    new_sqlite.py. False, having done nothing, when it is not SQLite or not empty."""
    if database.dialect != "sqlite":
        return False
    from syndicate.store.migrations import new_sqlite

    with database.writing() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        if cursor.fetchone()[0]:
            return False
        for statement in new_sqlite.STATEMENTS:
            cursor.execute(statement)
        cursor.execute(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"
        )
        cursor.execute("INSERT INTO alembic_version VALUES (?)", (new_sqlite.REVISION,))
        cursor.execute(
            "INSERT INTO state (key, value) VALUES ('schema_version', ?)", (str(LEGACY_VERSION),)
        )
    return True
