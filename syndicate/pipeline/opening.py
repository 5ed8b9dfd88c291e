"""Wiring: the real ledger, cache, output directory and clock for a configuration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from syndicate.clock import Clock, SystemClock
from syndicate.config import Settings
from syndicate.feeds.output import OutputDir
from syndicate.pipeline.builder import Builder, Progress
from syndicate.store.cache import RenderCache
from syndicate.store.ledger import Ledger


@contextmanager
def open_builder(
    settings: Settings, *, clock: Clock | None = None, progress: Progress | None = None
) -> Iterator[Builder]:
    """A Builder over the configured stores; closes them afterwards."""
    ledger = Ledger.open(settings.store_url)
    cache = RenderCache(settings.cache_path)
    output = OutputDir(settings.output_dir)
    output.sweep()  # what a killed build left half-written
    try:
        yield Builder(
            settings,
            ledger=ledger,
            cache=cache,
            output=output,
            clock=clock or SystemClock(),
            progress=progress,
        )
    finally:
        cache.close()
        ledger.close()
