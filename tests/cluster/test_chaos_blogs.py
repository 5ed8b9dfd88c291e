"""Chaos over a deployment of two blogs: three replicas, each a `syndicate run` over a folder of
two blog configs (a daemon process per blog under one parent), on one PostgreSQL database (a
ledger schema per blog, procrastinate's tables shared). Both blogs follow remote sources on
the same four loopback hosts and send to an account on every publishing peer that can tell a
resend (X, Mastodon, Bluesky, Matrix, a webhook: `test_chaos.py`'s peers), and to Slack and
Discord webhooks, which cannot.

Round after round a post is written on one blog or the other (sometimes both) and, half the
time, a remote source gains an entry; then a random replica is lost whole, at a random moment:
SIGKILL to its process group (the parent and both daemons, as when a machine goes), and
started again; or frozen whole (SIGSTOP to the group) past its lease, and woken.

Afterwards every post and new entry of each blog is held exactly once by each network that
can tell a resend (0 duplicates, 0 losses), and at least once by Slack and Discord, with no
more repeats than the kills could have cut sends (one per blog daemon killed); no delivery
is left claimed, no post has two events of a kind, never more than one request was in flight
to a host (both blogs' polls together), and every replica serves the same bytes of each
blog's feed. SYNDICATE_CHAOS_SEED replays the choices.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import pytest

from syndicate.model import Delivery, DeliveryStatus
from syndicate.store.database import Database
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Outbox
from syndicate.store.ownership import Ownership
from syndicate.store_url import with_schema
from tests.cluster.test_chaos import Peers, accounts, storm_peers, tallies
from tests.conftest import Blog
from tests.peers.planet import Planet, sources_config
from tests.peers.postgres import fresh_database
from tests.peers.webhooks import DiscordHook, SlackHook
from tests.test_cluster_daemon import LEASE
from tests.test_daemon import free_port, post, wait_for
from tests.test_publish_daemon import Account

BLOGS = ("alpha", "beta")
ROUNDS = 6
DEADLINE = 150.0
SOURCES = 4  # per blog, one on each of the planet's four hosts: both blogs on every host


class Replica:
    """One replica of the deployment: a folder of the two blogs' configs, its own ports,
    outputs and caches, the shared database; run as one process group."""

    def __init__(
        self, base: Path, name: str, ledger: str, blogs: dict[str, Blog], extra: str, planet: Planet
    ) -> None:
        self.name = name
        self.home = base / name
        self.ports = {blog: free_port() for blog in blogs}
        folder = self.home / "blogs"
        folder.mkdir(parents=True)
        for number, (blog, content) in enumerate(blogs.items()):
            sources = sources_config(planet, 2 * SOURCES, include=False)
            tables = sources.split("\n[[sources]]")[1:][number * SOURCES : (number + 1) * SOURCES]
            (folder / f"{blog}.toml").write_text(f"""
[site]
title = "Blog {blog}"
url = "https://{blog}.example.org/"
[content]
root = "{content.root}"
[feeds]
output = "{self.home / blog / "public"}"
[watch]
debounce = 0.05
rescan = 0
[server]
port = {self.ports[blog]}
[store]
url = "{ledger}"
schema = "{blog}"
cache = "{self.home / blog / "cache.sqlite"}"
[cluster]
enabled = true
node = "{name}"
lease_seconds = {LEASE}
{extra}
{"".join("[[sources]]" + table for table in tables)}""")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Replica:
        log = (self.home / f"run-{time.monotonic_ns()}.log").open("w")
        env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_CONFIG"}
        command = [sys.executable, "-m", "syndicate", "--config", str(self.home / "blogs"),
                   "run", "--log-format", "json"]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        for blog in self.ports:
            wait_for(partial(self.serving, blog), f"{self.name} serving {blog}")
        return self

    def serving(self, blog: str) -> bool:
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.ports[blog]}/healthz", timeout=1)
        except httpx.HTTPError:
            assert self.process is not None and self.process.poll() is None, self.name
            return False
        return answer.status_code == 200

    def feed(self, blog: str) -> tuple[str, bytes] | None:
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.ports[blog]}/feed.xml", timeout=2)
        except httpx.HTTPError:
            return None
        return (answer.headers["etag"], answer.content) if answer.status_code == 200 else None

    def signal(self, sig: int) -> None:
        """`sig` to the whole replica: the parent and every blog's daemon."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)

    def lose(self) -> None:
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(30)


