"""Waiting after failures, one way for every caller: exponential backoff with jitter (the
outbox's retries, source polls, hub pings, the daemon's workers) and `Retry-After`.

`Retry-After` (RFC 9110 §10.2.3) is read one way for remote sources and publishers. Its value
is either delay-seconds (digits only: `120`) or an HTTP date. Anything else (`nan`, `-5`,
`1e9`, a date that does not parse) is no hint at all, never an error: a server's header must
not be able to crash the caller or silence it for ever (callers cap the wait).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import msgspec

_LONGEST = 10**9  # seconds (31 years): past any cap, within what datetime arithmetic takes
_MAX_DOUBLINGS = 64  # past any cap; keeps 2**n a float that does not overflow


class Backoff(msgspec.Struct, frozen=True):
    """The n-th retry waits `first * 2**(n-1)` seconds, at most `cap`, times a random factor
    in [low, high): callers that failed together do not retry together."""

    first: float
    cap: float
    low: float = 1.0
    high: float = 1.0

    def step(self, retry: int) -> float:
        """The wait before jitter for the `retry`-th retry (1 for the first)."""
        return min(self.cap, self.first * 2.0 ** min(max(retry - 1, 0), _MAX_DOUBLINGS))

    def delay(self, retry: int, draw: Callable[[], float]) -> float:
        """The wait for the `retry`-th retry; `draw` gives a number in [0, 1) (random.random,
        or a seeded Random's in tests)."""
        return self.step(retry) * (self.low + (self.high - self.low) * draw())


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds from `now` that a Retry-After value asks to wait (negative for a past date), or
    None when there is no readable value."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(min(int(value), _LONGEST))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - now).total_seconds()
