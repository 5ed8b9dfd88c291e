"""Slowing down whoever guesses the admin token: token buckets of failed attempts.

Each client (by address) may fail `per_client` times in a burst, then `per_client` times a
minute; all clients together `overall` times (a burst, then a minute), so many addresses
guessing together are slowed as one (settings `admin.failures_per_client`,
`admin.failures_overall`). A client with
no attempt left is refused (429, with Retry-After) before its token is even compared. Only
failures cost: whoever holds the token is never slowed by their own use of it, though while
the overall bucket is empty they wait like everyone else. The clock is injected.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import msgspec

MAX_CLIENTS = 10_000  # clients remembered; the longest quiet are forgotten first


class _Bucket(msgspec.Struct):
    tokens: float
    at: float

    def refill(self, now: float, capacity: int, every: float) -> None:
        self.tokens = min(capacity, self.tokens + (now - self.at) / every)
        self.at = now

    def wait(self, every: float) -> float:
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) * every


class Throttle:
    """Failed token checks, per client and overall. Thread-safe."""

    def __init__(
        self, per_client: int = 10, overall: int = 60, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`per_client` and `overall`: failures allowed in a burst, and then per minute."""
        self._clock = clock
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, _Bucket] = OrderedDict()
        self._per_client, self._client_every = per_client, 60.0 / per_client
        self._overall_size, self._overall_every = overall, 60.0 / overall
        self._overall = _Bucket(overall, clock())

    def wait(self, client: str) -> float:
        """Seconds before `client` may try a token again; 0 when it may now."""
        now = self._clock()
        with self._lock:
            self._overall.refill(now, self._overall_size, self._overall_every)
            waits = [self._overall.wait(self._overall_every)]
            bucket = self._clients.get(client)
            if bucket is not None:
                bucket.refill(now, self._per_client, self._client_every)
                waits.append(bucket.wait(self._client_every))
            return max(waits)

    def failed(self, client: str) -> bool:
        """Count a wrong token from `client`; True when that used up what it (or everyone)
        had, so the next attempt will wait."""
        now = self._clock()
        with self._lock:
            bucket = self._clients.pop(client, None) or _Bucket(self._per_client, now)
            bucket.refill(now, self._per_client, self._client_every)
            bucket.tokens = max(0.0, bucket.tokens - 1)
            self._clients[client] = bucket  # the most recent last
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
            self._overall.refill(now, self._overall_size, self._overall_every)
            self._overall.tokens = max(0.0, self._overall.tokens - 1)
            return bucket.tokens < 1 or self._overall.tokens < 1
