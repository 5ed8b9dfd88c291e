"""A cluster owner's intake: how many waiting polls a second the blog's owner takes into its
builds, the load a planet of a million sources puts on it.

    python bench/intake.py [--sources 100000] [--rate 1111] [--minutes 3] [--new-share 0.01]
                           [--processes 2]

On a cluster every replica polls (cluster/polls.py) but only the owner builds: each poll
waits in `remote_inbox` until the owner's build stores it and deletes it. A million sources
polled every 15 minutes are 1,111 polls a second, whichever replicas make them. Polling them
for real takes cores this machine does not have, so this bench plays the pollers: it puts
polls in the inbox at RATE a second, through the same `PollInbox.put` a poll job uses, as
`RemoteBatch`es made by the same `watch/poll.py` from feeds answered in-process (httpx's
MockTransport): a 304 (the state alone) for most, a new entry for NEW_SHARE of them. One
`syndicate run` with `[cluster] enabled` on a private PostgreSQL owns the blog and takes them
in; its sources are due tomorrow, so it polls none itself.

It prints: the rate offered and the rate taken in, the backlog (polls waiting) sampled each
second, how long the backlog took to drain after the last put, the owner's CPU and memory,
PostgreSQL's CPU, the builds' durations from the owner's log, and a check that every new
entry reached the ledger exactly once.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import measure
from sources import cpu_sum, pids_of_user, planet_tables, say, stop_daemon, wait_ready

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # the tests' private PostgreSQL cluster

from syndicate.config import SourceSettings  # noqa: E402
from syndicate.pipeline.remote_entries import batch_to_json, is_remote  # noqa: E402
from syndicate.store.database import Database  # noqa: E402
from syndicate.store.inbox import PollInbox  # noqa: E402
from syndicate.store.ledger import Ledger  # noqa: E402
from syndicate.watch.poll import batch_of, poll  # noqa: E402
from syndicate.watch.schedule import SourceState  # noqa: E402

HOSTS = 32
ETAG = '"v1"'
PUTTERS = 4  # threads per putting process, as several replicas' poll jobs would


def source_of(n: int) -> SourceSettings:
    host = f"127.0.1.{n % HOSTS + 1}"
    return SourceSettings(name=f"blog {n}", url=f"http://{host}/feeds/{n}.xml", interval=86400)


def write_config(home: Path, blog: Path, store_url: str, sources: int) -> Path:
    lines = [*planet_tables(blog, store_url), '[cluster]\nenabled = true\nnode = "owner"']
    for n in range(sources):
        source = source_of(n)
        lines.append(f'[[sources]]\nname = "{source.name}"\nurl = "{source.url}"\ninterval = 86400')
    config = home / "syndicate.toml"
    config.write_text("\n\n".join(lines) + "\n", "utf-8")
    return config


def seed(store_url: str, sources: int, tomorrow: datetime) -> None:
    """Every source polled before and due tomorrow: the owner polls none during the run."""
    now = datetime.now(UTC)
    states, due = {}, []
    for n in range(sources):
        source = source_of(n)
        state = SourceState(url=source.url, etag=ETAG, last_ok=now, last_polled=now,
                            next_poll=tomorrow)  # fmt: skip
        states[source.name] = state.to_json()
        host = source.url.split("/")[2]
        due.append(
            {"source": source.name, "host": host, "due_ms": int(tomorrow.timestamp() * 1000)}
        )
    ledger = Ledger.open(store_url)
    try:
        ledger.save(sources=states)
        database = ledger.database
        with database.writing() as cursor:
            cursor.executemany(
                database.statement(
                    "INSERT INTO source_due (source, host, due_ms) VALUES (:source, :host, :due_ms)"
                ),
                due,
            )
    finally:
        ledger.close()


def feed(n: int, version: int) -> bytes:
    entry = (
        f"<entry><id>urn:bench:{n}:{version}</id><title>Post {version} of blog {n}</title>"
        f'<link href="http://blog{n}.test/{version}"/><updated>2026-12-0{1 + version % 3}T10:00:00Z'
        f'</updated><content type="html">&lt;p&gt;Entry {version}.&lt;/p&gt;</content></entry>'
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>urn:bench:{n}</id><title>Blog {n}</title><updated>2026-12-01T10:00:00Z</updated>"
        f"{entry}</feed>"
    ).encode()


class Pollers:
    """Puts polls in the inbox at a steady rate, as the replicas' poll jobs would."""

    def __init__(
        self, store_url: str, sources: int, rate: float, new_share: float, part: tuple[int, int]
    ) -> None:
        self.database = Database(store_url)
        self.inbox = PollInbox(self.database)
        self.sources, self.rate, self.new_share = sources, rate, new_share
        self.part, self.parts = part  # this process polls the sources n with n % parts == part
        self.put = 0
        self.new_entries = 0
        self.entries: list[str] = []  # the title of every new entry a poll found
        self._lock = threading.Lock()
        self._next = 0
        self._versions: dict[int, int] = {}  # each source's newest entry
        self._changed: set[int] = set()  # sources whose poll under way finds a new entry
        self._rng = random.Random(3)

    def run(self, seconds: float, tomorrow: datetime) -> None:
        started = time.monotonic()
        threads = [
            threading.Thread(target=self._put_loop, args=(i, started, seconds, tomorrow))
            for i in range(PUTTERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _put_loop(self, index: int, started: float, seconds: float, tomorrow: datetime) -> None:
        client = httpx.Client(transport=httpx.MockTransport(self._answer))
        mine = 0
        while True:
            at = started + (mine * PUTTERS + index) / self.rate  # this thread's next slot
            if at - started >= seconds:
                return
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            with self._lock:
                share = len(range(self.part, self.sources, self.parts))  # this process's sources
                n = self.part + self.parts * (self._next % share)
                self._next += 1
                fresh = self._rng.random() < self.new_share
                if fresh:
                    self._versions[n] = self._versions.get(n, 0) + 1
                    self._changed.add(n)
            self._poll(client, n, tomorrow)
            with self._lock:
                self.put += 1
                self.new_entries += int(fresh)
                if fresh:
                    self.entries.append(f"Post {self._versions[n]} of blog {n}")
            mine += 1

    def _poll(self, client: httpx.Client, n: int, tomorrow: datetime) -> None:
        source = source_of(n)
        now = datetime.now(UTC)
        before = SourceState(url=source.url, etag=ETAG, last_ok=now - timedelta(days=1),
                             last_polled=now - timedelta(days=1), next_poll=now)  # fmt: skip
        outcome = poll(client, source, before, now)
        batch = batch_of(source, before, outcome)
        state = json.loads(batch.state)
        state["next_poll"] = tomorrow.isoformat()  # polled again tomorrow: not in this run
        batch = batch.__class__(batch.name, batch.prefix, batch.posts, json.dumps(state))
        host = source.url.split("/")[2]
        self.inbox.put(source.name, host, batch.state, batch_to_json(batch), tomorrow)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        n = int(request.url.path.rsplit("/", 1)[1].split(".")[0])
        with self._lock:
            version = self._versions.get(n, 0)
            changed = n in self._changed
            self._changed.discard(n)
        if not changed:
            return httpx.Response(304, headers={"etag": ETAG})
        body = feed(n, version)
        return httpx.Response(200, content=body, headers={"etag": f'"v{version + 1}"',
                              "content-type": "application/atom+xml"})  # fmt: skip


def put_polls(
    store_url: str, args: argparse.Namespace, tomorrow: datetime, part: tuple[int, int]
) -> tuple[int, list[str]]:
    """One putting process's share: the polls put, and the new entries they found."""
    pollers = Pollers(store_url, args.sources, args.rate / part[1], args.new_share, part)
    pollers.run(args.minutes * 60, tomorrow)
    pollers.database.close()
    return pollers.put, pollers.entries


def waiting(database: Database) -> int:
    with database.reading() as cursor:
        cursor.execute("SELECT count(*) FROM remote_inbox")
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=1111.0, help="polls put per second")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--new-share", type=float, default=0.01)
    parser.add_argument("--processes", type=int, default=2, help="processes putting polls")
    args = parser.parse_args()
    from tests.peers.postgres import fresh_database, running_postgres

    with ExitStack() as stack:
        home = Path(tempfile.mkdtemp(prefix="syndicate-intake-"))
        stack.callback(shutil.rmtree, home, ignore_errors=True)
        blog = home / "blog"
        (blog / "source" / "blog").mkdir(parents=True)
        server = stack.enter_context(running_postgres())
        store_url = fresh_database(server, "intake")
        (home / "owner").mkdir()
        config = write_config(home / "owner", blog, store_url, args.sources)
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        seed(store_url, args.sources, tomorrow)
        say(f"{args.sources:,} sources seeded; starting the owner")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        log_path = home / "owner" / "daemon.log"
        started = time.time()
        owner = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "--config", str(config), "run", "--log-format",
             "json"], stdout=log_path.open("w"), stderr=subprocess.STDOUT, env=env,
            cwd=config.parent,
        )  # fmt: skip
        stack.callback(stop_daemon, owner)
        wait_ready(config, owner, log_path)
        say(f"owner ready after {time.time() - started:.1f} s")
        time.sleep(5)  # its first build and its lease
        database = Database(store_url)
        postgres = cpu_sum(pids_of_user("postgres"))
        cpu0, pg0, t0 = measure.cpu_seconds(owner.pid), postgres, time.time()
        backlog: list[int] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                backlog.append(waiting(database))

        sampler = threading.Thread(target=sample)
        sampler.start()
        parts = [(i, args.processes) for i in range(args.processes)]
        with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
            counts = pool.starmap(put_polls, [(store_url, args, tomorrow, p) for p in parts])
        put = sum(count for count, _ in counts)
        found = {title for _, titles in counts for title in titles}
        t1 = time.time()
        # The server's processes now, the backends opened since included (from their start).
        cpu1, pg1 = measure.cpu_seconds(owner.pid), cpu_sum(pids_of_user("postgres"))
        pss = measure.pss_kb(owner.pid) / 1024
        left_at_end = waiting(database)
        while waiting(database) and time.time() - t1 < 600:
            time.sleep(0.2)
        drained = time.time() - t1
        done.set()
        sampler.join()
        stop_daemon(owner)
        builds = [json.loads(line) for line in log_path.read_text().splitlines()
                  if '"msg": "built"' in line]  # fmt: skip
        stored = _remote_titles(store_url)
        if found - stored:
            say(f"not in the ledger: {sorted(found - stored)[:20]}; the owner's log: {log_path}")
            stack.pop_all()  # keep the folder and the server's data to look into
        seconds = t1 - t0
        cores, pg_cores = (cpu1 - cpu0) / seconds, (pg1 - pg0) / seconds
        measured = (seconds, backlog, left_at_end, drained, cores, pss, pg_cores)
        print(report(args, (put, len(found)), measured, builds, len(found & stored)))


