"""Several `syndicate run` replicas on one PostgreSQL ledger ([cluster] enabled), as separate
processes over one blog: one owns the blog and builds, every one serves the same bytes and
ETag; killing the owner hands the blog to another within its lease; a replica frozen past
its lease (SIGSTOP) cannot write when it wakes, and the feeds stay whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from syndicate.store.database import Database
from syndicate.store.ownership import Ownership
from tests.conftest import Blog
from tests.peers.postgres import fresh_database, running_postgres, skip_unless_installed
from tests.test_daemon import Running, free_port, post, wait_for

LEASE = 2.0  # seconds: takeovers within a few seconds
BLOG = "cluster.example.org"


@pytest.fixture
def ledger_url(postgres_server: str | None, tmp_path: Path) -> Iterator[str]:
    if postgres_server is not None:
        yield fresh_database(postgres_server, f"cluster_{tmp_path.name}"[:60])
        return
    skip_unless_installed()
    with running_postgres() as server:
        yield fresh_database(server, "cluster")


class Node:
    """One replica: its own port, output folder and render cache; the shared ledger."""

    def __init__(self, blog: Blog, ledger_url: str, name: str, extra: str = "") -> None:
        self.name = name
        self.port = free_port()
        home = blog.state / name
        home.mkdir(parents=True, exist_ok=True)
        self.config = home / "syndicate.toml"
        self.config.write_text(f"""
[site]
title = "Cluster"
url = "https://{BLOG}/"
[content]
root = "{blog.root}"
[feeds]
output = "{home / "public"}"
[watch]
debounce = 0.05
rescan = 0
[server]
port = {self.port}
[store]
url = "{ledger_url}"
cache = "{home / "cache.sqlite"}"
[cluster]
enabled = true
node = "{name}"
lease_seconds = {LEASE}
{extra}""")
        self.running: Running | None = None

    def start(self) -> Node:
        self.running = Running(self.config, self.port)
        return self

    def feed(self, path: str = "feed.xml") -> tuple[str, bytes] | None:
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.port}/{path}", timeout=2)
        except httpx.HTTPError:
            return None
        return (answer.headers["etag"], answer.content) if answer.status_code == 200 else None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.running is not None and self.running.process.poll() is None:
            self.running.stop(sig)


def status(node: Node) -> str:
    command = [sys.executable, "-m", "syndicate", "--config", str(node.config), "status"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def metric(node: Node, name: str) -> float:
    """A gauge of the node's /metrics, once the node has refreshed its feeds at least once."""
    wait_for(lambda: _gauge(node, "syndicate_cluster_feeds_refreshed_timestamp_seconds") > 0,
             "the node's first refresh")  # fmt: skip
    return _gauge(node, name)


def _gauge(node: Node, name: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{node.port}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    return 0.0


def owner(ledger_url: str) -> str | None:
    lease = Ownership(Database(ledger_url), BLOG).holder()
    return lease.owner if lease is not None else None


def same_feed_everywhere(nodes: list[Node], title: str) -> bool:
    served = [node.feed() for node in nodes]
    return (
        all(s is not None and title.encode() in s[1] for s in served)
        and len({s[0] for s in served if s is not None}) == 1
    )


@pytest.fixture
def nodes(blog: Blog, ledger_url: str) -> Iterator[list[Node]]:
    made = [Node(blog, ledger_url, f"node-{n}") for n in range(3)]
    yield made
    for node in made:
        node.stop(signal.SIGKILL)


def test_one_owner_builds_and_every_replica_serves_the_same_bytes(
    blog: Blog, ledger_url: str, nodes: list[Node]
) -> None:
    post(blog, "2024-05-01-first.html.md", "First light")
    for node in nodes:
        node.start()
    wait_for(lambda: same_feed_everywhere(nodes, "First light"), "one feed on every node")
    first_owner = owner(ledger_url)
    assert first_owner in {n.name for n in nodes}

    shown = status(nodes[0])
    assert f"cluster: {BLOG} owned by {first_owner} (epoch 1, until" in shown, shown
    wait_for(lambda: len(node_lines(nodes[0], "alive")) == 3, "three nodes listed alive")
    owners = node_lines(nodes[0], "(owner, alive")
    assert len(owners) == 1 and owners[0].startswith(f"node:    {first_owner} "), owners
    assert "jobs:    sends: none; polls: " in status(nodes[0])  # no accounts: no sends
    ownership = {n.name: metric(n, "syndicate_cluster_owner") for n in nodes}
    assert ownership == {n.name: float(n.name == first_owner) for n in nodes}

    post(blog, "2024-05-02-second.html.md", "Second wind")
    started = time.monotonic()
    wait_for(lambda: same_feed_everywhere(nodes, "Second wind"), "the new post everywhere")
    print(f"a new post on every node in {time.monotonic() - started:.2f} s")

    # The owner dies: another takes the blog over within the lease, and builds.
    dead = next(n for n in nodes if n.name == first_owner)
    dead.stop(signal.SIGKILL)
    killed = time.monotonic()
    living = [n for n in nodes if n is not dead]
    wait_for(lambda: owner(ledger_url) not in (None, first_owner), "a takeover", timeout=20)
    print(f"taken over by {owner(ledger_url)} in {time.monotonic() - killed:.2f} s")
    post(blog, "2024-05-03-third.html.md", "Third time")
    wait_for(lambda: same_feed_everywhere(living, "Third time"), "a build by the new owner")
    # The dead node is listed as silent; a node stopped cleanly leaves the list.
    wait_for(lambda: len(node_lines(living[0], "SILENT")) == 1, "the dead node shown silent")
    assert f"node:    {first_owner} " in node_lines(living[0], "SILENT")[0]
    living[1].stop(signal.SIGTERM)
    wait_for(lambda: f"node:    {living[1].name} " not in status(living[0]), "a goodbye")


def node_lines(node: Node, word: str) -> list[str]:
    return [line for line in status(node).splitlines() if line.startswith("node:") and word in line]


def test_a_replica_frozen_past_its_lease_cannot_write_when_it_wakes(
    blog: Blog, ledger_url: str, nodes: list[Node]
) -> None:
    post(blog, "2024-05-01-first.html.md", "First light")
    first, second = nodes[0].start(), nodes[1]
    wait_for(lambda: owner(ledger_url) == first.name, "the first node to own the blog")
    wait_for(lambda: first.feed() is not None, "its feed")
    assert first.running is not None
    os.kill(first.running.process.pid, signal.SIGSTOP)
    try:
        second.start()
        wait_for(lambda: owner(ledger_url) == second.name, "a takeover", timeout=20)
        post(blog, "2024-05-02-second.html.md", "Written while frozen")
        wait_for(lambda: b"Written while" in (second.feed() or ("", b""))[1], "its build")
    finally:
        os.kill(first.running.process.pid, signal.SIGCONT)
    # Woken, the former owner may finish what it had begun: the ledger refuses it, and it
    # stops building; both serve the new owner's feed.
    wait_for(lambda: same_feed_everywhere([first, second], "Written while"), "both nodes")
    post(blog, "2024-05-03-third.html.md", "After the thaw")
    wait_for(lambda: same_feed_everywhere([first, second], "After the thaw"), "both again")
    assert owner(ledger_url) == second.name
    assert "another node owns the blog now" in first.running.log()
