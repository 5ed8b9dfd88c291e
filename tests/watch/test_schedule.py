"""When to poll next (pure) and what the daemon stores between polls."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.config import SourceSettings
from syndicate.watch.schedule import (
    BACKOFF_CAP,
    JITTER,
    RETRY_AFTER_CAP,
    SourceState,
    next_poll,
)
from tests.watch.conftest import NOW


class Midpoint(random.Random):
    """Jitter of exactly nothing, so the delay before jitter can be read."""

    def random(self) -> float:
        return 0.5


def source(interval: float = 1800.0) -> SourceSettings:
    return SourceSettings(name="s", url="https://example.org/feed", interval=interval)


intervals = st.floats(min_value=10, max_value=7 * 86400, allow_nan=False)
failures = st.integers(min_value=0, max_value=200)
seeds = st.integers(min_value=0, max_value=2**32)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(intervals, failures, seeds, moments)
def test_never_before_now(interval: float, fails: int, seed: int, now: datetime) -> None:
    when = next_poll(source(interval), SourceState(failures=fails), now, random.Random(seed))
    assert when > now


@given(intervals, seeds)
def test_after_success_the_interval_with_bounded_jitter(interval: float, seed: int) -> None:
    delay = next_poll(source(interval), SourceState(), NOW, random.Random(seed)) - NOW
    seconds = delay.total_seconds()
    assert interval * (1 - JITTER) - 1e-6 <= seconds <= interval * (1 + JITTER) + 1e-6


@given(intervals, failures, seeds)
def test_backoff_is_capped(interval: float, fails: int, seed: int) -> None:
    delay = next_poll(source(interval), SourceState(failures=fails), NOW, random.Random(seed))
    cap = max(BACKOFF_CAP.total_seconds(), interval)
    assert (delay - NOW).total_seconds() <= cap * (1 + JITTER) + 1e-6


@given(intervals, failures)
def test_backoff_grows_with_each_failure_up_to_the_cap(interval: float, fails: int) -> None:
    def delay(n: int) -> float:
        return (
            next_poll(source(interval), SourceState(failures=n), NOW, Midpoint()) - NOW
        ).total_seconds()

    assert delay(fails + 1) >= delay(fails)
    cap = max(BACKOFF_CAP.total_seconds(), interval)
    if fails > 0 and delay(fails) < cap - 1:  # (less a second: timedelta rounds)
        assert delay(fails + 1) > delay(fails)


@given(intervals, failures, seeds)
def test_same_generator_same_answer(interval: float, fails: int, seed: int) -> None:
    state = SourceState(failures=fails)
    first = next_poll(source(interval), state, NOW, random.Random(seed))
    assert next_poll(source(interval), state, NOW, random.Random(seed)) == first


@given(
    intervals,
    failures,
    seeds,
    st.timedeltas(min_value=timedelta(seconds=-3600), max_value=timedelta(days=30)),
)
def test_retry_after_is_honoured_up_to_a_day(
    interval: float, fails: int, seed: int, after: timedelta
) -> None:
    state = SourceState(failures=fails, retry_after=NOW + after)
    when = next_poll(source(interval), state, NOW, random.Random(seed))
    assert when >= min(NOW + after, NOW + RETRY_AFTER_CAP)
    without = next_poll(source(interval), SourceState(failures=fails), NOW, random.Random(seed))
    assert when == max(without, min(NOW + after, NOW + RETRY_AFTER_CAP))


def test_backoff_doubles_from_the_interval() -> None:
    delays = [
        next_poll(source(1800), SourceState(failures=n), NOW, Midpoint()) - NOW for n in range(6)
    ]
    assert delays == [
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=6),
        timedelta(hours=6),
    ]


def test_a_long_interval_is_its_own_cap() -> None:
    day = 86400.0
    delay = next_poll(source(day), SourceState(failures=5), NOW, Midpoint()) - NOW
    assert delay == timedelta(days=1)


# --- persistence -------------------------------------------------------------------------------

optional_text = st.none() | st.text(max_size=40)
optional_moment = st.none() | moments


@given(
    st.builds(
        SourceState,
        url=optional_text,
        etag=optional_text,
        last_modified=optional_text,
        last_polled=optional_moment,
        last_ok=optional_moment,
        failures=st.integers(min_value=0, max_value=10_000),
        next_poll=optional_moment,
        last_error=optional_text,
        last_status=st.none() | st.integers(min_value=100, max_value=599),
        retry_after=optional_moment,
        permanent_url=optional_text,
    )
)
def test_state_survives_json(state: SourceState) -> None:
    assert SourceState.from_json(state.to_json()) == state


def test_state_json_from_other_versions() -> None:
    state = SourceState.from_json(
        '{"etag": "\\"abc\\"", "failures": 2, "next_poll": "2024-06-01T12:00:00",'
        ' "some_future_field": [1, 2]}'
    )
    assert state == SourceState(
        etag='"abc"', failures=2, next_poll=datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    )
    assert SourceState.from_json("{}") == SourceState()


@pytest.mark.parametrize(
    "text", ["", "[]", "nonsense", '{"next_poll": "yesterday"}', '{"failures": [1]}']
)
def test_state_json_garbage_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        SourceState.from_json(text)


def test_due() -> None:
    assert SourceState().due(NOW)
    assert SourceState(next_poll=NOW).due(NOW)
    assert not SourceState(next_poll=NOW + timedelta(seconds=1)).due(NOW)


def test_a_new_url_starts_afresh() -> None:
    state = SourceState(url="https://a.example/feed", etag='"x"', failures=3)
    assert state.for_url("https://a.example/feed") is state
    assert state.for_url("https://b.example/feed") == SourceState(url="https://b.example/feed")
