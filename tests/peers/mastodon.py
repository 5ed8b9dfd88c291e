"""A Mastodon instance on 127.0.0.1 for tests: mastodon-mock's server, and a thin relay in
front of it for what the mock cannot do.

mastodon-mock keeps statuses in SQLite, honours `Idempotency-Key` per account, checks bearer
tokens (401), refuses over-long text (422) and has a fault plane for forced statuses and
rate limits. What it cannot do, the relay does, and nothing more:
- lose the connection: before forwarding a request ("cut"), after the instance applied it
  ("drop"), or by never answering ("stall") -- how a crash or a timeout looks to a client;
- state other limits than its fixed 500/23, as an instance configured otherwise would (the
  instance document is the mock's own, with the two numbers changed);
- answer after a `latency`, once the instance has handled the request (a network's round trip).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from mastodon_mock.config import (
    DatabaseConfig,
    MastodonMockConfig,
    SeedAccount,
    SeedConfig,
    StreamingConfig,
)
from mastodon_mock.testing.server import MockServer

from tests.peers.threads import serving

USERNAME = "blog"
TOKEN = "blog-token-for-tests"  # a seeded token of the mock, not a credential
OTHER_TOKEN = "reader-token-for-tests"  # another account on the same instance
INSTANCE_PATHS = frozenset({"/api/v1/instance", "/api/v2/instance"})
# Headers that describe one hop, not the message: the relay's own connection sets them.
_HOP = frozenset(
    {"host", "connection", "keep-alive", "transfer-encoding", "content-length", "accept-encoding"}
)
_ANSWER_SKIP = frozenset({"content-encoding", "server", "date"}) | _HOP


@dataclass
class Seen:
    """A request as it reached the relay."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Relay:
    """What the relay does to the requests it passes on; tests change it while it runs."""

    upstream: httpx.Client
    faults: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, fault
    limits: tuple[int, int] | None = None  # max_characters, characters_reserved_per_url
    latency: float = 0.0  # seconds each answer waits after the instance handled the request
    seen: list[Seen] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lose(self, method: str, path: str, how: str) -> None:
        """Lose the next `method path` exchange: "cut", "drop" or "stall" (see the module)."""
        assert how in {"cut", "drop", "stall"}
        with self.lock:
            self.faults.append((method, path, how))

    def take(self, method: str, path: str) -> str | None:
        with self.lock:
            for fault in self.faults:
                if fault[:2] == (method, path):
                    self.faults.remove(fault)
                    return fault[2]
        return None

    def rewrite(self, path: str, answer: httpx.Response) -> bytes:
        """The instance document with the limits changed, when they are; else the answer."""
        if self.limits is None or path not in INSTANCE_PATHS or answer.status_code != 200:
            return answer.content
        document = answer.json()
        statuses = document["configuration"]["statuses"]
        statuses["max_characters"], statuses["characters_reserved_per_url"] = self.limits
        return httpx.Response(200, json=document).content


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test's output is its own."""

    def _relay(self) -> None:
        relay = cast(_Server, self.server).relay
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        relay.seen.append(Seen(self.command, path, headers))
        fault = relay.take(self.command, path)
        if fault == "cut":
            self.close_connection = True
            return
        answer = relay.upstream.request(self.command, self.path, content=body, headers=headers)
        time.sleep(relay.latency)
        if fault is not None:  # the instance has done it; the client never hears so
            if fault == "stall":
                relay.released.wait()
            self.close_connection = True
            return
        content = relay.rewrite(path, answer)
        try:
            self.send_response(answer.status_code)
            for name, value in answer.headers.multi_items():
                if name.lower() not in _ANSWER_SKIP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        except ConnectionError:  # the client is gone (killed while it waited)
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, relay: Relay) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.relay = relay


@dataclass
class MastodonPeer:
    """A running instance: `url` is the relay (what publishers use), `instance` the mock."""

    url: str
    instance: str
    relay: Relay

    def fault(self, method: str, path: str, effect: dict[str, Any], count: int | None = 1) -> None:
        """Have the mock itself answer `count` matching requests with `effect` (its fault
        plane: {"type": "status" | "ratelimit", "status": ..., "headers": {...}})."""
        rule = {"match": {"methods": [method], "path": path}, "effect": effect, "count": count}
        httpx.post(f"{self.instance}/api/v1/_mock/faults", json=rule).raise_for_status()

    def api(self, token: str = TOKEN) -> httpx.Client:
        """A client straight to the mock, past the relay, as the account."""
        return httpx.Client(base_url=self.instance, headers={"Authorization": f"Bearer {token}"})

    def statuses(self) -> list[dict[str, Any]]:
        """The account's statuses as the instance has them, newest first."""
        with self.api() as api:
            account = api.get("/api/v1/accounts/verify_credentials").raise_for_status().json()
            answer = api.get(f"/api/v1/accounts/{account['id']}/statuses", params={"limit": 40})
            return cast(list[dict[str, Any]], answer.raise_for_status().json())

    def source(self, status_id: str) -> str:
        """A status's text exactly as it was posted."""
        with self.api() as api:
            answer = api.get(f"/api/v1/statuses/{status_id}/source").raise_for_status()
            return cast(str, answer.json()["text"])


def _config() -> MastodonMockConfig:
    accounts = [
        SeedAccount(username=USERNAME, display_name="A blog", access_token=TOKEN),
        SeedAccount(username="reader", display_name="A reader", access_token=OTHER_TOKEN),
    ]
    return MastodonMockConfig(
        database=DatabaseConfig(path=":memory:"),
        seed=SeedConfig(accounts=accounts),
        streaming=StreamingConfig(enabled=False),
    )


@contextmanager
def serve_mastodon() -> Iterator[MastodonPeer]:
    """mastodon-mock on a free port with the relay before it; both stopped on exit."""
    with (
        MockServer(config=_config(), startup_timeout=60.0) as mock,
        httpx.Client(base_url=mock.base_url, timeout=60.0) as upstream,
    ):
        relay = Relay(upstream)
        server = _Server(relay)
        with serving(server):
            try:
                yield MastodonPeer(f"http://127.0.0.1:{server.server_port}", mock.base_url, relay)
            finally:
                relay.released.set()  # stalled answers go before the server waits for them
