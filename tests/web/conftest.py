"""A built blog served by the web app under a real uvicorn on 127.0.0.1, with a log of what the
real clients (httpx, feedparser, reader, http.client) asked and got."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.metrics import Metrics
from syndicate.store.ledger import Ledger
from syndicate.web.app import (
    SERVING_ONLY,
    FeedCatalog,
    HealthFacts,
    create_app,
    feed_index_from_ledger,
)
from syndicate.web.server import BackgroundServer
from tests.conftest import Blog, build

HUBS = ("https://hub.example.com/", "https://websub.example.net/hub")
SITE_TITLE = "Ana & Bo's <Blog>"


def write_posts(blog: Blog) -> None:
    """Two authors, tags whose names need escaping, and a title with markup in it."""
    blog.authors({"ana": {"name": "Ana <Lima>"}, "bo": {"name": "Bo Ek"}})
    blog.post(
        "2024-05-01-first.html.md",
        {
            "title": "First & foremost <script>alert(1)</script>",
            "author": "ana",
            "date": "2024-05-01 10:00:00 UTC",
            "tags": ["News", "C++ & <Rust>"],
        },
        "Intro.\n\nREADMORE\n\nMore text, enough of it to be worth compressing. " * 20,
    )
    blog.post(
        "2024-05-02-second.html.md",
        {"title": "Second", "author": "bo", "date": "2024-05-02", "tags": ["news"]},
        "Just *one* paragraph.",
    )


def blog_settings(blog: Blog) -> Settings:
    hubs = ", ".join(f'"{hub}"' for hub in HUBS)
    return blog.settings(f'[site]\ntitle = "{SITE_TITLE}"\n[feeds]\nhubs = [{hubs}]\n')


@dataclass
class Site:
    """A built blog and the app serving it, with the feed index read from the ledger."""

    blog: Blog
    settings: Settings
    clock: FixedClock
    metrics: Metrics = field(default_factory=Metrics)
    facts: HealthFacts = SERVING_ONLY

    def __post_init__(self) -> None:
        self.ledger = Ledger.open(self.settings.store_url)
        self.app = create_app(
            self.settings,
            self.feed_index,
            self.metrics,
            lambda: self.facts,
            clock=self.clock,
        )

    def feed_index(self) -> FeedCatalog:
        # What `syndicate serve` does: the ledger's records, read on each request.
        return feed_index_from_ledger(self.settings, self.ledger.feeds().values())

    def rebuild(self) -> None:
        build(self.settings, self.clock)

    @property
    def output(self) -> Path:
        return self.settings.output_dir


@pytest.fixture
def site(blog: Blog, clock: FixedClock) -> Iterator[Site]:
    write_posts(blog)
    settings = blog_settings(blog)
    build(settings, clock)
    built = Site(blog, settings, clock)
    yield built
    built.ledger.close()


class Client:
    """httpx over a real socket to a BackgroundServer, one kept-alive connection per test."""

    def __init__(self, server: BackgroundServer) -> None:
        self.server = server
        self._http = httpx.Client(base_url=server.url, timeout=10)

    def request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return self._http.request(method, path, headers=headers)

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return self.request("GET", path, headers)

    def head(self, path: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return self.request("HEAD", path, headers)

    def close(self) -> None:
        self._http.close()


@contextmanager
def serving(app: ASGIApp) -> Iterator[Client]:
    """`app` under a real uvicorn on 127.0.0.1 (a free port), and an httpx client for it."""
    with BackgroundServer(app, access_log=False) as server:
        client = Client(server)
        try:
            yield client
        finally:
            client.close()


@pytest.fixture
def client(live: Live) -> Iterator[Client]:
    """httpx against the live server (the same one feedparser and reader talk to)."""
    client = Client(live.server)
    yield client
    client.close()


@dataclass
class Logged:
    method: str
    path: str
    status: int
    headers: dict[str, str]


class Recorder:
    """ASGI middleware that notes each request's method, path, status and headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log: list[Logged] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.log.append(Logged(scope["method"], scope["path"], message["status"], headers))
            await send(message)

        await self.app(scope, receive, noting)

    def statuses(self, path: str) -> list[int]:
        return [entry.status for entry in self.log if entry.path == "/" + path]


@dataclass
class Live:
    server: BackgroundServer
    recorder: Recorder

    def url(self, path: str = "") -> str:
        return self.server.url + path


@pytest.fixture
def live(site: Site) -> Iterator[Live]:
    """The app under a real uvicorn on 127.0.0.1, on a free port, stopped afterwards."""
    recorder = Recorder(site.app)
    with BackgroundServer(recorder, access_log=False) as server:
        yield Live(server, recorder)
