"""Retry-After, read one way: seconds or an HTTP date; anything else is no hint."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from syndicate.backoff import Backoff, retry_after_seconds
from syndicate.clock import FixedClock
from syndicate.publish.bluesky_xrpc import rate_limit_reset
from syndicate.publish.httpcalls import retry_after, wait_until
from syndicate.watch.poll import RETRY_AFTER_CAP, _retry_after

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Thu, 03 Dec 2026 12:05:00 GMT", 300.0),
        ("Thu, 03 Dec 2026 11:59:00 GMT", -60.0),
        ("99999999999999999999999", 1e9),
        ("nan", None),
        ("inf", None),
        ("-5", None),
        ("1e3", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def _reset(response: httpx.Response, now: datetime) -> datetime:
    return wait_until(response, FixedClock(now), rate_limit_reset)


def test_every_caller_reads_the_http_date_form_and_survives_garbage() -> None:
    date = "Thu, 03 Dec 2026 12:05:00 GMT"
    limited = httpx.Response(429, headers={"retry-after": date})
    assert _reset(limited, NOW) == NOW + timedelta(minutes=5)  # Bluesky read seconds only
    assert _retry_after(429, date, NOW) == NOW + timedelta(minutes=5)
    for garbage in ("nan", "inf", "99999999999999999999999"):
        response = httpx.Response(429, headers={"retry-after": garbage})
        assert NOW <= _reset(response, NOW) <= NOW + timedelta(days=1)
        when = _retry_after(429, garbage, NOW)
        assert when is None or when <= NOW + RETRY_AFTER_CAP


def test_a_publishers_wait_survives_garbage() -> None:
    clock = FixedClock(NOW)
    for garbage in ("nan", "inf", "99999999999999999999999"):
        response = httpx.Response(429, headers={"Retry-After": garbage})
        assert NOW <= wait_until(response, clock, retry_after) <= NOW + timedelta(days=1)


def test_backoff_doubles_to_its_cap_and_jitters_within_its_range() -> None:
    backoff = Backoff(60.0, 3600.0, 0.5, 1.5)
    assert [backoff.step(n) for n in (1, 2, 3, 7, 1000)] == [60.0, 120.0, 240.0, 3600.0, 3600.0]
    assert backoff.delay(1, lambda: 0.0) == 30.0
    assert backoff.delay(1, lambda: 0.5) == 60.0
    rng = random.Random(3)
    assert all(1800.0 <= backoff.delay(9, rng.random) < 5400.0 for _ in range(100))
    assert Backoff(1.0, 10.0).delay(2, rng.random) == 2.0  # no jitter asked, none given
