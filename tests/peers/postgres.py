"""A private PostgreSQL server for the tests: Debian's `postgresql` binaries, a fresh cluster
in a temporary folder, listening on 127.0.0.1 at a free port, stopped at the end.

PostgreSQL will not run as root: under root (CI containers) the cluster is made and run as the
`postgres` user the Debian package creates. `.ci/run` installs the package; where it is absent
the tests that need it skip, except under CI, where they fail (they must never silently not
run there).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
INSTALL = "apt-get install -y postgresql"


def installed() -> bool:
    return BIN is not None and (BIN / "initdb").is_file() and _driver()


def _driver() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


def skip_unless_installed() -> None:
    if installed():
        return
    reason = f"PostgreSQL is not installed here ({INSTALL}, and psycopg)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def running_postgres() -> Iterator[str]:
    """A server, and the URL of its `postgres` database as the `postgres` superuser."""
    assert BIN is not None
    folder = Path(tempfile.mkdtemp(prefix="syndicate-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    port = _free_port()
    owner = _as_owner(folder)
    try:
        _run(owner, "initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
             "--no-sync")  # fmt: skip
        # Room for the storms' six daemons (three replicas of two blogs), each with its
        # ledger's pool and procrastinate's: the default 100 connections ran out once in CI.
        options = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=300"
        )
        log = str(folder / "server.log")
        _run(owner, "pg_ctl", "-D", str(data), "-o", options, "-w", "-s", "-l", log, "start")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run(owner, "pg_ctl", "-D", str(data), "-m", "immediate", "-s", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server: str, name: str) -> str:
    """A new, empty database on `server`; its URL."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


def _as_owner(folder: Path) -> list[str]:
    """The command prefix that runs PostgreSQL's programs as a user it accepts."""
    if os.geteuid() != 0:
        return []
    shutil.chown(folder, "postgres", "postgres")
    for path in folder.rglob("*"):
        shutil.chown(path, "postgres", "postgres")
    return ["runuser", "-u", "postgres", "--"]


def _run(owner: list[str], program: str, *args: str) -> None:
    assert BIN is not None
    command = [*owner, str(BIN / program), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
    if done.returncode != 0:
        raise RuntimeError(f"{program} failed: {done.stderr}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
