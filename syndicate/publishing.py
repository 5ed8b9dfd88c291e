"""The daemon's publisher: runs outbox passes on the scheduler, at the next due time and
whenever a build records events. One pass at a time; stopping lets the send under way end."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from syndicate.clock import Clock
from syndicate.logs import fields
from syndicate.metrics import Metrics
from syndicate.publish.dispatch import Dispatcher, Outcome

log = logging.getLogger("syndicate.publish")

Schedule = Callable[[str, datetime, Callable[[], None]], None]
_JOB = "publish"


class PublishWorker:
    def __init__(
        self,
        dispatcher: Dispatcher,
        schedule: Schedule,
        clock: Clock,
        metrics: Metrics,
        *,
        dry_run: bool,
    ) -> None:
        self.dispatcher = dispatcher
        self._schedule = schedule
        self._clock = clock
        self._metrics = metrics
        self._dry_run = dry_run
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._woken = threading.Event()  # a pass was asked for since the last one began
        self._announced: set[int] = set()  # dry run: each due delivery is logged once

    def wake(self) -> None:
        """A pass as soon as possible (new events, or the daemon just started)."""
        if not self._stopping.is_set():
            self._woken.set()
            self._schedule(_JOB, self._clock.now(), self.run)

    def run(self) -> None:
        with self._lock:
            upcoming = self._passes()
        if upcoming is not None and not self._stopping.is_set():
            # Not sooner than a second from now: this job is still running, and the scheduler
            # would skip a new instance that fires before it has returned.
            soonest = self._clock.now() + timedelta(seconds=1)
            self._schedule(_JOB, max(upcoming, soonest), self.run)

    def _passes(self) -> datetime | None:
        """One pass, and another for as long as a wake came while the last one ran: the
        scheduler skips a job while an instance of it runs, so that wake's own job was lost,
        and the events that woke it would wait for some later wake-up."""
        upcoming = None
        self._woken.set()
        while self._woken.is_set() and not self._stopping.is_set():
            self._woken.clear()
            try:
                upcoming = self._pass()
            except Exception:
                self._metrics.errors.labels(where="publish").inc()
                log.exception("outbox pass failed; trying again in a minute")
                return self._clock.now() + timedelta(minutes=1)
        return upcoming

    def stop(self) -> None:
        """No new pass; waits for the one under way (its current send) to end."""
        self._stopping.set()
        with self._lock:
            self.dispatcher.pool.close()

    def _pass(self) -> datetime | None:
        dispatcher = self.dispatcher
        dispatcher.take_events()
        dispatcher.replan()
        if self._dry_run:
            for delivery in dispatcher.due():
                self._announce(delivery.id, delivery.account)
        else:
            dispatcher.send_due(self._stopping.is_set)
        dispatcher.replan()  # failures went back to the queue with their retry times
        upcoming = dispatcher.next_due()
        if self._dry_run and upcoming is not None and upcoming <= self._clock.now():
            return None  # dry run: due deliveries stay due; nothing to wake up for
        return upcoming

    def _announce(self, delivery_id: int, account: str) -> None:
        if delivery_id not in self._announced:
            self._announced.add(delivery_id)
            log.info("dry run: would send", extra=fields(id=delivery_id, account=account))


def count_outcome(metrics: Metrics) -> Callable[[Outcome], None]:
    def count(outcome: Outcome) -> None:
        metrics.deliveries.labels(account=outcome.delivery.account, result=outcome.result).inc()

    return count
