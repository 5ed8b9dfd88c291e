"""The ledger's database at the driver level: SQLite through the standard library's `sqlite3`,
any other URL through a pooled SQLAlchemy engine's own driver connections.

Why not SQLAlchemy for SQLite too: importing it takes about 0.2 s on a small machine, more
than a whole build of a 300-post blog, and every `syndicate build` would pay it. The ledger
speaks a dozen plain statements that SQLite and PostgreSQL read alike, so it needs no more
than a driver. SQLAlchemy is imported only where it earns its cost: on PostgreSQL (its pool),
for schema changes (Alembic), and for the outbox and the dashboard (`engine`), which run in
the daemon anyway.

Statements are written with `:name` parameters and turned into the driver's own style.

On PostgreSQL every session of ours is ended by the server if it idles inside a transaction
for `idle_transaction_timeout` seconds. Our transactions are a few statements with no waiting
between them, so only a process that was frozen (SIGSTOP, a suspended VM) idles that long,
and while it does, it must not keep holding the row locks it took: a frozen blog owner's
lock on its lease row would otherwise stop any other node from taking the blog over.

Several blogs may share one PostgreSQL database, each in a schema of its own (`[store]
schema`, carried in the URL: `syndicate/store_url.py`); `Database` creates the schema the
first time it is missing.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syndicate.errors import StoreError
from syndicate.store_url import schema_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

_SQLITE = re.compile(r"sqlite(?:\+pysqlite)?://(?:/(?P<path>[^?]*))?$")
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class Database:
    """Short-lived driver connections to one database, and its SQLAlchemy engine on demand."""

    def __init__(self, url: str, *, idle_transaction_timeout: float = 5.0) -> None:
        self.url = url
        self._idle_transaction_ms = max(1, round(idle_transaction_timeout * 1000))
        found = _SQLITE.match(url)
        self._sqlite_path: str | None = None
        if found is not None:
            path = found.group("path") or ":memory:"
            self._sqlite_path = path
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._memory: sqlite3.Connection | None = None  # an in-memory database lives in one
        # One SQLite connection per thread, kept: opening one and setting its pragmas cost
        # more than a daemon's small writes (a planet's polls make several a second).
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        self.schema = None if self._sqlite_path is not None else schema_of(url)

    @property
    def dialect(self) -> str:
        return "sqlite" if self._sqlite_path is not None else self.engine.dialect.name

    @cached_property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (the outbox and the dashboard speak SQLAlchemy)."""
        from sqlalchemy import create_engine, event
        from sqlalchemy.exc import SQLAlchemyError

        try:
            engine = create_engine(self.url)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the ledger: {exc}") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", lambda conn, _record: sqlite_pragmas(conn))
        elif engine.dialect.name == "postgresql":
            idle = self._idle_transaction_ms
            event.listen(engine, "connect", lambda conn, _record: _postgres_session(conn, idle))
            if self.schema is not None:
                _create_schema(engine, self.schema)
        return engine

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()
        if "engine" in self.__dict__:
            self.engine.dispose()

    def statement(self, sql: str) -> str:
        """`sql`, written with `:name` parameters, in the driver's own style."""
        if self._sqlite_path is not None:
            return sql
        style = self.engine.dialect.paramstyle
        if style == "pyformat":
            return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
        if style == "named":
            return sql
        raise StoreError(f"the ledger cannot use this database's driver (parameter style {style})")

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A cursor for reading."""
        with self._connection("read") as conn:
            cursor = conn.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            conn.rollback()

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """A cursor inside one transaction: committed at the end, rolled back on an error."""
        with self._connection("write") as conn:
            cursor = conn.cursor()
            if self._sqlite_path is not None:
                cursor.execute("BEGIN IMMEDIATE")  # writers queue here, not at their first write
            try:
                yield cursor
            except BaseException:
                conn.rollback()
                raise
            finally:
                cursor.close()
            conn.commit()

    @contextmanager
    def _connection(self, purpose: str) -> Iterator[Any]:
        errors = self._errors
        try:
            if self._sqlite_path is None:
                pooled = self.engine.raw_connection()
                try:
                    yield pooled
                except errors:
                    pooled.invalidate()  # it may be dead (the server ended it): not back
                    raise
                finally:
                    pooled.close()  # back to the pool
            elif self._sqlite_path == ":memory:":
                if self._memory is None:
                    self._memory = _sqlite(":memory:", same_thread=False)
                yield self._memory
            else:
                yield self._thread_connection(self._sqlite_path)
        except errors as exc:
            # Not the URL: it may hold a password.
            raise StoreError(f"cannot {purpose} the ledger: {exc}") from exc

    def _thread_connection(self, path: str) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _sqlite(path, same_thread=False)  # `close` may come from another thread
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    @cached_property
    def _errors(self) -> tuple[type[BaseException], ...]:
        if self._sqlite_path is not None:
            return (sqlite3.Error,)
        from sqlalchemy.exc import SQLAlchemyError  # the pool's own, connecting included

        module = self.engine.dialect.dbapi
        error = getattr(module, "Error", None)
        found: tuple[type[BaseException], ...] = (sqlite3.Error, SQLAlchemyError)
        return (*found, error) if isinstance(error, type) else found


def _sqlite(path: str, *, same_thread: bool = True) -> sqlite3.Connection:
    # Autocommit mode: transactions are begun explicitly (`Database.writing`).
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=same_thread)
    sqlite_pragmas(conn)
    return conn


def sqlite_pragmas(conn: Any) -> None:
    cursor = conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the web app) never block the builder
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes, one fsync per checkpoint
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def unix_ms(moment: datetime) -> int:
    """A moment as the cluster's tables keep it: Unix milliseconds."""
    return int(moment.timestamp() * 1000)


def from_unix_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def _postgres_session(conn: Any, idle_transaction_ms: int) -> None:
    cursor = conn.cursor()
    cursor.execute(f"SET idle_in_transaction_session_timeout = {int(idle_transaction_ms)}")
    cursor.close()
    conn.commit()


def _create_schema(engine: Engine, schema: str) -> None:
    """Create the blog's schema unless it is there (a DBA may have made it, and granted us no
    right to create schemas: look before creating)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError, SQLAlchemyError

    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": schema}
            ).first()
            if found is None:
                conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
                conn.commit()
    except IntegrityError:
        pass  # another node created it at the same moment
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot create the ledger's schema {schema}: {exc}") from exc


@functools.cache
def upsert_statement(table: str, names: tuple[str, ...], key: str, keep: tuple[str, ...]) -> str:
    """Insert or update by key, with `:name` parameters; columns in `keep` are written by an
    insert but left alone by an update. SQLite and PostgreSQL both speak `ON CONFLICT`."""
    marks = ", ".join(f":{n}" for n in names)
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != key and n not in keep)
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )
