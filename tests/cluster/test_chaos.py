"""Chaos: three `syndicate run` replicas on one PostgreSQL ledger, one blog, a Mastodon instance,
a webhook receiver, and eight remote sources on four loopback hosts that the replicas poll
between them. Round after round a post is written and, half the time, a remote source gains
an entry; then a random replica is SIGKILLed at a random moment (and started again) or
SIGSTOPped past its lease and woken.

Afterwards every post and every new remote entry reached each account exactly once (0
duplicates, 0 losses), no delivery is left claimed, never more than one request was in flight
to a host, and every replica serves the same feed, with every post in it. The seed is
printed; SYNDICATE_CHAOS_SEED replays a run.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial

import pytest

from syndicate.config import load_settings
from syndicate.model import DeliveryStatus
from syndicate.store.ledger import Ledger
from tests.cluster.test_cluster import deliveries, hook_account
from tests.conftest import Blog
from tests.peers.mastodon import TOKEN, MastodonPeer, serve_mastodon
from tests.peers.planet import Planet, sources_config
from tests.peers.webhooks import SigningReceiver
from tests.test_cluster_daemon import LEASE, Node, owner, same_feed_everywhere
from tests.test_daemon import post, wait_for

ROUNDS = 8
DEADLINE = 120.0
SOURCES = 8  # two on each of the planet's four hosts; "blog 1" is no prefix of another's name


@pytest.fixture
def seeded() -> random.Random:
    seed = int(os.environ.get("SYNDICATE_CHAOS_SEED") or random.randrange(2**32))
    print(f"chaos seed {seed}")
    return random.Random(seed)


Replicas = tuple[list[Node], MastodonPeer, SigningReceiver, Planet]


@pytest.fixture
def replicas(cluster_blog: Blog, monkeypatch: pytest.MonkeyPatch) -> Iterator[Replicas]:
    with serve_mastodon() as mastodon, SigningReceiver(None) as hook, Planet() as planet:
        monkeypatch.setenv("CHAOS_TOOTS_TOKEN", TOKEN)
        monkeypatch.setenv("CLUSTER_HOOK_HOOKS", hook.url)
        accounts = f"""
[[accounts]]
name = "toots"
network = "mastodon"
server = "{mastodon.url}"
credentials = {{token = "env:CHAOS_TOOTS_TOKEN"}}
[accounts.timing]
delay = 0
{hook_account("hooks")}
[publish]
lease = 10
retry_base = 0.2
{sources_config(planet, SOURCES, include=False)}
"""
        nodes = [
            Node(cluster_blog, cluster_blog.store_url, f"node-{n}", accounts) for n in range(3)
        ]
        try:
            yield nodes, mastodon, hook, planet
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


def test_replicas_killed_and_frozen_at_random_lose_and_repeat_nothing(
    cluster_blog: Blog, replicas: Replicas, seeded: random.Random
) -> None:
    nodes, mastodon, hook, planet = replicas
    blog = cluster_blog
    post(blog, "2024-05-01-before.html.md", "Before the storm")  # seen at the first build
    for node in nodes:
        node.start()
    wait_for(lambda: same_feed_everywhere(nodes, "Before the storm"), "the first build")
    # Each source's first poll is stored (its entries taken as seen) before the storm.
    wait_for(lambda: first_polls_stored(blog.store_url), "every source's first poll")
    titles: list[str] = []
    kills = freezes = 0
    takeovers: list[float] = []
    for round_ in range(ROUNDS):
        title = f"Storm post {round_}"
        titles.append(title)
        post(blog, f"2024-06-{round_ + 1:02d}-storm-{round_}.html.md", title)
        if seeded.random() < 0.5:  # a remote entry, announced like a post once polled
            source = seeded.randrange(SOURCES)
            titles.append(f"Entry {planet.entries[source]} of blog {source}")
            planet.entries[source] += 1
        time.sleep(seeded.uniform(0.0, 2.0))
        victim = seeded.choice(nodes)
        assert victim.running is not None
        was_owner = owner(blog.store_url) == victim.name
        if seeded.random() < 0.6:
            victim.stop(signal.SIGKILL)
            kills += 1
            started = time.monotonic()
            if was_owner:
                wait_for(partial(taken_from, blog.store_url, victim.name), "a takeover",
                         timeout=DEADLINE)  # fmt: skip
                takeovers.append(time.monotonic() - started)
            victim.start()
        else:
            os.kill(victim.running.process.pid, signal.SIGSTOP)
            freezes += 1
            time.sleep(LEASE * 1.5)
            os.kill(victim.running.process.pid, signal.SIGCONT)
    settings = load_settings(nodes[0].config)

    def settled() -> bool:
        found = deliveries(settings)
        return len(found) == 2 * len(titles) and all(d.status is DeliveryStatus.SENT for d in found)

    wait_for(settled, "every delivery sent", timeout=DEADLINE)
    posts = [t for t in titles if t.startswith("Storm")]  # remote entries are not listed
    wait_for(lambda: same_feed_everywhere(nodes, posts[-1]), "one feed everywhere")
    statuses = Counter(
        title for status in mastodon.statuses() for title in titles if title in status["content"]
    )
    hooked = Counter(
        title for body in hook.stored.values() for title in titles if title in str(body)
    )
    print(
        f"{ROUNDS} rounds, {kills} kills, {freezes} freezes, {len(titles) * 2} deliveries "
        f"({sum(t.startswith('Entry') for t in titles)} remote entries), "
        f"takeovers after {', '.join(f'{t:.1f} s' for t in takeovers) or 'none'}"
    )
    assert planet.most_flying == 1, "two requests in flight to one host"
    assert statuses == Counter(titles), "Mastodon: each post exactly once"
    assert hooked == Counter(titles), "webhook: each post exactly once"
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
