"""The HTTP app: feeds, an index page, health and metrics. An ASGI app for uvicorn.

    create_app(settings, feeds, metrics, health) -> Starlette

Routes: `/` (index page), `/healthz` (JSON; 503 when scans stopped), `/metrics` (Prometheus),
the dashboard under `/admin/` and its API under `/api/` when given (admin/routes.py), and every
other path is a feed file under `settings.output_dir` (see web/feeds.py). Outside the dashboard,
GET and HEAD only; anything else is 405.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from prometheus_client.exposition import choose_encoder
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syndicate.clock import Clock, SystemClock
from syndicate.config import Settings
from syndicate.feeds.opml import MEDIA_TYPE as OPML_TYPE
from syndicate.metrics import Metrics
from syndicate.web.catalog import (
    FeedCatalog,
    FeedFile,
    FeedIndex,
    FeedList,
    IndexView,
    Snapshot,
    feed_index_from_ledger,
    files_from_ledger,
    files_of,
)
from syndicate.web.conditions import none_match
from syndicate.web.feeds import FeedFiles
from syndicate.web.health import SERVING_ONLY, Health, HealthFacts, judge
from syndicate.web.limits import Limits, RequestLimits
from syndicate.web.page import (
    CONTENT_SECURITY_POLICY,
    OPML_PATH,
    render_index,
    render_opml,
)
from syndicate.web.representations import DEFAULT_CACHE_BYTES, RepresentationCache, etag_of
from syndicate.web.shared_feeds import SharedFeeds

__all__ = [
    "SERVING_ONLY",
    "FeedCatalog",
    "FeedFile",
    "FeedIndex",
    "FeedList",
    "Health",
    "HealthFacts",
    "create_app",
    "feed_index_from_ledger",
    "files_from_ledger",
    "files_of",
]

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


def create_app(
    settings: Settings,
    feeds: FeedIndex,
    metrics: Metrics,
    health: Health,
    *,
    clock: Clock | None = None,
    cache_bytes: int = DEFAULT_CACHE_BYTES,
    admin: Sequence[BaseRoute] = (),
    shared: SharedFeeds | None = None,
) -> Starlette:
    """The app serving `settings.output_dir`.

    `feeds` is called for the current feed files on each request, `health` on each
    `/healthz` (both from the server's event loop thread). `clock` dates /healthz (the
    daemon's clock, so its facts and "now" agree). `cache_bytes` bounds the memory kept for
    served files (identity plus gzip). `admin` are the dashboard's and API's routes
    (admin/routes.py), matched before the feed files. With `shared` (a cluster's node), the
    feeds are served from the ledger's documents instead of the files.
    """
    clock = clock or SystemClock()
    view = IndexView(feeds)
    files = FeedFiles(settings, view, RepresentationCache(cache_bytes), shared)
    routes = [
        Route("/", IndexPage(settings, view).serve, methods=["GET"]),
        Route(f"/{OPML_PATH}", FeedsOpml(settings, view).serve, methods=["GET"]),
        Route("/healthz", _healthz(health, clock), methods=["GET"]),
        Route("/metrics", _metrics(metrics), methods=["GET"]),
        *admin,
        Route("/{path:path}", files.serve, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(BodylessHead)
    app.add_middleware(RequestLimits, limits=Limits.of(settings.server))
    app.add_middleware(CountResponses, metrics=metrics)
    return app


class IndexPage:
    """`/`, rendered once per feed list and answered with 304 while it is the same."""

    media_type = "text/html; charset=utf-8"

    def __init__(self, settings: Settings, view: IndexView) -> None:
        self._settings = settings
        self._view = view
        self._for: Snapshot | None = None
        self._page = b""
        self._etag = ""

    def render(self, files: Sequence[FeedFile]) -> bytes:
        return render_index(self._settings, files).encode()

    async def serve(self, request: Request) -> Response:
        snapshot = self._view.now()
        if snapshot is not self._for:
            self._page = self.render(snapshot.files)
            self._etag = etag_of(self._page)
            self._for = snapshot
        headers = {
            "ETag": self._etag,
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        if none_match(request.headers.get("if-none-match"), [self._etag]):
            return Response(status_code=304, headers=headers)
        return Response(self._page, media_type=self.media_type, headers=headers)


class FeedsOpml(IndexPage):
    """`/feeds.opml`: every feed of the site as an OPML reading list, made like the index."""

    media_type = f"{OPML_TYPE}; charset=utf-8"

    def render(self, files: Sequence[FeedFile]) -> bytes:
        return render_opml(self._settings, files)


def _healthz(health: Health, clock: Clock) -> Endpoint:
    app_started = clock.now()  # the grace period runs from here unless the facts say otherwise

    async def healthz(request: Request) -> Response:
        verdict = judge(health(), clock.now(), app_started)
        return JSONResponse(
            verdict.body,
            status_code=200 if verdict.healthy else 503,
            headers={"Cache-Control": "no-store"},
        )

    return healthz


def _metrics(metrics: Metrics) -> Endpoint:
    async def exposition(request: Request) -> Response:
        # The text format unless the scraper asks for OpenMetrics.
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(
            encode(metrics.registry),
            headers={"Content-Type": content_type, "Cache-Control": "no-store"},
        )

    return exposition


class CountResponses:
    """Counts answers by status for /metrics: how many feed polls cost a 304, how many 404s."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self._counter = metrics.http_responses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._counter.labels(status=str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counted)


class BodylessHead:
    """Drops the body of every answer to HEAD, keeping its headers (Content-Length included).

    uvicorn would drop it too, but other servers and ASGI test transports do not, and the
    endpoints then need not care which method they answer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_headers_only)
