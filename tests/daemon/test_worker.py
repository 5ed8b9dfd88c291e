"""The daemon's one worker: woken early, run again when due, backed off after failures with
jitter, stopped cleanly. Only events are waited on (never a length of time), with a fixed
clock and a seeded random source."""

from __future__ import annotations

import queue
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from syndicate.backoff import Backoff
from syndicate.clock import FixedClock
from syndicate.daemon.worker import BACK_OFF, Next, Worker

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
DEADLINE = 30.0  # seconds: only ever a bound on waiting for an event


class Steps:
    """A step that answers what the test queues, and says each time it ran."""

    def __init__(self) -> None:
        self.ran: queue.Queue[int] = queue.Queue()
        self.answers: queue.Queue[datetime | Next | Exception | None] = queue.Queue()
        self.count = 0

    def __call__(self) -> datetime | Next | None:
        self.count += 1
        answer = self.answers.get_nowait() if not self.answers.empty() else None
        self.ran.put(self.count)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def next_run(self) -> int:
        return self.ran.get(timeout=DEADLINE)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def steps() -> Steps:
    return Steps()


@pytest.fixture
def started(steps: Steps, clock: FixedClock) -> Iterator[Worker]:
    worker = Worker("test", steps, clock=clock, rng=random.Random(5))
    worker.start(wake=False)
    yield worker
    worker.stop(timeout=DEADLINE)


def wait_idle(worker: Worker) -> None:
    for _ in range(int(DEADLINE * 100)):
        if worker.idle():
            return
        threading.Event().wait(0.01)
    raise AssertionError("the worker never went idle")


def test_a_wake_runs_a_step_and_a_start_can_catch_up_at_once(
    steps: Steps, clock: FixedClock
) -> None:
    worker = Worker("test", steps, clock=clock)
    worker.start()  # wake=True: a first step at once
    try:
        assert steps.next_run() == 1
        worker.wake()
        assert steps.next_run() == 2
    finally:
        worker.stop(timeout=DEADLINE)


def test_a_step_runs_again_when_the_time_it_asked_for_has_come(
    started: Worker, steps: Steps, clock: FixedClock
) -> None:
    steps.answers.put(clock.now() - timedelta(seconds=1))  # already due: no wake needed
    started.wake()
    assert steps.next_run() == 1
    assert steps.next_run() == 2
    wait_idle(started)
    assert started.due is None  # the second step asked for nothing: only a wake runs it


def test_a_step_asking_for_later_waits_for_then(
    started: Worker, steps: Steps, clock: FixedClock
) -> None:
    later = clock.now() + timedelta(hours=1)
    steps.answers.put(later)
    started.wake()
    assert steps.next_run() == 1
    wait_idle(started)
    assert started.due == later


def test_failures_back_off_with_jitter_and_a_success_resets_it(
    started: Worker, steps: Steps, clock: FixedClock
) -> None:
    twin = random.Random(5)  # the worker's own draws, in order
    backoff = Backoff(60.0, 3600.0, 0.5, 1.5)
    failures: list[Exception | Next] = [RuntimeError("store gone"), BACK_OFF]
    for retry, answer in enumerate(failures, start=1):
        steps.answers.put(answer)
        started.wake()
        steps.next_run()
        wait_idle(started)
        assert started.due == clock.now() + timedelta(seconds=backoff.delay(retry, twin.random))
    started.wake()  # succeeds (None): the next failure starts from the first wait again
    steps.next_run()
    steps.answers.put(RuntimeError("again"))
    started.wake()
    steps.next_run()
    wait_idle(started)
    assert started.due == clock.now() + timedelta(seconds=backoff.delay(1, twin.random))


def test_a_wake_during_a_step_runs_another_after_it(clock: FixedClock) -> None:
    entered, release = threading.Event(), threading.Event()
    runs: queue.Queue[int] = queue.Queue()

    def step() -> None:
        runs.put(1)
        entered.set()
        release.wait(DEADLINE)

    worker = Worker("test", step, clock=clock)
    worker.start()
    try:
        assert entered.wait(DEADLINE)
        worker.wake()  # arrives while the step runs
        release.set()
        runs.get(timeout=DEADLINE)
        runs.get(timeout=DEADLINE)  # the second step
    finally:
        worker.stop(timeout=DEADLINE)


def test_stop_lets_the_step_under_way_end_and_runs_no_more(clock: FixedClock) -> None:
    entered, ended = threading.Event(), threading.Event()
    calls: list[int] = []

    def step() -> datetime:
        calls.append(1)
        entered.set()
        worker.stopping.wait(DEADLINE)  # a step checks `stopping` between items of work
        ended.set()
        return clock.now()  # would run again at once, were it not stopping

    worker = Worker("test", step, clock=clock)
    worker.start()
    assert entered.wait(DEADLINE)
    worker.stop(timeout=DEADLINE)
    assert ended.is_set() and calls == [1]
    worker.wake()  # after a stop: nothing
    assert calls == [1]
