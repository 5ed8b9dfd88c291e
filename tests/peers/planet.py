"""Remote feeds on several loopback addresses (127.0.2.1-4, one port), for a cluster's polls:
each answer a little slow, the requests in flight counted per host, and each source's number
of entries the test's to raise."""

from __future__ import annotations

import http.server
import sys
import threading
import time
from collections import Counter, defaultdict
from contextlib import suppress
from typing import Any

from tests.test_daemon import free_port

HOSTS = [f"127.0.2.{n}" for n in range(1, 5)]
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
            server = _Server((address, self.port), Handler)
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
        time.sleep(SLOW)
        body = feed(source, count).encode()
        # Counted out before the answer leaves: the client can only ask again once it has the
        # answer, so two in flight to one host means one truly did not wait for the other.
        with self._lock:
            self.flying[host] -= 1
        with suppress(OSError):  # a replica killed while it waited
            handler.send_response(200)
            handler.send_header("Content-Type", "application/atom+xml")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about a client killed mid-request (the storms kill replicas at will)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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


def sources_config(planet: Planet, count: int, *, include: bool) -> str:
    """`[[sources]]` tables for sources 0 .. count-1, named "blog N", polled every 10 s."""
    return "".join(
        f"""
[[sources]]
name = "blog {n}"
url = "{planet.url(n)}"
interval = 10
include = {str(include).lower()}
intranet = true
"""
        for n in range(count)
    )