def owner(ledger: str, blog: str) -> str | None:
    database = Database(with_schema(ledger, blog))
    try:
        lease = Ownership(database, f"{blog}.example.org").holder()
    finally:
        database.close()
    return lease.owner if lease is not None else None


def taken_over(ledger: str, blog: str, former: str) -> bool:
    return owner(ledger, blog) not in (None, former)


def same_feed_everywhere(replicas: list[Replica], blog: str, title: str) -> bool:
    served = [replica.feed(blog) for replica in replicas]
    return all(s is not None and title.encode() in s[1] for s in served) and (
        len({s[0] for s in served if s is not None}) == 1
    )


@dataclass
class Storm:
    titles: dict[str, list[str]] = field(default_factory=lambda: {b: [] for b in BLOGS})
    kills: int = 0
    freezes: int = 0
    owners_lost: int = 0
    takeovers: list[float] = field(default_factory=list)  # seconds from a kill to a new owner


@dataclass(frozen=True)
class Blind:
    """The webhooks that can neither drop a resend nor be searched (Slack, Discord): a send
    cut by a kill between the post and its record is sent again, so they may repeat a post,
    once per such kill at most, and must lose none."""

    slack: SlackHook
    discord: DiscordHook

    def accounts(self) -> list[Account]:
        return [Account("slack", "slack", {"url": self.slack.url}),
                Account("discord", "discord", {"url": self.discord.url})]  # fmt: skip

    def held(self, titles: list[str]) -> dict[str, Counter[str]]:
        texts = {"slack": [p["text"] for p in self.slack.posted],
                 "discord": [p["content"] for p in self.discord.posted]}  # fmt: skip
        return {
            account: Counter(t for text in posted for t in titles if t in str(text))
            for account, posted in texts.items()
        }


Deployment = tuple[list[Replica], dict[str, Blog], Peers, Planet, str, Blind]


