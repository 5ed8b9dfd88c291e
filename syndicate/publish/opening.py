"""The publishing side assembled: stores, publishers and the dispatcher, for the daemon and the
CLI alike."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from syndicate.clock import Clock, SystemClock
from syndicate.config import Settings
from syndicate.publish.dispatch import Dispatcher, Outcome
from syndicate.publish.pool import PublisherPool
from syndicate.store.cache import RenderCache
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Outbox


def make_dispatcher(
    settings: Settings,
    ledger: Ledger,
    cache: RenderCache | None,
    clock: Clock,
    *,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Dispatcher:
    outbox = Outbox(ledger.engine)
    pool = PublisherPool(
        ledger.engine, clock, os.environ, settings.base_dir, site_url=settings.site.url
    )
    return Dispatcher(
        settings, ledger, outbox, pool, clock=clock, cache=cache, on_outcome=on_outcome
    )


@contextmanager
def open_publishing(settings: Settings, clock: Clock | None = None) -> Iterator[Dispatcher]:
    """A dispatcher over the configured stores, for one command; closed afterwards."""
    ledger = Ledger.open(settings.store_url)
    cache = RenderCache(settings.cache_path)
    dispatcher = make_dispatcher(settings, ledger, cache, clock or SystemClock())
    try:
        yield dispatcher
    finally:
        dispatcher.pool.close()
        cache.close()
        ledger.close()
