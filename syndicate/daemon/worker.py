"""The one shape of the daemon's background work: a thread around a `step`.

A step runs when the worker is woken (a build recorded events, a file changed), when the time
the last step asked for comes, or, after a step that failed, once the backoff has passed. Each
step is one claim-work-commit round over durable state (the ledger, the outbox): it takes
what is due, does it, records the result, and says when it wants to run next. Nothing lives
only in the worker, so a crash anywhere loses nothing that a restart's first step does not
pick up, and the in-process wake-ups can be replaced by a shared queue without changing steps.

    woken ─┐
    due ───┼─> step() ─> datetime: run again then │ None: only when woken │ BACK_OFF
    retry ─┘     └ raises: logged, then BACK_OFF

A wake that arrives while a step runs makes another step run right after it. `stop()` lets the
step under way end (a step checks `stopping` between items of work) and joins the thread.
"""

from __future__ import annotations

import enum
import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from syndicate.backoff import Backoff
from syndicate.clock import Clock
from syndicate.logs import fields

log = logging.getLogger("syndicate.daemon")


class Next(enum.Enum):
    BACK_OFF = "back off"  # the step left work undone: try again after the backoff


BACK_OFF = Next.BACK_OFF
Step = Callable[[], datetime | Next | None]

DEFAULT_BACKOFF = Backoff(60.0, 3600.0, 0.5, 1.5)  # a minute at first, then hourly at most
RETRY = Backoff(1.0, 5.0, 0.5, 1.5)  # the database did not answer: try again soon


class Worker:
    """Runs `step` in its own thread: when woken, when due, and with backoff after failures."""

    def __init__(
        self,
        name: str,
        step: Step,
        *,
        clock: Clock,
        backoff: Backoff = DEFAULT_BACKOFF,
        rng: random.Random | None = None,
        on_error: Callable[[], None] = lambda: None,
        stopping: threading.Event | None = None,
    ) -> None:
        """`on_error` is told of each step that raised (metrics); the error itself is logged.
        `stopping` is set by `stop()`: a step's own waits can sleep on it (hub pings do)."""
        self.name = name
        self.stopping = stopping or threading.Event()
        self._step = step
        self._clock = clock
        self._backoff = backoff
        self._rng = rng or random.Random()
        self._on_error = on_error
        self._woken = threading.Event()
        self._idle = threading.Event()
        self._failures = 0
        self.due: datetime | None = None  # when the next step runs unless woken first
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self, *, wake: bool = True) -> None:
        """Start the thread; with `wake`, the first step runs at once (a catch-up on what an
        earlier run left due)."""
        if wake:
            self._woken.set()
        self._thread.start()

    def wake(self) -> None:
        """A step as soon as possible (after the one under way, if any)."""
        self._idle.clear()
        self._woken.set()

    def idle(self) -> bool:
        """Whether no step runs and none is asked for."""
        return self._idle.is_set() and not self._woken.is_set()

    def stop(self, timeout: float | None = None) -> None:
        """No new step; the one under way ends first."""
        self.stopping.set()
        self._woken.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self.stopping.is_set():
            self._idle.set()
            self._woken.wait(self._seconds_until(self.due))
            if self.stopping.is_set():
                return
            self._idle.clear()
            self._woken.clear()
            self.due = self._next(self._attempt())

    def _attempt(self) -> datetime | Next | None:
        try:
            return self._step()
        except Exception:  # a bug or a store gone for a moment: log it, back off, go on
            log.exception("background work failed", extra=fields(worker=self.name))
            self._on_error()
            return BACK_OFF

    def _next(self, wanted: datetime | Next | None) -> datetime | None:
        """When to run again: what the step asked for, or after the backoff."""
        if wanted is BACK_OFF:
            self._failures += 1
            delay = self._backoff.delay(self._failures, self._rng.random)
            return self._clock.now() + _seconds(delay)
        self._failures = 0
        return wanted if isinstance(wanted, datetime) else None

    def _seconds_until(self, due: datetime | None) -> float | None:
        if due is None:
            return None
        return max((due - self._clock.now()).total_seconds(), 0.0)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
