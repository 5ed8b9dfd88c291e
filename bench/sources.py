"""Polling a planet: many remote sources on loopback hosts, polled by one `syndicate run`.

    python bench/sources.py [--sources 50000] [--hosts 32] [--minutes 5] [--interval 900]
                            [--new-share 0.01] [--store sqlite|postgresql] [--nodes N]

Serves SOURCES small Atom feeds from HOSTS loopback addresses (127.0.1.1, 127.0.1.2, ...), each
address its own threaded HTTP server, and starts `syndicate run` with one `[[sources]]` table
per feed, every INTERVAL seconds. Before it starts, the ledger is given each source's state as
a running daemon would have left it: validators (so a poll is answered 304 unless the feed
changed) and a next poll spread evenly over one interval. So the run measures the steady
state, not a first poll of everything at once. NEW_SHARE of the polls find a new entry.

After MINUTES the daemon is stopped, and the table says: polls per second, how late each poll
came against its due time (median, p99, max), the daemon's CPU (cores) and memory (PSS at the
end), the largest number of requests in flight to one host (at most `watch.per_host`, 1), and
with `--store postgresql` the server's CPU too (a private cluster, as the tests make one).

`--nodes N` runs N `syndicate run` replicas with `[cluster] enabled` on PostgreSQL instead: the
polls are shared out a host at a time through procrastinate jobs, and the table gives each
node's CPU and memory.

A poll's due time is known only for each source's first poll of the run (the one the seeded
state names), so runs shorter than INTERVAL measure every poll, and longer ones only those.
"""

from __future__ import annotations

import argparse
import http.server
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import ExitStack, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import measure

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # the tests' private PostgreSQL cluster

from syndicate.store.ledger import Ledger  # noqa: E402
from syndicate.watch.schedule import SourceState  # noqa: E402

ETAG = '"v1"'


class Planet:
    """The feeds and what was asked of them: (source, arrival) of every request, and the
    number of requests in flight per host at most."""

    def __init__(self, hosts: int, new_share: float, seed: int = 1) -> None:
        self.addresses = [f"127.0.1.{n + 1}" for n in range(hosts)]
        self.new_share = new_share
        self.rng = random.Random(seed)
        self.arrivals: list[tuple[int, float, int]] = []  # source, time.time(), status
        self.flying: dict[str, int] = defaultdict(int)
        self.most_flying = 0
        self.most_flying_at = 0.0  # when that many were first in flight
        self.versions: dict[int, int] = defaultdict(int)
        self._lock = threading.Lock()
        self.servers: list[http.server.ThreadingHTTPServer] = []

    def start(self) -> int:
        port = free_port(self.addresses[0])
        planet = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                planet.answer(self)

            def log_message(self, *_: Any) -> None:
                pass

        for address in self.addresses:
            server = http.server.ThreadingHTTPServer((address, port), Handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
        return port

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        host = handler.headers.get("Host", "").rpartition(":")[0]
        source = int(handler.path.rsplit("/", 1)[1].removesuffix(".xml"))
        with self._lock:
            self.flying[str(host)] += 1
            if self.flying[str(host)] > self.most_flying:
                self.most_flying, self.most_flying_at = self.flying[str(host)], time.time()
            fresh = self.rng.random() < self.new_share
            if fresh:
                self.versions[source] += 1
            version = self.versions[source]
        etag = f'"v{version + 1}"'
        headers = {"ETag": etag}
        body = b""
        if not fresh and handler.headers.get("If-None-Match") == etag:
            status = 304
        else:
            status, body = 200, _feed(source, version).encode()
            headers["Content-Type"] = "application/atom+xml"
        headers["Content-Length"] = str(len(body))
        # Counted out before the answer leaves: the client can only ask again once it has
        # the answer, so two in flight to one host means it truly did not wait.
        with self._lock:
            self.flying[str(host)] -= 1
            self.arrivals.append((source, time.time(), status))
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)


def _feed(source: int, version: int) -> str:
    entries = "".join(
        f"<entry><id>tag:planet.test,2026:{source}/{n}</id><title>Post {n} of blog {source}"
        f"</title><updated>2026-0{1 + n % 9}-01T00:00:00Z</updated>"
        f"<link href='https://blog{source}.test/{n}'/><content type='html'>&lt;p&gt;Hello "
        f"{n}&lt;/p&gt;</content></entry>"
        for n in range(version + 1)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<id>tag:planet.test,2026:{source}</id><title>Blog {source}</title>"
        f"<updated>2026-01-01T00:00:00Z</updated>{entries}</feed>"
    )


