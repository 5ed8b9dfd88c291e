"""The dashboard assembled for the HTTP app: its facts, its guard, its routes."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from starlette.routing import BaseRoute, Mount

from syndicate.admin.api import api_app
from syndicate.admin.api_description import PREFIX
from syndicate.admin.auth import TokenSource
from syndicate.admin.dashboard import Dashboard, Parts, PostIndex
from syndicate.admin.guard import Guard
from syndicate.admin.pages import page_routes
from syndicate.admin.sessions import EndedSessions
from syndicate.admin.throttle import Throttle
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.metrics import Metrics
from syndicate.publish.opening import make_dispatcher
from syndicate.store.cache import RenderCache
from syndicate.store.ledger import Ledger
from syndicate.web.catalog import FeedIndex
from syndicate.web.health import Health


def admin_routes(
    settings: Settings,
    ledger: Ledger,
    posts: PostIndex,
    feeds: FeedIndex,
    health: Health,
    clock: Clock,
    *,
    wake: Callable[[], None] = lambda: None,
    environ: Mapping[str, str] | None = None,
    metrics: Metrics | None = None,
) -> list[BaseRoute]:
    """/admin/ and /api/, before the feed files' catch-all route.

    The preview gets a dispatcher of its own (its own publishers, its own connection to the
    render cache, for the summaries the texts carry): it runs in the server's threads, apart
    from the publisher's. It lives as long as the process."""
    previewer = None
    if settings.accounts:
        previewer = make_dispatcher(settings, ledger, RenderCache(settings.cache_path), clock)
    dashboard = Dashboard(Parts(settings, ledger, posts, feeds, health, clock, wake, previewer))
    tokens = TokenSource(
        os.environ if environ is None else environ,
        settings.token_path,
        enabled=settings.admin.enabled,
    )
    guard = Guard(
        tokens,
        clock,
        settings.admin.session_hours * 3600,
        throttle=Throttle(settings.admin.failures_per_client, settings.admin.failures_overall),
        metrics=metrics,
        ended=EndedSessions(ledger.engine),
    )
    return [*page_routes(dashboard, guard), Mount(PREFIX, app=api_app(dashboard, guard))]
