"""Chaos: three `syndicate run` replicas on one PostgreSQL ledger, one blog, eight remote sources
on four loopback hosts that the replicas poll between them, and an account on every publishing
peer the tests use that can tell a resend from a new post: X (the X API peer: duplicate-content
403 and the timeline), Mastodon (mastodon-mock: Idempotency-Key), Bluesky (a real PDS: the
record key), Matrix (a real Synapse: the transaction id) and a signing webhook receiver
(Idempotency-Key). Every peer answers LATENCY after it has acted, as a network's round trip.
Round after round a post is written and, half the time, a remote source gains an entry; then a
replica is SIGKILLed (and started again) or SIGSTOPped past its lease and woken: a random one
at a random moment, or, for half the kills, one caught in the middle of a send, so the next
claim must find what it posted (`find()`) rather than post it again.

Afterwards every post and every new remote entry is held exactly once by each network, read
from the network itself (X's tweets, mastodon-mock's statuses, the PDS's records through
listRecords, the Synapse room's messages, the receiver's bodies): 0 duplicates, 0 losses. No
delivery is left claimed, never more than one request was in flight to a host, no post has two
events of a kind (a stale owner's write), and every replica serves the same feed, with every
post in it. The summary (`-s`) gives the seed, kills (and the sends under way at aimed ones),
freezes, takeovers with when they happened and how long they took, and per network the
deliveries, those being sent when a kill was aimed, the deliveries claimed more than once, the
posting requests that reached it, what it holds, duplicates and losses. SYNDICATE_CHAOS_SEED
replays a run's choices (not its timing).

A second blog would take its own `accounts()` and `blog_config()`, and its titles' `tallies()`.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import pytest

from syndicate.config import load_settings
from syndicate.model import DeliveryStatus
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Outbox
from tests.cluster.test_cluster import deliveries
from tests.conftest import Blog
from tests.peers.bluesky import FaultyProxy, Pds, installed, running_pds, skip_unless_installed
from tests.peers.mastodon import TOKEN, MastodonPeer, serve_mastodon
from tests.peers.planet import Planet, sources_config
from tests.peers.webhooks import Proxy, SigningReceiver, Synapse
from tests.peers.x_api import XApiPeer, XCredentials
from tests.test_cluster_daemon import LEASE, Node, owner, same_feed_everywhere
from tests.test_daemon import post, wait_for
from tests.test_publish_daemon import Account

ROUNDS = 8
DEADLINE = 120.0
SOURCES = 8  # two on each of the planet's four hosts; "blog 1" is no prefix of another's name
X_USER_ID = "1501234567890123456"
X_USERNAME = "chaostest"
BLUESKY_HANDLE = "chaos.test"
CREATE_RECORD = "com.atproto.repo.createRecord"
# Seconds every peer takes to answer, after it has acted: a replica killed in them has posted
# and never hears so, the case `find()` is there for.
LATENCY = 0.3
AIM = 8.0  # seconds an aimed kill waits for a send under way (plan_outbox ticks every 5 s)


@dataclass
class Peers:
    """Every publishing peer, running. Matrix and Bluesky are reached through proxies that
    only pass requests on and count them, so a resend the network absorbed shows."""

    mastodon: MastodonPeer
    hook: SigningReceiver
    x: XApiPeer
    synapse: Synapse
    matrix: Proxy
    matrix_token: str
    room: str
    pds: Pds | None  # None when the PDS is not installed here (CI installs it)
    bluesky: FaultyProxy | None


@dataclass(frozen=True)
class Tally:
    """What one account's network holds of the expected titles, and how it got there."""

    network: str
    requests: int  # posting requests that reached the network (resends included)
    held: Counter[str]  # expected title -> how many of the network's posts name it
    strays: int  # posts that name no expected title
    texts: list[str]  # the posts, as the network holds them

    def duplicates(self, titles: list[str]) -> int:
        return sum(self.held[t] - 1 for t in set(titles) if self.held[t] > 1) + self.strays

    def losses(self, titles: list[str]) -> int:
        return sum(1 for t in set(titles) if self.held[t] == 0)


def with_bluesky() -> bool:
    if not installed() and os.environ.get("CI"):
        skip_unless_installed()  # fails: CI installs the PDS, so its absence is an error
    return installed()