def planet_tables(blog: Path, store_url: str) -> list[str]:
    """The tables every planet bench's config starts with: the blog, its feed, its ledger."""
    return [
        '[site]\ntitle = "Planet"\nurl = "https://planet.test/"',
        f'[content]\nroot = "{blog}"',
        '[feeds]\noutput = "public"\nformats = ["atom"]',
        "[watch]\nrescan = 0",
        f"[server]\nport = {free_port('127.0.0.1')}",
        f'[store]\nurl = "{store_url}"\ncache = "cache.sqlite"',
    ]


def write_config(
    home: Path,
    blog: Path,
    store_url: str,
    planet: Planet,
    port: int,
    args: argparse.Namespace,
    node: str = "",
) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    lines = [*planet_tables(blog, store_url), '[log]\nlevel = "warning"']
    if node:
        lines.append(f'[cluster]\nenabled = true\nnode = "{node}"')
    for n in range(args.sources):
        address = planet.addresses[n % len(planet.addresses)]
        lines.append(
            f'[[sources]]\nname = "blog {n}"\nurl = "http://{address}:{port}/feeds/{n}.xml"\n'
            f"interval = {args.interval}"
        )
    config = home / "syndicate.toml"
    config.write_text("\n\n".join(lines) + "\n", "utf-8")
    return config


def seed_states(
    store_url: str, planet: Planet, port: int, args: argparse.Namespace, start: datetime
) -> dict[int, float]:
    """Every source's state as a running daemon leaves it; returns each one's due time."""
    rng = random.Random(2)
    due: dict[int, float] = {}
    states: dict[str, str] = {}
    for n in range(args.sources):
        address = planet.addresses[n % len(planet.addresses)]
        url = f"http://{address}:{port}/feeds/{n}.xml"
        at = start + timedelta(seconds=rng.uniform(0, args.interval))
        due[n] = at.timestamp()
        state = SourceState(url=url, etag=ETAG, last_ok=start, last_polled=start, next_poll=at)
        states[f"blog {n}"] = state.to_json()
    ledger = Ledger.open(store_url)
    try:
        ledger.save(sources=states)
        if args.nodes:  # a cluster plans its polls from each source's due row
            _seed_due(ledger, planet, due)
    finally:
        ledger.close()
    return due


def _seed_due(ledger: Ledger, planet: Planet, due: dict[int, float]) -> None:
    rows = [
        {"source": f"blog {n}", "host": planet.addresses[n % len(planet.addresses)],
         "due_ms": int(at * 1000)}
        for n, at in due.items()
    ]  # fmt: skip
    database = ledger.database
    with database.writing() as cursor:
        cursor.executemany(
            database.statement(
                "INSERT INTO source_due (source, host, due_ms) VALUES (:source, :host, :due_ms)"
            ),
            rows,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=50_000)
    parser.add_argument("--hosts", type=int, default=32)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--interval", type=float, default=900.0)
    parser.add_argument("--new-share", type=float, default=0.01)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--nodes", type=int, default=0, help="replicas of a cluster (PostgreSQL)")
    args = parser.parse_args()
    if args.nodes:
        args.store = "postgresql"
    with ExitStack() as stack:
        home = Path(tempfile.mkdtemp(prefix="syndicate-sources-"))
        stack.callback(shutil.rmtree, home, ignore_errors=True)
        blog = home / "blog"
        (blog / "source" / "blog").mkdir(parents=True)
        store_url = f"sqlite:///{home / 'ledger.db'}"
        postgres_pids: list[int] = []
        if args.store == "postgresql":
            from tests.peers.postgres import fresh_database, running_postgres

            server = stack.enter_context(running_postgres())
            store_url = fresh_database(server, "planet")
        planet = Planet(args.hosts, args.new_share)
        port = planet.start()
        stack.callback(planet.stop)
        say(f"{args.sources:,} sources on {args.hosts} loopback hosts, port {port}")
        names = [f"node-{n + 1}" for n in range(args.nodes)] or [""]
        configs = [
            write_config(home / (name or "daemon"), blog, store_url, planet, port, args, name)
            for name in names
        ]
        start = datetime.now(UTC) + timedelta(seconds=20 + 10 * args.nodes)  # after start-up
        due = seed_states(store_url, planet, port, args, start)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        daemons = []
        for config in configs:
            command = [sys.executable, "-m", "syndicate", "--config", str(config), "run"]
            log_path = config.parent / "daemon.log"
            started = time.time()
            out = log_path.open("w")
            daemon = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                      cwd=config.parent)  # fmt: skip
            stack.callback(stop_daemon, daemon)
            wait_ready(config, daemon, log_path)
            say(f"{config.parent.name} ready after {time.time() - started:.1f} s")
            daemons.append(daemon)
        if args.store == "postgresql":
            postgres_pids = pids_of_user("postgres")  # the server and its backends
        while time.time() < start.timestamp():
            time.sleep(0.5)
        pids = [d.pid for d in daemons]
        cpu0, pg0, t0 = [measure.cpu_seconds(p) for p in pids], cpu_sum(postgres_pids), time.time()
        deadline = start.timestamp() + args.minutes * 60
        while time.time() < deadline:
            time.sleep(5)
            say(f"{len(planet.arrivals):,} polls so far")
        cpu1, pg1, t1 = [measure.cpu_seconds(p) for p in pids], cpu_sum(postgres_pids), time.time()
        cores = [(b - a) / (t1 - t0) for a, b in zip(cpu0, cpu1, strict=True)]
        pss = [measure.pss_kb(p) / 1024 for p in pids]
        for daemon in daemons:
            stop_daemon(daemon)
        window = (start.timestamp(), deadline)
        print(report(planet, due, window, cores, pss,
                     (pg1 - pg0) / (t1 - t0) if postgres_pids else None, args))  # fmt: skip


