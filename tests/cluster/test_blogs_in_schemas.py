"""Several blogs in one PostgreSQL database, each in its own schema (`[store] schema`): their
ledgers and their owners never mix, a schema a DBA made beforehand is used by a role that may
not create one, and two `syndicate run` replicas, each serving a folder of two blogs, build and
serve both, and poll the two blogs' sources on four shared hosts one request per host at a
time, the blogs together (procrastinate's tables are the deployment's, outside the schemas)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
import sqlalchemy

from syndicate.cluster.tasks import conninfo
from syndicate.config import load_settings
from syndicate.store.database import Database
from syndicate.store.ledger import Ledger
from syndicate.store.ownership import Ownership
from syndicate.store_url import schema_of, with_schema
from tests.peers.planet import Planet, sources_config
from tests.peers.postgres import fresh_database
from tests.test_blogs import make_blog, serves
from tests.test_cli import run
from tests.test_daemon import wait_for


@pytest.fixture
def database(cluster_server: str, tmp_path: Path) -> str:
    return fresh_database(cluster_server, f"blogs_{tmp_path.name}"[:60])


def tables(url: str, schema: str) -> set[str]:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            sqlalchemy.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        )
        names = {row[0] for row in found}
    engine.dispose()
    return names


def apart(count: int) -> list[int]:
    """Ports two apart or more, each free with the one above it: the second replica listens on
    each one plus one. Below the kernel's range for outgoing connections (32768 and up), where
    a client's connection (to PostgreSQL, say) cannot take the port above before the replica
    binds it, as one did in CI (Address already in use)."""
    ports: list[int] = []
    candidates = iter(random.Random().sample(range(20000, 32000, 2), 2000))
    while len(ports) < count:
        port = next(candidates)
        if all(abs(port - other) > 1 for other in ports) and bindable(port) and bindable(port + 1):
            ports.append(port)
    return ports


def bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def shared_blogs(base: Path, url: str, *, planet: Planet | None = None) -> None:
    """Blogs alpha and beta with one ledger URL, each in its own schema; with `planet`, a
    cluster, each blog with eight sources of the planet (two on each of its hosts)."""
    ports = apart(2) if planet else [0, 0]
    for number, name in enumerate(("alpha", "beta")):
        make_blog(base, name, ports[number], url=url)
        config = base / "blogs" / f"{name}.toml"
        text = config.read_text().replace("[store]\n", f'[store]\nschema = "{name}"\n')
        if planet is not None:
            text += "[cluster]\nenabled = true\nlease_seconds = 2\n"
            sources = sources_config(planet, 16, include=False)
            tables = sources.split("\n[[sources]]")[1:]
            mine = tables[8 * number : 8 * number + 8]  # sources on every host, both blogs
            text += "".join("\n[[sources]]" + t for t in mine)
        config.write_text(text)


def test_two_blogs_share_a_database_each_in_its_schema(database: str, tmp_path: Path) -> None:
    shared_blogs(tmp_path, database)
    built = run(["-c", "blogs", "build"], tmp_path)
    assert built.returncode == 0, built.stderr

    for name in ("alpha", "beta"):
        assert {"posts", "feeds", "alembic_version", "blog_owner"} <= tables(database, name)
        assert "procrastinate_jobs" not in tables(database, name)
        settings = load_settings(tmp_path / "blogs" / f"{name}.toml")
        assert schema_of(settings.store_url) == name
        ledger = Ledger.open(settings.store_url)
        titles = {record.post.title for record in ledger.records().values()}
        ledger.close()
        assert titles == {f"Hello from {name}"}
    assert "posts" not in tables(database, "public")

    shown = run(["-c", "blogs", "status"], tmp_path)
    assert shown.stdout.count("posts:   1 public of 1 present") == 2, shown.stdout


def test_replicas_opening_a_new_ledger_together_create_it_once(database: str) -> None:
    url = with_schema(database, "gamma")

    def open_it() -> None:
        Ledger.open(url).close()

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    failures: list[BaseException] = []
    threading.excepthook = lambda args: failures.append(args.exc_value or Exception())
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        threading.excepthook = threading.__excepthook__
    assert failures == []
    assert "posts" in tables(database, "gamma")


def test_the_schema_rides_in_every_connection_string(database: str) -> None:
    url = with_schema(database + "?connect_timeout=5&options=-c%20statement_timeout%3D0", "rdo")
    assert schema_of(url) == "rdo"
    assert "statement_timeout" in url and "connect_timeout=5" in url
    assert schema_of(with_schema(url, "planet")) == "planet"  # replaced, never doubled
    assert "search_path=rdo" not in with_schema(url, "planet")
    assert schema_of(conninfo(url)) == "rdo"  # procrastinate's own connections


def test_a_schema_made_by_a_dbaserves_a_role_that_cannot_create_one(database: str) -> None:
    admin = sqlalchemy.create_engine(database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text("DROP ROLE IF EXISTS blogger"))
        conn.execute(sqlalchemy.text("CREATE ROLE blogger LOGIN"))
        conn.execute(sqlalchemy.text("CREATE SCHEMA rdo AUTHORIZATION blogger"))
        name = database.rsplit("/", 1)[1]
        conn.execute(sqlalchemy.text(f'REVOKE CREATE ON DATABASE "{name}" FROM PUBLIC'))
    admin.dispose()
    url = with_schema(database.replace("postgres@", "blogger@", 1), "rdo")
    ledger = Ledger.open(url)  # migrates: creates its tables in rdo
    ledger.close()
    assert "posts" in tables(database, "rdo")

    other = Database(with_schema(database.replace("postgres@", "blogger@", 1), "planet"))
    with pytest.raises(Exception, match="cannot create the ledger's schema planet"):
        other.engine  # noqa: B018 (opening it is the test)
    other.close()


Replica = subprocess.Popen[bytes]


@pytest.fixture
def replicas(database: str, tmp_path: Path) -> Iterator[tuple[Path, list[Replica], Planet]]:
    with Planet() as planet:
        shared_blogs(tmp_path, database, planet=planet)
        started: list[Replica] = []
        yield tmp_path, started, planet
        for replica in started:
            if replica.poll() is None:
                replica.kill()


def start_replica(base: Path, number: int) -> Replica:
    log = (base / f"replica-{number}.log").open("w")
    env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_CONFIG"}
    # Both replicas on one machine: the second listens on each blog's port plus one.
    command = [sys.executable, "-m", "syndicate", "-c", "blogs", "run", "--log-format", "json",
               "--port-offset", str(number)]  # fmt: skip
    return subprocess.Popen(command, cwd=base, stdout=log, stderr=subprocess.STDOUT, env=env)


def test_replicas_of_two_blogs_build_serve_and_poll_both(
    database: str, replicas: tuple[Path, list[Replica], Planet]
) -> None:
    base, started, planet = replicas
    started += [start_replica(base, 0), start_replica(base, 1)]
    ports = {}
    for name in ("alpha", "beta"):
        settings = load_settings(base / "blogs" / f"{name}.toml")
        ports[name] = settings.server.port
        for offset in (0, 1):
            port = settings.server.port + offset
            wait_for(partial(serves, port, f"Hello from {name}"), f"{name} on :{port}")
        served = {_feed(settings.server.port + offset, name) for offset in (0, 1)}
        assert len(served) == 1  # the same ETag from both replicas
        owner = Ownership(Database(settings.store_url), settings.blog_name).holder()
        assert owner is not None
    assert "procrastinate_jobs" in tables(database, "public")  # the deployment's job tables
    wait_for(lambda: all(planet.requests[n] >= 2 for n in range(16)), "two polls of each source")
    assert planet.most_flying == 1, "two requests in flight to one host"

    started[0].send_signal(signal.SIGTERM)
    assert started[0].wait(60) == 0
    for name, port in ports.items():
        make_post = base / name / "source" / "blog" / "2024-06-01-more.html.md"
        make_post.write_text(f"---\ntitle: More from {name}\ndate: 2024-06-01\n---\nText.\n")
        wait_for(partial(serves, port + 1, f"More from {name}"), f"{name}'s new post")


def _feed(port: int, name: str) -> str | None:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/feed.xml", timeout=2)
    except httpx.HTTPError:
        return None
    if answer.status_code != 200 or f"Hello from {name}" not in answer.text:
        return None
    return answer.headers["etag"]
