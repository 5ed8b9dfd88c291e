"""Remote sources polled by a cluster: three `syndicate run` replicas on one PostgreSQL share
the polls of twelve sources on four loopback hosts (127.0.2.1-4) through procrastinate jobs,
one host at a time. Every replica serves every source's entries; never more than one request
is in flight to a host across the cluster; when the nodes that polled are killed, the living
one polls their hosts, and a new entry still reaches every living node's feed."""

from __future__ import annotations

import http.server
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Blog
from tests.test_cluster_daemon import Node, same_feed_everywhere
from tests.test_daemon import free_port, post, wait_for

HOSTS = [f"127.0.2.{n}" for n in range(1, 5)]
PER_HOST = 3
SLOW = 0.15  # seconds per answer: polls of one host overlap unless kept apart


class Planet:
    """Small Atom feeds on several loopback addresses (one port), each answer a little slow;
    counts the requests in flight per host, and each source's entries are the test's to add."""

    def __init__(self) -> None:
        self.port = free_port()
        self.entries: dict[int, int] = defaultdict(lambda: 1)  # source -> how many entries
        self.flying: Counter[str] = Counter()
        self.most_flying = 0
        self.requests: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._servers: list[http.server.ThreadingHTTPServer] = []

    def __enter__(self) -> Planet:
        planet = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                planet.answer(self)

            def log_message(self, *_: Any) -> None:
                pass

        for address in HOSTS:
            server = http.server.ThreadingHTTPServer((address, self.port), Handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
        return self

    def __exit__(self, *_: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def url(self, source: int) -> str:
        return f"http://{HOSTS[source % len(HOSTS)]}:{self.port}/{source}.xml"

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        host = handler.headers.get("Host", "").rpartition(":")[0]
        source = int(handler.path.rsplit("/", 1)[1].removesuffix(".xml"))
        with self._lock:
            self.flying[host] += 1
            self.most_flying = max(self.most_flying, self.flying[host])
            self.requests[source] += 1
            count = self.entries[source]
        try:
            time.sleep(SLOW)
            body = feed(source, count).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/atom+xml")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        finally:
            with self._lock:
                self.flying[host] -= 1


def feed(source: int, count: int) -> str:
    entries = "".join(
        f"<entry><id>tag:planet.test,2026:{source}/{n}</id>"
        f"<title>Entry {n} of blog {source}</title><updated>2026-01-0{n + 1}T00:00:00Z</updated>"
        f"<link href='https://blog{source}.test/{n}'/><content type='html'>Hello</content></entry>"
        for n in range(count)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<id>tag:planet.test,2026:{source}</id><title>Blog {source}</title>"
        f"<updated>2026-01-01T00:00:00Z</updated>{entries}</feed>"
    )


def sources(planet: Planet) -> str:
    return "".join(
        f"""
[[sources]]
name = "blog {n}"
url = "{planet.url(n)}"
interval = 10
include = true
intranet = true
"""
        for n in range(len(HOSTS) * PER_HOST)
    )


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
    extra = sources(planet) + "\n[build]\nworkers = 1\n"
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