def report(
    planet: Planet,
    due: dict[int, float],
    window: tuple[float, float],
    cores: list[float],
    pss: list[float],
    pg_cores: float | None,
    args: argparse.Namespace,
) -> str:
    first: dict[int, float] = {}
    for source, at, _status in planet.arrivals:
        first.setdefault(source, at)
    expected = [n for n, at in due.items() if window[0] <= at <= window[1] - 30]
    late = [max(0.0, first[n] - due[n]) for n in expected if n in first]
    missed = sum(1 for n in expected if n not in first)
    seconds = window[1] - window[0]
    polls = [a for a in planet.arrivals if window[0] <= a[1] <= window[1]]
    changed = sum(1 for a in polls if a[2] == 200)
    lateness = sorted(late)
    p99 = lateness[int(len(lateness) * 0.99) - 1] if lateness else 0.0
    rows = [
        ("sources", f"{args.sources:,} on {args.hosts} hosts, every {args.interval:.0f} s"),
        ("store", args.store + (f", a cluster of {args.nodes}" if args.nodes else "")),
        ("measured", f"{seconds / 60:.1f} min"),
        ("polls", f"{len(polls):,} ({changed:,} with a new entry)"),
        ("polls per second",
         f"{len(polls) / seconds:.1f} (due: {args.sources / args.interval:.1f})"),
        ("due in the window and not polled", f"{missed:,} of {len(expected):,}"),
        ("lateness median / p99 / max (s)",
         f"{statistics.median(lateness) if lateness else 0:.2f} / {p99:.2f} / "
         f"{max(lateness, default=0):.2f}"),
        ("daemon CPU (cores)", " / ".join(f"{c:.2f}" for c in cores)),
        ("daemon PSS at the end (MB)", " / ".join(f"{m:.0f}" for m in pss)),
        ("most requests in flight to one host",
         f"{planet.most_flying} (first at {planet.most_flying_at - window[0]:+.0f} s)"),
    ]  # fmt: skip
    if pg_cores is not None:
        rows.append(("PostgreSQL CPU (cores)", f"{pg_cores:.2f}"))
    return "\n".join(["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


def wait_ready(config: Path, daemon: subprocess.Popen[bytes], log_path: Path) -> None:
    port = int(next(line for line in config.read_text().splitlines() if line.startswith("port"))
               .split("=")[1])  # fmt: skip
    deadline = time.time() + 600
    while time.time() < deadline:
        if daemon.poll() is not None:
            raise SystemExit(f"the daemon stopped:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the daemon did not start in ten minutes")


def stop_daemon(daemon: subprocess.Popen[bytes]) -> None:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()


def cpu_sum(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with suppress(OSError):
            total += measure.cpu_seconds(pid)
    return total


def pids_of_user(user: str) -> list[int]:
    import pwd

    uid = pwd.getpwnam(user).pw_uid
    return [
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and p.stat().st_uid == uid
    ]


def free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
