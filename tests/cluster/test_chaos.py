"""Chaos: three `syndicate run` replicas on one PostgreSQL ledger, one blog, a Mastodon instance
and a webhook receiver. Round after round a post is written, then a random replica is
SIGKILLed at a random moment (and started again) or SIGSTOPped past its lease and woken.

Afterwards every post reached each account exactly once (0 duplicates, 0 losses), no
delivery is left claimed, and every replica serves the same feed, with every post in it.
The seed is printed; SYNDICATE_CHAOS_SEED replays a run.
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
from tests.cluster.test_cluster import deliveries, hook_account
from tests.conftest import Blog
from tests.peers.mastodon import TOKEN, MastodonPeer, serve_mastodon
from tests.peers.webhooks import SigningReceiver
from tests.test_cluster_daemon import LEASE, Node, owner, same_feed_everywhere
from tests.test_daemon import post, wait_for

ROUNDS = 8
DEADLINE = 120.0


@pytest.fixture
def seeded() -> random.Random:
    seed = int(os.environ.get("SYNDICATE_CHAOS_SEED") or random.randrange(2**32))
    print(f"chaos seed {seed}")
    return random.Random(seed)


Replicas = tuple[list[Node], MastodonPeer, SigningReceiver]


@pytest.fixture
def replicas(cluster_blog: Blog, monkeypatch: pytest.MonkeyPatch) -> Iterator[Replicas]:
    with serve_mastodon() as mastodon, SigningReceiver(None) as hook:
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
"""
        nodes = [
            Node(cluster_blog, cluster_blog.store_url, f"node-{n}", accounts) for n in range(3)
        ]
        try:
            yield nodes, mastodon, hook
        finally:
            for node in nodes:
                node.stop(signal.SIGKILL)


def taken_from(ledger_url: str, name: str) -> bool:
    return owner(ledger_url) not in (None, name)


def test_replicas_killed_and_frozen_at_random_lose_and_repeat_nothing(
    cluster_blog: Blog, replicas: Replicas, seeded: random.Random
) -> None:
    nodes, mastodon, hook = replicas
    blog = cluster_blog
    post(blog, "2024-05-01-before.html.md", "Before the storm")  # seen at the first build
    for node in nodes:
        node.start()
    wait_for(lambda: same_feed_everywhere(nodes, "Before the storm"), "the first build")
    titles: list[str] = []
    kills = freezes = 0
    takeovers: list[float] = []
    for round_ in range(ROUNDS):
        title = f"Storm post {round_}"
        titles.append(title)
        post(blog, f"2024-06-{round_ + 1:02d}-storm-{round_}.html.md", title)
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
    wait_for(lambda: same_feed_everywhere(nodes, titles[-1]), "one feed everywhere")
    statuses = Counter(
        title for status in mastodon.statuses() for title in titles if title in status["content"]
    )
    hooked = Counter(
        title for body in hook.stored.values() for title in titles if title in str(body)
    )
    print(
        f"{ROUNDS} rounds, {kills} kills, {freezes} freezes, {len(titles) * 2} deliveries, "
        f"takeovers after {', '.join(f'{t:.1f} s' for t in takeovers) or 'none'}"
    )
    assert statuses == Counter(titles), "Mastodon: each post exactly once"
    assert hooked == Counter(titles), "webhook: each post exactly once"
    for node in nodes:
        feed = node.feed()
        assert feed is not None and all(t.encode() in feed[1] for t in titles[-5:]), node.name
    assert all(d.lease_owner is None for d in deliveries(settings))
