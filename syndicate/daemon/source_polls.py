"""Polling remote sources for the daemon: a Worker whose step starts every due source's poll.

A step claims the sources whose state says they are due (and that no poll is under way for),
and hands each to a small pool of threads (POLL_THREADS: twelve slow sources can only queue
behind each other, each bounded by its own `timeout`). A poll fetches and reads the feed
(watch/poll.py), then hands what it found to the build loop as a RemoteBatch; the build
stores the entries, their events and the source's new state (validators, failures, next poll)
in one transaction. A crash before that loses only the poll, which the restart repeats. A
finished poll wakes the worker, whose next step runs at the earliest time a state names: the
source's interval with jitter, longer after failures or a Retry-After.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
from msgspec.structs import replace

from syndicate.clock import Clock
from syndicate.config import SourceSettings
from syndicate.daemon.worker import Worker
from syndicate.logs import fields
from syndicate.metrics import Metrics
from syndicate.pipeline.remote_entries import RemoteBatch, source_prefix
from syndicate.store.ledger import Record
from syndicate.watch.addresses import host_of
from syndicate.watch.poll import (
    KnownDates,
    Normaliser,
    PollOutcome,
    SourceClients,
    SourceState,
    batch_of,
    log_outcome,
    poll,
    source_client,
    stored_state,
)
from syndicate.watch.poll_queue import PollQueue

log = logging.getLogger(__name__)

POLL_THREADS = 4  # sources polled at once


class SourcePoller:
    """Polls each configured source when due and passes the outcome on."""

    def __init__(
        self,
        sources: tuple[SourceSettings, ...],
        states: Mapping[str, str],
        *,
        client_for: Callable[[SourceSettings], httpx.Client] = source_client,
        normaliser: Normaliser,
        records: Callable[[], Mapping[int, Record]],
        deliver: Callable[[RemoteBatch], None],
        clock: Clock,
        metrics: Metrics,
        rng: random.Random | None = None,
        per_host: int = 1,
    ) -> None:
        """`states` are the stored states (JSON) by source name; `client_for` makes a source's
        HTTP client (one per source: each has its own address policy); `records` returns the
        ledger's records as they are now; `deliver` queues a batch for the next build;
        `per_host` bounds the polls in flight to one host."""
        self._sources = sources
        self._by_name = {s.name: s for s in sources}
        self._states = {s.name: stored_state(states.get(s.name)) for s in sources}
        self._clients = SourceClients(client_for)
        self._normaliser = normaliser
        self._records = records
        self._deliver = deliver
        self._clock = clock
        self._metrics = metrics
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._polling: set[str] = set()  # sources whose poll is under way
        self._schedule = PollQueue(per_host)
        now = clock.now()
        for source in sources:
            self._schedule.add(
                source.name, host_of(source.url), _due_at(self._states[source.name], now)
            )
        self._pool = ThreadPoolExecutor(POLL_THREADS, thread_name_prefix="poll")
        self.worker = Worker("sources", self._step, clock=clock)

    def start(self) -> None:
        """Poll what is due now (what an earlier run left due), the rest when it comes."""
        self.worker.start()

    def _step(self) -> datetime | None:
        """Claim the due sources (as many as there are free threads, at most `per_host` to
        one host) and start their polls; the time the next one is due."""
        now = self._clock.now()
        with self._lock:
            room = POLL_THREADS - len(self._polling)
            due = self._schedule.claim(now, room) if room > 0 else []
            self._polling.update(due)
            upcoming = self._schedule.next_due()
        for name in due:
            self._pool.submit(self._poll_logged, self._by_name[name])
        if room <= len(due):
            return None  # every thread is busy: the end of a poll wakes the worker
        return upcoming

    def poll(self, source: SourceSettings) -> PollOutcome:
        """Poll one source now, deliver what it found and schedule its next poll."""
        with self._lock:
            state = self._states[source.name]
        outcome = poll(
            self._clients.get(source),
            source,
            state,
            self._clock.now(),
            normaliser=self._normaliser,
            known_dates=KnownDates(lambda: self._known_dates(source)),
            rng=self._rng,
        )
        with self._lock:
            self._states[source.name] = outcome.state
        self._metrics.source_polls.labels(outcome=outcome.kind.value).inc()
        log_outcome(outcome, log)
        self._deliver(batch_of(source, state, outcome))
        return outcome

    def close(self) -> None:
        """Stop polling and close every source's client: a poll under way fails now (and is
        made again after a restart)."""
        self.worker.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._clients.close()

    def states(self) -> dict[str, SourceState]:
        with self._lock:
            return dict(self._states)

    def reset(self, states: Mapping[str, str]) -> None:
        """Go back to the stored states after a build failed to store what polls found: the
        validators that would make the next poll a 304 belong to entries never recorded."""
        with self._lock:
            self._states = {s.name: stored_state(states.get(s.name)) for s in self._sources}
            now = self._clock.now()
            for source in self._sources:
                due = _due_at(self._states[source.name], now)
                self._schedule.add(source.name, host_of(source.url), due)
        self.worker.wake()

    def _poll_logged(self, source: SourceSettings) -> None:
        try:
            self.poll(source)
        except Exception:  # poll() reports network trouble itself; this is a bug, keep polling
            log.exception("polling failed", extra=fields(source=source.name))
            self._metrics.errors.labels(where="source").inc()
            with self._lock:
                state = self._states[source.name]
                later = self._clock.now() + timedelta(seconds=source.interval)
                self._states[source.name] = replace(state, next_poll=later)
        finally:
            with self._lock:
                self._polling.discard(source.name)
                now = self._clock.now()
                self._schedule.done(source.name, _due_at(self._states[source.name], now))
            self.worker.wake()  # its next poll is planned: the step looks again

    def _known_dates(self, source: SourceSettings) -> dict[str, datetime]:
        """Dates given before to the source's entries: an undated entry keeps its first date."""
        prefix = source_prefix(source.name)
        records = list(self._records().values())  # a copy: the build thread may be changing it
        return {r.source: r.post.date for r in records if r.source and r.source.startswith(prefix)}


def _due_at(state: SourceState, now: datetime) -> datetime:
    """When a source is due: the time its state names, or now for one never polled."""
    return state.next_poll or now
