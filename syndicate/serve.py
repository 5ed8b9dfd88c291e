"""`syndicate serve`: only the HTTP side, over feeds some other process builds.

The feed index comes from the ledger, re-read at most every few seconds, so feeds written by a
`syndicate build` run elsewhere appear without a restart."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from syndicate.admin.dashboard import LedgerPosts
from syndicate.admin.routes import admin_routes
from syndicate.clock import SystemClock
from syndicate.config import Settings
from syndicate.logs import fields
from syndicate.metrics import Metrics
from syndicate.store.ledger import FeedRecord, Ledger
from syndicate.web.app import create_app
from syndicate.web.catalog import FeedFile, feed_index_from_ledger
from syndicate.web.health import SERVING_ONLY, HealthFacts
from syndicate.web.limits import Limits
from syndicate.web.server import BackgroundServer

log = logging.getLogger("syndicate.serve")

_REFRESH = 5.0  # seconds a ledger read is trusted


class LedgerFeeds:
    """The feed files the ledger lists, re-read at most every few seconds; thread-safe."""

    def __init__(self, settings: Settings, ledger: Ledger) -> None:
        self._settings = settings
        self._ledger = ledger
        self._lock = threading.Lock()
        self._read_at = -_REFRESH
        self._records: tuple[FeedRecord, ...] = ()

    def __call__(self) -> tuple[FeedFile, ...]:
        with self._lock:
            if time.monotonic() - self._read_at > _REFRESH:
                self._records = tuple(self._ledger.feeds().values())
                self._read_at = time.monotonic()
            records = self._records
        return feed_index_from_ledger(self._settings, records)


def serve_feeds(
    settings: Settings,
    stop: threading.Event | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT (or `stop` is set); `on_ready` is told the URL."""
    stop = stop or threading.Event()
    ledger = Ledger.open(settings.store_url)
    feeds = LedgerFeeds(settings, ledger)
    clock = SystemClock()
    metrics = Metrics()
    admin = admin_routes(
        settings, ledger, LedgerPosts(ledger), feeds, _serving_only, clock, metrics=metrics
    )
    app = create_app(settings, feeds, metrics, _serving_only, clock=clock, admin=admin)
    server = BackgroundServer(
        app,
        settings.server.host,
        settings.server.port,
        limits=Limits.of(settings.server),
        parser=settings.server.http,
    )
    if threading.current_thread() is threading.main_thread():
        _stop_on_signals(stop)
    try:
        server.start()
        if on_ready is not None:
            on_ready(server.url)
        log.info("serving feeds", extra=fields(url=server.url, feeds=str(settings.output_dir)))
        stop.wait()
    finally:
        server.stop()
        ledger.close()
        log.info("stopped")


def _serving_only() -> HealthFacts:
    return SERVING_ONLY


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra=fields(signal=signal.Signals(signum).name))
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
