"""Telling WebSub hubs about changed feeds, from one background thread (see feeds/websub.py).

The ledger says what is due: a feed whose `digest` (the bytes on disk) differs from `pinged`
(the version hubs were last told of). A round reads that, pings, and records what every hub
took, compare-and-set on the digest. So a burst of builds gives one ping per feed and hub, a
feed rewritten while its ping was in flight stays due, and a crash anywhere means the ping is
sent again after the restart, never lost. Rounds that leave something unsettled are retried
later, each wait twice the one before (with jitter), up to an hour: the daemon's Worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from syndicate.backoff import Backoff
from syndicate.clock import Clock
from syndicate.daemon.worker import BACK_OFF, Next, Worker
from syndicate.feeds.websub import HubPinger, settled_topics
from syndicate.logs import fields
from syndicate.store.ledger import Ledger

log = logging.getLogger(__name__)

BACKOFF = Backoff(60.0, 3600.0, 0.75, 1.25)  # seconds before a round that failed runs again


class HubWorker:
    """Pings hubs whenever woken (after builds, and once at start), and again with backoff
    while a round leaves feeds due."""

    def __init__(
        self,
        ledger: Ledger,
        pinger: HubPinger,
        urls: Callable[[], Mapping[str, str]],
        stopping: threading.Event,
        *,
        clock: Clock,
    ) -> None:
        """`urls` maps each current feed file's path to its public URL (the hub's topic).
        `stopping` is the event the pinger sleeps on, so a stop cuts its waits short."""
        self._ledger = ledger
        self._pinger = pinger
        self._urls = urls
        self.worker = Worker("hubs", self._step, clock=clock, backoff=BACKOFF, stopping=stopping)

    def start(self) -> None:
        self.worker.start()  # catch up on what an earlier run left due

    def wake(self) -> None:
        self.worker.wake()

    def stop(self) -> None:
        self.worker.stop(timeout=30)

    def _step(self) -> Next | None:
        return None if self.round() else BACK_OFF

    def round(self) -> bool:
        """Ping every due feed once per hub; True when nothing is left due."""
        urls = self._urls()
        due = {
            path: feed.digest
            for path, feed in self._ledger.feeds().items()
            if feed.pinged != feed.digest and path in urls
        }
        if not due:
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
        return len(told) == len(due)