@pytest.fixture
def deployment(
    cluster_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    ledger = fresh_database(cluster_server, f"chaos_{tmp_path.name}"[:60])
    blogs = {name: Blog(tmp_path / name) for name in BLOGS}
    with ExitStack() as stack:
        peers, planet = storm_peers(stack, tmp_path / "peers", monkeypatch)
        blind = Blind(stack.enter_context(SlackHook()), stack.enter_context(DiscordHook()))
        for account in blind.accounts():
            for name, value in account.environment().items():
                monkeypatch.setenv(name, value)
        tables = "".join(account.toml() for account in [*accounts(peers), *blind.accounts()])
        extra = f"{tables}\n[publish]\nlease = 10\nretry_base = 0.2\n"
        replicas = [Replica(tmp_path, f"node-{n}", ledger, blogs, extra, planet) for n in range(3)]
        try:
            yield replicas, blogs, peers, planet, ledger, blind
        finally:
            for replica in replicas:
                replica.lose()


def rage(deployment: Deployment, chance: random.Random) -> Storm:
    replicas, blogs, _, planet, ledger, _ = deployment
    storm = Storm()
    for round_ in range(ROUNDS):
        chosen = [b for b in BLOGS if chance.random() < 0.6] or [chance.choice(BLOGS)]
        for blog in chosen:
            title = f"{blog.title()} storm post {round_}"
            storm.titles[blog].append(title)
            post(blogs[blog], f"2024-06-{round_ + 1:02d}-storm.html.md", title)
        if chance.random() < 0.5:
            source = chance.randrange(2 * SOURCES)
            blog = BLOGS[source // SOURCES]
            storm.titles[blog].append(f"Entry {planet.entries[source]} of blog {source}")
            planet.entries[source] += 1
        time.sleep(chance.uniform(0.0, 2.5))
        victim = chance.choice(replicas)
        owned = [blog for blog in BLOGS if owner(ledger, blog) == victim.name]
        storm.owners_lost += len(owned)
        if chance.random() < 0.6:
            victim.lose()
            lost = time.monotonic()
            storm.kills += 1
            for blog in owned:
                wait_for(partial(taken_over, ledger, blog, victim.name), f"a takeover of {blog}",
                         timeout=DEADLINE)  # fmt: skip
                storm.takeovers.append(time.monotonic() - lost)
            victim.start()
        else:
            victim.signal(signal.SIGSTOP)
            storm.freezes += 1
            time.sleep(LEASE * 1.5)
            victim.signal(signal.SIGCONT)
    return storm


def deliveries_of(ledger: str, blog: str) -> list[Delivery]:
    opened = Ledger.open(with_schema(ledger, blog))
    try:
        return list(Outbox(opened.engine).select())
    finally:
        opened.close()


def test_a_deployment_of_two_blogs_loses_and_repeats_nothing(
    deployment: Deployment, seeded: tuple[int, random.Random]
) -> None:
    replicas, blogs, peers, planet, ledger, blind = deployment
    seed, chance = seeded
    for blog, content in blogs.items():
        post(content, "2024-05-01-before.html.md", f"{blog.title()} before the storm")
    for replica in replicas:
        replica.start()
    for blog in BLOGS:
        wait_for(partial(same_feed_everywhere, replicas, blog, f"{blog.title()} before the storm"),
                 f"{blog}'s first build")  # fmt: skip
    wait_for(lambda: all(planet.requests[n] for n in range(2 * SOURCES)), "every first poll")
    time.sleep(2)  # the first polls stored: their entries are taken as seen
    storm = rage(deployment, chance)
    names = [account.name for account in [*accounts(peers), *blind.accounts()]]

    def settled(blog: str) -> bool:
        found = deliveries_of(ledger, blog)
        expected = len(names) * len(storm.titles[blog])
        return len(found) == expected and all(d.status is DeliveryStatus.SENT for d in found)

    for blog in BLOGS:
        wait_for(partial(settled, blog), f"every delivery of {blog} sent", timeout=DEADLINE)
    titles = [t for blog in BLOGS for t in storm.titles[blog]]
    held = tallies(peers, titles)
    print(
        f"chaos seed {seed}: {ROUNDS} rounds over {len(BLOGS)} blogs, {storm.kills} replicas "
        f"lost, {storm.freezes} frozen, {storm.owners_lost} blog owners among them, "
        f"takeovers after a kill: {', '.join(f'{t:.1f} s' for t in storm.takeovers) or 'none'}; "
        f"{len(titles)} posts and entries: "
        + ", ".join(f"{t.network} {sum(t.held.values())} held" for t in held.values())
    )
    assert planet.most_flying == 1, "two requests in flight to one host"
    for tally in held.values():
        assert tally.held == Counter(titles) and tally.strays == 0, (
            f"{tally.network}: each post exactly once; it holds {tally.texts}"
        )
    for account, counts in blind.held(titles).items():
        repeats = sum(counts.values()) - len(titles)
        print(f"  {account}: {sum(counts.values())} held, {repeats} repeats")
        assert set(counts) == set(titles), f"{account} lost a post"
        # A kill cuts at most one send of the account per blog daemon it stops.
        assert repeats <= storm.kills * len(BLOGS), f"{account}: {counts}"
    for blog in BLOGS:
        last = next(t for t in reversed(storm.titles[blog]) if "storm post" in t)
        wait_for(partial(same_feed_everywhere, replicas, blog, last), f"{blog}'s feed everywhere")
        assert all(d.lease_owner is None for d in deliveries_of(ledger, blog))
        opened = Ledger.open(with_schema(ledger, blog))
        try:
            events = Counter((e.post_pk, e.kind) for e in opened.events())
        finally:
            opened.close()
        assert set(events.values()) == {1}, events  # a stale owner's write would add one
        assert sum(kind == "published" for _, kind in events) == len(storm.titles[blog])
