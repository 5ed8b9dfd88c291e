"""Polling remote sources for the daemon: one scheduler job per source, each at its own time.

A poll fetches and reads the feed (watch/remote.py) in a scheduler thread, then hands what it
found to the build loop as a RemoteBatch; the build stores the entries, their events and the
source's new state (validators, failures, next poll) in one transaction. A crash before that
loses only the poll, which the restart repeats. The next poll is scheduled at the time the
state names: the source's interval with jitter, longer after failures or a Retry-After.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import httpx

from syndicate.build.remote import RemoteBatch, source_prefix
from syndicate.clock import Clock
from syndicate.config import SourceSettings
from syndicate.logs import fields
from syndicate.metrics import Metrics
from syndicate.store.ledger import Record
from syndicate.watch.remote import (
    Normaliser,
    PollKind,
    PollOutcome,
    SourceState,
    poll,
    source_client,
)

log = logging.getLogger(__name__)

Schedule = Callable[[str, datetime, Callable[[], None]], None]  # (job id, when, job)


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
        schedule: Schedule,
        clock: Clock,
        metrics: Metrics,
        rng: random.Random | None = None,
    ) -> None:
        """`states` are the stored states (JSON) by source name; `client_for` makes a source's
        HTTP client (one per source: each has its own address policy); `records` returns the
        ledger's records as they are now; `deliver` queues a batch for the next build;
        `schedule` arranges for a job to run at a time."""
        self._sources = sources
        self._states = {s.name: _state(states.get(s.name)) for s in sources}
        self._clients = {s.name: client_for(s) for s in sources}
        self._normaliser = normaliser
        self._records = records
        self._deliver = deliver
        self._schedule = schedule
        self._clock = clock
        self._metrics = metrics
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Schedule every source's next poll; those already due go first, a second apart."""
        now = self._clock.now()
        for index, source in enumerate(self._sources):
            due = self._states[source.name].next_poll
            when = due if due is not None and due > now else now + timedelta(seconds=index)
            self._plan(source, when)

    def poll(self, source: SourceSettings) -> PollOutcome:
        """Poll one source now, deliver what it found and schedule its next poll."""
        with self._lock:
            state = self._states[source.name]
        first = state.last_ok is None or state.url != source.url
        outcome = poll(
            self._clients[source.name],
            source,
            state,
            self._clock.now(),
            normaliser=self._normaliser,
            known_dates=self._known_dates(source),
            rng=self._rng,
        )
        with self._lock:
            self._states[source.name] = outcome.state
        self._metrics.source_polls.labels(outcome=outcome.kind.value).inc()
        _log(outcome)
        posts = outcome.posts if outcome.kind is PollKind.OK else ()
        batch = RemoteBatch(
            source.name,
            source_prefix(source.name),
            posts,
            outcome.state.to_json(),
            first=first and outcome.kind is PollKind.OK,
        )
        self._deliver(batch)
        self._plan(source, outcome.state.next_poll or self._clock.now())
        return outcome

    def close(self) -> None:
        """Close every source's client: a poll under way fails now (and is made again after
        a restart)."""
        for client in self._clients.values():
            client.close()

    def states(self) -> dict[str, SourceState]:
        with self._lock:
            return dict(self._states)

    def reset(self, states: Mapping[str, str]) -> None:
        """Go back to the stored states after a build failed to store what polls found: the
        validators that would make the next poll a 304 belong to entries never recorded."""
        with self._lock:
            self._states = {s.name: _state(states.get(s.name)) for s in self._sources}
        self.start()

    def _plan(self, source: SourceSettings, when: datetime) -> None:
        self._schedule(f"source:{source.name}", when, lambda: self._poll_logged(source))

    def _poll_logged(self, source: SourceSettings) -> None:
        try:
            self.poll(source)
        except Exception:  # poll() reports network trouble itself; this is a bug, keep polling
            log.exception("polling failed", extra=fields(source=source.name))
            self._metrics.errors.labels(where="source").inc()
            self._plan(source, self._clock.now() + timedelta(seconds=source.interval))

    def _known_dates(self, source: SourceSettings) -> dict[str, datetime]:
        """Dates given before to the source's entries: an undated entry keeps its first date."""
        prefix = source_prefix(source.name)
        records = list(self._records().values())  # a copy: the build thread may be changing it
        return {r.source: r.post.date for r in records if r.source and r.source.startswith(prefix)}


def _state(text: str | None) -> SourceState:
    if not text:
        return SourceState()
    try:
        return SourceState.from_json(text)
    except ValueError:
        log.warning("a stored source state could not be read; starting afresh")
        return SourceState()


def _log(outcome: PollOutcome) -> None:
    values = fields(
        source=outcome.source,
        outcome=outcome.kind.value,
        status=outcome.status,
        entries=len(outcome.posts),
        next=outcome.state.next_poll.isoformat() if outcome.state.next_poll else None,
    )
    if outcome.kind is PollKind.FAILED:
        log.warning(f"source poll failed: {outcome.error}", extra=values)
    else:
        log.info("source polled", extra=values)
    for warning in outcome.warnings:
        log.warning(f"source: {warning}", extra=fields(source=outcome.source))
    if outcome.moved_to:
        log.warning(
            "source moved for good; update its url in the config",
            extra=fields(source=outcome.source, url=outcome.moved_to),
        )
