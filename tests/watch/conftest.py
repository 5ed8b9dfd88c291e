"""Fixtures for remote sources: a real HTTP server on 127.0.0.1 that answers as told, sockets
that never answer or refuse, and the feeds in data/."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from syndicate.config import SourceSettings
from syndicate.sections import parse
from syndicate.watch.poll import make_client

DATA = Path(__file__).parent / "data"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    sized: bool = True  # else no Content-Length: the body ends when the connection closes


Route = Reply | Callable[[dict[str, str]], Reply]


class ScriptedServer:
    """Answers each path with the Reply it was given (or that a function of the request
    headers returns); 404 elsewhere. Logs (path, request headers) of every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, reply: Route) -> str:
        self.routes[path] = reply
        return self.url(path)

    def requests(self, path: str) -> list[dict[str, str]]:
        return [headers for logged, headers in self.log if logged == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer (as polling does past its size limit) is fine."""


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.log.append((self.path, headers))
            route = server.routes.get(self.path)
            reply = Reply(404) if route is None else route(headers) if callable(route) else route
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.sized:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    scripted.start()
    try:
        yield scripted
    finally:
        scripted.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(timeout=5.0) as made:
        yield made


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections (the kernel does) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
    finally:
        listener.close()


@pytest.fixture
def refused_url() -> str:
    """An address where nothing listens: the port was free a moment ago."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/feed.xml"


def source(url: str, **settings: object) -> SourceSettings:
    return parse(SourceSettings, {"name": "Example Blog", "url": url, **settings})


def feed_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()
