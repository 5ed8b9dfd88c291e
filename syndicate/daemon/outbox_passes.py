"""The daemon's publisher: outbox passes on a Worker, at the next due time and whenever a build
records events (or the dashboard asks). One pass at a time; stopping lets the send under way
end. A pass is claim-work-commit on the outbox: take events in, plan, claim and send what is
due (each claim a compare-and-set), plan again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from syndicate.backoff import Backoff
from syndicate.clock import Clock
from syndicate.daemon.worker import Worker
from syndicate.logs import fields
from syndicate.metrics import Metrics
from syndicate.publish.dispatch import Dispatcher, Outcome

log = logging.getLogger("syndicate.publish")

BACKOFF = Backoff(60.0, 600.0, 0.75, 1.25)  # after a pass that failed (the store, a bug)
MIN_PAUSE = timedelta(seconds=1)


class PublishWorker:
    def __init__(
        self,
        dispatcher: Dispatcher,
        clock: Clock,
        metrics: Metrics,
        *,
        dry_run: bool,
    ) -> None:
        self.dispatcher = dispatcher
        self._clock = clock
        self._dry_run = dry_run
        self._announced: set[int] = set()  # dry run: each due delivery is logged once
        self.worker = Worker(
            "publish",
            self._pass,
            clock=clock,
            backoff=BACKOFF,
            on_error=metrics.errors.labels(where="publish").inc,
        )

    def start(self) -> None:
        self.worker.start()  # a first pass at once: what an earlier run left due

    def wake(self) -> None:
        """A pass as soon as possible (new events, or the dashboard changed the outbox)."""
        self.worker.wake()

    def stop(self) -> None:
        """No new pass; waits for the one under way (its current send) to end."""
        self.worker.stop()
        self.dispatcher.pool.close()

    def _pass(self) -> datetime | None:
        dispatcher = self.dispatcher
        dispatcher.take_events()
        dispatcher.replan()
        if self._dry_run:
            for delivery in dispatcher.due():
                self._announce(delivery.id, delivery.account)
        else:
            dispatcher.send_due(self.worker.stopping.is_set)
        dispatcher.replan()  # failures went back to the queue with their retry times
        upcoming = dispatcher.next_due()
        now = self._clock.now()
        if self._dry_run and upcoming is not None and upcoming <= now:
            return None  # dry run: due deliveries stay due; nothing to wake up for
        # A delivery due now that this pass could not claim (another worker has it) is not
        # worth a busy loop: look again in a second.
        return None if upcoming is None else max(upcoming, now + MIN_PAUSE)

    def _announce(self, delivery_id: int, account: str) -> None:
        if delivery_id not in self._announced:
            self._announced.add(delivery_id)
            log.info("dry run: would send", extra=fields(id=delivery_id, account=account))


def count_outcome(metrics: Metrics) -> Callable[[Outcome], None]:
    def count(outcome: Outcome) -> None:
        metrics.deliveries.labels(account=outcome.delivery.account, result=outcome.result).inc()

    return count