def running_peers(stack: ExitStack, root: Path) -> Peers:
    """Each peer started once, for the whole storm; stopped when `stack` closes."""
    root.mkdir(parents=True, exist_ok=True)
    credentials = XCredentials.generate(X_USER_ID)
    synapse = stack.enter_context(Synapse(root, burst=10_000))  # no 429s: not what is tested
    _, token = synapse.register()
    pds = stack.enter_context(running_pds(BLUESKY_HANDLE)) if with_bluesky() else None
    peers = Peers(
        mastodon=stack.enter_context(serve_mastodon()),
        hook=stack.enter_context(SigningReceiver(None)),
        x=stack.enter_context(XApiPeer(credentials, X_USER_ID, X_USERNAME).running()),
        synapse=synapse,
        matrix=stack.enter_context(Proxy(synapse.base)),
        matrix_token=token,
        room=synapse.create_room(token),
        pds=pds,
        bluesky=stack.enter_context(FaultyProxy(pds.url).running()) if pds else None,
    )
    peers.mastodon.relay.latency = peers.hook.latency = peers.x.latency = LATENCY
    peers.matrix.latency = LATENCY
    if peers.bluesky is not None:
        peers.bluesky.latency = LATENCY
    return peers


def accounts(peers: Peers) -> list[Account]:
    """One account on each network; a blog's `[[accounts]]` are these tables."""
    found = [
        Account("toots", "mastodon", {"token": TOKEN}, {"server": peers.mastodon.url}),
        Account("hooks", "webhook", {"url": peers.hook.url}),
        Account("x", "x", peers.x.credentials.secrets(),
                {"server": peers.x.url, "handle": X_USERNAME}),
        Account("matrix", "matrix", {"access_token": peers.matrix_token},
                {"server": peers.matrix.base, "room": peers.room}),
    ]  # fmt: skip
    if peers.pds is not None and peers.bluesky is not None:
        where = {"server": peers.bluesky.url, "handle": "@" + peers.pds.account.handle}
        found.append(Account("bluesky", "bluesky",
                             {"app_password": peers.pds.account.app_password}, where))  # fmt: skip
    return found


def tallies(peers: Peers, titles: list[str]) -> dict[str, Tally]:
    """Account name -> what its network holds now, read from the network itself."""
    texts: dict[str, tuple[str, int, list[str]]] = {
        "toots": (
            "mastodon",
            sum(
                (s.method, s.path) == ("POST", "/api/v1/statuses")
                for s in peers.mastodon.relay.seen
            ),
            [peers.mastodon.source(s["id"]) for s in peers.mastodon.statuses()],
        ),
        "hooks": (
            "webhook",
            sum(r.method == "POST" for r in peers.hook.requests),
            [str(body) for body in peers.hook.stored.values()],
        ),
        "x": (
            "x",
            len(peers.x.requests_to("POST", "/2/tweets")),
            [tweet.posted for tweet in peers.x.tweets],
        ),
        "matrix": (
            "matrix",
            sum(r.method == "PUT" and "/send/" in r.path for r in peers.matrix.requests),
            [e["content"]["body"] for e in peers.synapse.messages(peers.matrix_token, peers.room)],
        ),
    }
    if peers.pds is not None and peers.bluesky is not None:
        texts["bluesky"] = ("bluesky", peers.bluesky.calls.get(CREATE_RECORD, 0),
                            bluesky_texts(peers.pds))  # fmt: skip
    found = {}
    for account, (network, requests, held) in texts.items():
        named = [[t for t in titles if t in text] for text in held]
        found[account] = Tally(
            network, requests, Counter(t for names in named for t in names),
            sum(not names for names in named), held,
        )  # fmt: skip
    return found


def bluesky_texts(pds: Pds) -> list[str]:
    """The texts of the account's posts, as the PDS's repository holds them."""
    params = {"repo": pds.account.did, "collection": "app.bsky.feed.post", "limit": "100"}
    answer = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=60)
    answer.raise_for_status()
    return [str(record["value"]["text"]) for record in answer.json()["records"]]


def blog_config(peers: Peers, planet: Planet) -> str:
    """What the replicas' config adds to the cluster's: the accounts, publishing, sources."""
    tables = "".join(account.toml() for account in accounts(peers))
    return f"""
{tables}
[publish]
lease = 10
retry_base = 0.2
{sources_config(planet, SOURCES, include=False)}
"""


