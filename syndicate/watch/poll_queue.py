"""Which remote sources to poll now: due times in a heap, and at most `per_host` polls in
flight to one host at once, so a planet of thousands of feeds on one hosting service is not
a flood of connections to it. Pure: the caller says what time it is.

Claiming and finishing are O(log n): a planet of 50,000 sources costs a step no more than a
handful does. A source whose host is busy waits, overdue, and goes first when the host frees.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict, deque
from datetime import datetime


class PollQueue:
    def __init__(self, per_host: int = 1) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self._per_host = per_host
        self._heap: list[tuple[datetime, int, str]] = []
        self._due: dict[str, datetime] = {}  # the current entry of each waiting source
        self._host: dict[str, str] = {}
        self._busy: dict[str, int] = defaultdict(int)  # polls in flight, by host
        self._blocked: dict[str, deque[str]] = defaultdict(deque)  # due, waiting for the host
        self._flying: set[str] = set()
        self._order = itertools.count()

    def add(self, name: str, host: str, due: datetime) -> None:
        """Plan `name` (on `host`) for `due`; a source already planned is moved."""
        self._host[name] = host
        if name in self._flying:
            return  # planned again when its poll ends
        for waiting in self._blocked.values():
            if name in waiting:
                waiting.remove(name)
        self._plan(name, due)

    def claim(self, now: datetime, limit: int) -> list[str]:
        """Up to `limit` sources due by `now` whose host has room; they are in flight until
        `done`. Earliest due first."""
        claimed: list[str] = []
        while self._heap and len(claimed) < limit:
            due, _, name = self._heap[0]
            if self._due.get(name) != due:
                heapq.heappop(self._heap)  # moved or claimed since: a stale entry
                continue
            if due > now:
                break
            heapq.heappop(self._heap)
            del self._due[name]
            host = self._host[name]
            if self._busy[host] >= self._per_host:
                self._blocked[host].append(name)
                continue
            self._take(name, host)
            claimed.append(name)
        return claimed

    def done(self, name: str, next_due: datetime) -> None:
        """`name`'s poll ended: free its host and plan its next poll."""
        if name not in self._flying:
            return
        self._flying.discard(name)
        host = self._host[name]
        self._busy[host] -= 1
        self._plan(name, next_due)
        waiting = self._blocked[host]
        if waiting:  # the longest-waiting source of this host is due again at once
            self._plan(waiting.popleft(), datetime.min.replace(tzinfo=next_due.tzinfo))

    def next_due(self) -> datetime | None:
        """When the earliest planned source is due (None: nothing is planned)."""
        while self._heap:
            due, _, name = self._heap[0]
            if self._due.get(name) == due:
                return due
            heapq.heappop(self._heap)
        return None

    def in_flight(self, host: str) -> int:
        return self._busy[host]

    def _plan(self, name: str, due: datetime) -> None:
        self._due[name] = due
        heapq.heappush(self._heap, (due, next(self._order), name))

    def _take(self, name: str, host: str) -> None:
        self._busy[host] += 1
        self._flying.add(name)