def _remote_titles(store_url: str) -> set[str]:
    ledger = Ledger.open(store_url)
    try:
        records = ledger.records().values()
        return {r.post.title for r in records if is_remote(r.source or "")}
    finally:
        ledger.close()


def report(
    args: argparse.Namespace,
    polls: tuple[int, int],
    measured: tuple[float, list[int], int, float, float, float, float],
    builds: list[dict[str, object]],
    stored: int,
) -> str:
    seconds, backlog, left_at_end, drained, cores, pss, pg_cores = measured
    put, new_entries = polls
    durations = sorted(float(str(b["seconds"])) for b in builds)
    p99 = durations[max(0, int(len(durations) * 0.99) - 1)] if durations else 0.0
    rows = [
        ("sources configured", f"{args.sources:,}"),
        ("polls put", f"{put:,} in {seconds:.0f} s: {put / seconds:.0f}/s "
                      f"(asked {args.rate:.0f}/s), {new_entries:,} with a new entry"),
        ("taken in", f"{(put - left_at_end) / seconds:.0f}/s"),
        ("waiting, median / max", f"{_median(backlog):.0f} / "
                                  f"{max(backlog, default=0):,}"),
        ("drained after the last put", f"{drained:.1f} s"),
        ("owner CPU (cores)", f"{cores:.2f}"),
        ("owner PSS at the end (MB)", f"{pss:.0f}"),
        ("PostgreSQL CPU, the puts included (cores)", f"{pg_cores:.2f}"),
        ("builds", f"{len(builds):,}, median {_median(durations):.3f} s, p99 {p99:.3f} s"),
        ("new entries in the ledger", f"{stored:,} of {new_entries:,}"),
    ]  # fmt: skip
    return "\n".join(["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


def _median(values: list[int] | list[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


if __name__ == "__main__":
    main()