Replicas = tuple[list[Node], Peers, Planet]


def storm_peers(
    stack: ExitStack, root: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Peers, Planet]:
    """Every publishing peer and the planet, running until `stack` closes; the accounts'
    credentials in the environment, for the replicas to inherit."""
    peers = running_peers(stack, root)
    planet = stack.enter_context(Planet())
    for account in accounts(peers):
        for name, value in account.environment().items():
            monkeypatch.setenv(name, value)
    return peers, planet


@pytest.fixture
def replicas(
    cluster_blog: Blog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Replicas]:
    with ExitStack() as stack:
        peers, planet = storm_peers(stack, tmp_path / "peers", monkeypatch)
        extra = blog_config(peers, planet)
        nodes = [Node(cluster_blog, cluster_blog.store_url, f"node-{n}", extra) for n in range(3)]
        try:
            yield nodes, peers, planet
        finally:
            for node in nodes:
                node.stop(signal.SIGKILL)


def first_polls_stored(ledger_url: str) -> bool:
    ledger = Ledger.open(ledger_url)
    try:
        return len(ledger.source_states()) == SOURCES
    finally:
        ledger.close()


def taken_from(ledger_url: str, name: str) -> bool:
    return owner(ledger_url) not in (None, name)


@dataclass(frozen=True)
class Takeover:
    at: float  # seconds into the storm when the owner was killed or frozen
    took: float  # seconds until another replica owned the blog
    how: str  # "kill" or "freeze"

    def __str__(self) -> str:
        return f"{self.how} at {self.at:.1f} s took {self.took:.1f} s"


def sending(ledger: Ledger, nodes: list[Node]) -> tuple[Node, list[str]] | None:
    """A replica that holds deliveries' claims in the middle of their send, and their
    accounts, if one does."""
    claims = Outbox(ledger.engine).select(statuses=[DeliveryStatus.SENDING])
    for node in nodes:
        pid = str(node.running.process.pid) if node.running is not None else None
        accounts = [
            d.account for d in claims if d.lease_owner and d.lease_owner.endswith(f":{pid}")
        ]
        if accounts:
            return node, accounts
    return None


def aim(ledger: Ledger, nodes: list[Node]) -> tuple[Node, list[str]] | None:
    """Wait (up to AIM seconds) for a replica to be sending; it and the accounts it sends for."""
    give_up = time.monotonic() + AIM
    while (found := sending(ledger, nodes)) is None and time.monotonic() < give_up:
        time.sleep(0.02)
    return found


def frozen_past_lease(node: Node, ledger_url: str, was_owner: bool) -> float | None:
    """SIGSTOP `node` for one and a half leases, then SIGCONT it; when it owned the blog, the
    seconds until another replica took it over (None if nobody did while it was frozen)."""
    assert node.running is not None
    pid = node.running.process.pid
    os.kill(pid, signal.SIGSTOP)
    started = time.monotonic()
    taken: float | None = None
    while (waited := time.monotonic() - started) < LEASE * 1.5:
        if was_owner and taken is None and taken_from(ledger_url, node.name):
            taken = waited
        time.sleep(0.1)
    os.kill(pid, signal.SIGCONT)
    return taken


@dataclass
class Storm:
    """What the storm did: the titles each account should hold once, and what befell whom."""

    titles: list[str] = field(default_factory=list)
    kills: int = 0
    # account -> its deliveries that were being sent (claimed, not yet recorded) when a kill
    # aimed at their replica was decided; the kill lands a moment later, so some were done
    mid_send: Counter[str] = field(default_factory=Counter)
    freezes: int = 0
    takeovers: list[Takeover] = field(default_factory=list)


