"""The poll queue: every source polled when due, earliest first, never more than `per_host`
at once to one host, whatever the order of claims and ends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.watch.poll_queue import PollQueue

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def test_due_sources_come_earliest_first_and_one_per_host() -> None:
    queue = PollQueue(per_host=1)
    queue.add("a1", "a.example", T0 + timedelta(seconds=2))
    queue.add("a2", "a.example", T0 + timedelta(seconds=1))
    queue.add("b1", "b.example", T0 + timedelta(seconds=3))
    queue.add("later", "c.example", T0 + timedelta(hours=1))
    assert queue.claim(T0, 10) == []
    assert queue.next_due() == T0 + timedelta(seconds=1)
    # a2 and a1 are both due, on one host: only a2 (the earliest) goes; a1 waits for it.
    assert queue.claim(T0 + timedelta(seconds=5), 10) == ["a2", "b1"]
    assert queue.in_flight("a.example") == 1
    assert queue.claim(T0 + timedelta(seconds=5), 10) == []
    queue.done("a2", T0 + timedelta(minutes=15))
    assert queue.claim(T0 + timedelta(seconds=6), 10) == ["a1"]  # overdue, so first now
    assert queue.next_due() == T0 + timedelta(minutes=15)


def test_a_source_planned_again_moves_and_is_never_claimed_twice() -> None:
    queue = PollQueue(per_host=2)
    queue.add("a", "h", T0 + timedelta(seconds=10))
    queue.add("a", "h", T0 + timedelta(seconds=1))  # moved earlier (a reset)
    assert queue.claim(T0 + timedelta(seconds=2), 5) == ["a"]
    queue.add("a", "h", T0)  # in flight: planned again only when its poll ends
    assert queue.claim(T0 + timedelta(seconds=20), 5) == []
    queue.done("a", T0 + timedelta(seconds=30))
    assert queue.claim(T0 + timedelta(seconds=20), 5) == []
    assert queue.claim(T0 + timedelta(seconds=30), 5) == ["a"]


@settings(max_examples=200, deadline=None)
@given(
    sources=st.integers(1, 60),
    hosts=st.integers(1, 6),
    per_host=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_never_more_than_per_host_and_every_due_source_is_polled(
    sources: int, hosts: int, per_host: int, seed: int
) -> None:
    rng = random.Random(seed)
    queue = PollQueue(per_host=per_host)
    host_of = {f"s{i}": f"h{rng.randrange(hosts)}" for i in range(sources)}
    for name, host in host_of.items():
        queue.add(name, host, T0 + timedelta(seconds=rng.randrange(60)))
    now, flying, polled = T0, [], set()
    for _ in range(2000):
        now += timedelta(seconds=rng.randrange(5))
        for name in queue.claim(now, rng.randrange(1, 8)):
            assert name not in flying
            flying.append(name)
            polled.add(name)
        busy: dict[str, int] = {}
        for name in flying:
            busy[host_of[name]] = busy.get(host_of[name], 0) + 1
        assert max(busy.values(), default=0) <= per_host
        if flying and rng.random() < 0.7:
            ended = flying.pop(rng.randrange(len(flying)))
            queue.done(ended, now + timedelta(hours=1))
    assert polled == set(host_of)  # nothing starved (hours of simulated time passed)
