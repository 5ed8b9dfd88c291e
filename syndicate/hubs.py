"""Telling WebSub hubs about changed feeds, from one background thread (see feeds/websub.py).

The ledger says what is due: a feed whose `digest` (the bytes on disk) differs from `pinged`
(the version hubs were last told of). A round reads that, pings, and records what every hub
took, compare-and-set on the digest. So a burst of builds gives one ping per feed and hub, a
feed rewritten while its ping was in flight stays due, and a crash anywhere means the ping is
sent again after the restart, never lost. Rounds that leave something unsettled are retried
later, each wait twice the one before, up to an hour.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from syndicate.feeds.websub import HubPinger, settled_topics
from syndicate.logs import fields
from syndicate.store.ledger import Ledger

log = logging.getLogger(__name__)

FIRST_RETRY = 60.0  # seconds before a round that failed is tried again
LAST_RETRY = 3600.0


class HubWorker:
    """Pings hubs whenever woken (after builds, and once at start) and on its retry timer."""

    def __init__(
        self,
        ledger: Ledger,
        pinger: HubPinger,
        urls: Callable[[], Mapping[str, str]],
        stopping: threading.Event,
    ) -> None:
        """`urls` maps each current feed file's path to its public URL (the hub's topic).
        `stopping` is the event the pinger sleeps on, so a stop cuts its waits short."""
        self._ledger = ledger
        self._pinger = pinger
        self._urls = urls
        self._stopping = stopping
        self._wake = threading.Event()
        self._retry = FIRST_RETRY
        self._thread = threading.Thread(target=self._run, name="hubs", daemon=True)

    def start(self) -> None:
        self._wake.set()  # catch up on what an earlier run left due
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        timeout: float | None = None
        while True:
            self._wake.wait(timeout)
            if self._stopping.is_set():
                return
            self._wake.clear()
            try:
                settled = self.round()
            except Exception:  # the ledger may be busy or gone for a moment; try again later
                log.exception("hub pings failed")
                settled = False
            timeout = None if settled else self._backoff()

    def round(self) -> bool:
        """Ping every due feed once per hub; True when nothing is left due."""
        urls = self._urls()
        due = {
            path: feed.digest
            for path, feed in self._ledger.feeds().items()
            if feed.pinged != feed.digest and path in urls
        }
        if not due:
            self._retry = FIRST_RETRY
            return True
        by_url = {urls[path]: path for path in due}
        results = self._pinger.ping(list(by_url))
        told = {by_url[url]: due[by_url[url]] for url in settled_topics(results)}
        self._ledger.mark_pinged(told)
        failed = [r for r in results if not r.ok]
        for result in failed:
            log.warning(
                "hub ping failed",
                extra=fields(hub=result.hub, feed=result.topic, error=result.error),
            )
        log.info("hubs told", extra=fields(feeds=len(told), due=len(due), failures=len(failed)))
        if len(told) == len(due):
            self._retry = FIRST_RETRY
            return True
        return False

    def _backoff(self) -> float:
        wait, self._retry = self._retry, min(self._retry * 2, LAST_RETRY)
        return wait