def rage(blog: Blog, nodes: list[Node], planet: Planet, chance: random.Random) -> Storm:
    """ROUNDS rounds: a post and maybe a remote entry, then a replica killed or frozen."""
    storm = Storm()
    began = time.monotonic()
    watch = Ledger.open(blog.store_url)
    try:
        for round_ in range(ROUNDS):
            title = f"Storm post {round_}"
            storm.titles.append(title)
            post(blog, f"2024-06-{round_ + 1:02d}-storm-{round_}.html.md", title)
            if chance.random() < 0.5:  # a remote entry, announced like a post once polled
                source = chance.randrange(SOURCES)
                storm.titles.append(f"Entry {planet.entries[source]} of blog {source}")
                planet.entries[source] += 1
            time.sleep(chance.uniform(0.0, 2.0))
            victim = chance.choice(nodes)
            if chance.random() < 0.6:
                # Half the kills are aimed at a replica in the middle of a send.
                if chance.random() < 0.5 and (aimed := aim(watch, nodes)) is not None:
                    victim, cut = aimed
                    storm.mid_send.update(cut)
                was_owner = owner(blog.store_url) == victim.name
                at = time.monotonic() - began
                victim.stop(signal.SIGKILL)
                storm.kills += 1
                if was_owner:
                    wait_for(partial(taken_from, blog.store_url, victim.name), "a takeover",
                             timeout=DEADLINE)  # fmt: skip
                    storm.takeovers.append(Takeover(at, time.monotonic() - began - at, "kill"))
                victim.start()
            else:
                was_owner = owner(blog.store_url) == victim.name
                at = time.monotonic() - began
                storm.freezes += 1
                taken = frozen_past_lease(victim, blog.store_url, was_owner)
                if taken is not None:
                    storm.takeovers.append(Takeover(at, taken, "freeze"))
    finally:
        watch.close()
    return storm


def test_replicas_killed_and_frozen_at_random_lose_and_repeat_nothing(
    cluster_blog: Blog, replicas: Replicas, seeded: tuple[int, random.Random]
) -> None:
    nodes, peers, planet = replicas
    seed, chance = seeded
    blog = cluster_blog
    post(blog, "2024-05-01-before.html.md", "Before the storm")  # seen at the first build
    for node in nodes:
        node.start()
    wait_for(lambda: same_feed_everywhere(nodes, "Before the storm"), "the first build")
    # Each source's first poll is stored (its entries taken as seen) before the storm.
    wait_for(lambda: first_polls_stored(blog.store_url), "every source's first poll")
    storm = rage(blog, nodes, planet, chance)
    titles = storm.titles
    settings = load_settings(nodes[0].config)
    names = [account.name for account in accounts(peers)]

    def settled() -> bool:
        found = deliveries(settings)
        return len(found) == len(names) * len(titles) and all(
            d.status is DeliveryStatus.SENT for d in found
        )

    wait_for(settled, "every delivery sent", timeout=DEADLINE)
    posts = [t for t in titles if t.startswith("Storm")]  # remote entries are not listed
    wait_for(lambda: same_feed_everywhere(nodes, posts[-1]), "one feed everywhere")
    held = tallies(peers, titles)
    done = deliveries(settings)
    sent = Counter(d.account for d in done)
    claimed = Counter(d.account for d in done if d.fence > 1)
    remote = sum(t.startswith("Entry") for t in titles)
    print(
        f"chaos seed {seed}: {ROUNDS} rounds, {storm.kills} kills ({storm.mid_send.total()} sends "
        f"under way at aimed ones), {storm.freezes} freezes, "
        f"{len(titles)} posts ({remote} remote entries), {sum(sent.values())} deliveries; "
        f"takeovers: {', '.join(map(str, storm.takeovers)) or 'none'}"
    )
    for account, tally in held.items():
        print(
            f"  {tally.network:9} {sent[account]:3} delivered, "
            f"{storm.mid_send[account]} sending at a kill, {claimed[account]} claimed again, "
            f"{tally.requests:3} requests, "
            f"{sum(tally.held.values()) + tally.strays:3} held, "
            f"{tally.duplicates(titles)} duplicates, {tally.losses(titles)} losses"
        )
    assert planet.most_flying == 1, "two requests in flight to one host"
    assert set(held) == set(names)
    for tally in held.values():
        assert tally.held == Counter(titles) and tally.strays == 0, (
            f"{tally.network}: each post exactly once; it holds {tally.texts}"
        )
    for node in nodes:
        feed = node.feed()
        assert feed is not None and all(t.encode() in feed[1] for t in posts[-5:]), node.name
    assert all(d.lease_owner is None for d in deliveries(settings))
    # A write from a stale owner would show as a second event for one post: none.
    ledger = Ledger.open(blog.store_url)
    try:
        events = Counter((e.post_pk, e.kind) for e in ledger.events())
    finally:
        ledger.close()
    assert set(events.values()) == {1}, events
    assert sum(kind == "published" for _, kind in events) == len(titles)
