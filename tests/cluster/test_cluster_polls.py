"""Remote sources polled by a cluster: three `syndicate run` replicas on one PostgreSQL share
the polls of twelve sources on four loopback hosts (127.0.2.1-4) through procrastinate jobs,
one host at a time. Every replica serves every source's entries; never more than one request
is in flight to a host across the cluster; when the nodes that polled are killed, the living
one polls their hosts, and a new entry still reaches every living node's feed."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.conftest import Blog
from tests.peers.planet import HOSTS, Planet, sources_config
from tests.test_cluster_daemon import Node, same_feed_everywhere
from tests.test_daemon import post, wait_for

PER_HOST = 3


def polls(node: Node) -> int:
    assert node.running is not None
    lines = node.running.log().splitlines()
    return sum(1 for line in lines if '"source polled"' in line or "source polled" in line)


@pytest.fixture
def planet() -> Iterator[Planet]:
    with Planet() as serving:
        yield serving


def test_replicas_share_the_polls_a_host_at_a_time_and_survive_their_pollers(
    cluster_blog: Blog, planet: Planet
) -> None:
    blog, ledger_url = cluster_blog, cluster_blog.store_url
    post(blog, "2024-05-01-first.html.md", "First light")
    extra = sources_config(planet, len(HOSTS) * PER_HOST, include=True) + "\n[build]\nworkers = 1\n"
    nodes = [Node(blog, ledger_url, f"node-{n}", extra=extra) for n in range(3)]
    try:
        for node in nodes:
            node.start()
        every_first = [f"Entry 0 of blog {n}" for n in range(len(HOSTS) * PER_HOST)]
        wait_for(lambda: all(same_feed_everywhere(nodes, t) for t in every_first),
                 "every source's entry on every node", timeout=90)  # fmt: skip
        assert planet.most_flying == 1, "two polls of one host at once"
        pollers = [node for node in nodes if polls(node)]
        print(f"polled by {[n.name for n in pollers]}: {[polls(n) for n in nodes]}")

        # Kill every node that polled (but one, if all did): the others poll their hosts.
        doomed = pollers if len(pollers) < len(nodes) else pollers[:-1]
        for node in doomed:
            node.stop(signal.SIGKILL)
        living = [node for node in nodes if node not in doomed]
        before = {node.name: polls(node) for node in living}
        for source in range(len(HOSTS) * PER_HOST):
            planet.entries[source] = 2
        every_second = [f"Entry 1 of blog {n}" for n in range(len(HOSTS) * PER_HOST)]
        wait_for(lambda: all(same_feed_everywhere(living, t) for t in every_second),
                 "every new entry on the living nodes", timeout=90)  # fmt: skip
        assert sum(polls(node) - before[node.name] for node in living) >= len(every_second)
        assert planet.most_flying == 1, "two polls of one host at once"
    finally:
        for node in nodes:
            node.stop(signal.SIGKILL)
