"""When to poll a remote source next, and what is remembered of it between polls.

Pure: the clock and the random generator are arguments, so a test (or the daemon after a
restart) gets the same answers from the same state.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from msgspec.structs import asdict, fields

from syndicate.backoff import Backoff
from syndicate.config import SourceSettings

JITTER = 0.1  # ±10 % on every delay, so sources polled together drift apart
BACKOFF_CAP = timedelta(hours=6)  # a dead feed is still tried four times a day
RETRY_AFTER_CAP = timedelta(hours=24)  # a server cannot silence a source for longer
_MAX_DELAY = timedelta(days=366)  # keeps absurd intervals from overflowing datetime


class SourceState(msgspec.Struct, frozen=True):
    """What the daemon remembers of one source between polls (persist it with `to_json`)."""

    url: str | None = None  # the configured URL this state is about; another URL starts afresh
    etag: str | None = None
    last_modified: str | None = None  # the server's Last-Modified, sent back verbatim
    last_polled: datetime | None = None
    last_ok: datetime | None = None
    failures: int = 0  # consecutive failed polls
    next_poll: datetime | None = None  # None: due now
    last_error: str | None = None
    last_status: int | None = None
    retry_after: datetime | None = None  # the server asked not to be polled before this
    permanent_url: str | None = None  # where the feed moved for good (301/308); polled instead

    def due(self, now: datetime) -> bool:
        return self.next_poll is None or self.next_poll <= now

    def for_url(self, url: str) -> SourceState:
        """This state, or a fresh one if it was about another URL (validators, redirects and
        failures of an old address say nothing about a new one)."""
        return self if self.url == url else SourceState(url=url)

    def to_json(self) -> str:
        data = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}
        return json.dumps({k: v for k, v in data.items() if v is not None}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SourceState:
        """The state `to_json` wrote. Unknown keys are ignored and missing ones take their
        defaults, so states written by other versions load; raises ValueError on garbage."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a source state must be a JSON object")  # noqa: TRY004
        values: dict[str, Any] = {}
        for spec in fields(cls):
            value = data.get(spec.name)
            if value is not None:
                values[spec.name] = _field_from_json(spec.name, value)
        return cls(**values)


_DATE_FIELDS = frozenset({"last_polled", "last_ok", "next_poll", "retry_after"})


def _field_from_json(name: str, value: object) -> Any:
    if name in ("failures", "last_status"):
        if not isinstance(value, int | str):
            raise ValueError(f"{name} must be a number, not {value!r}")
        number = int(value)
        return max(0, number) if name == "failures" else number
    if name in _DATE_FIELDS:
        return aware(datetime.fromisoformat(str(value)))
    return str(value)


def aware(value: datetime) -> datetime:
    """`value` with UTC as its zone when it has none (HTTP dates and old states are UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def next_poll(
    source: SourceSettings, state: SourceState, now: datetime, rng: random.Random
) -> datetime:
    """When to poll `source` next, given the state after the poll made at `now`.

    The source's interval after a success; after n consecutive failures, interval * 2**n, capped
    at 6 h (or at the interval, if that is longer). Either way ±10 % jitter. A Retry-After the
    server sent (kept in the state) is honoured when it is later, up to 24 h from now.
    """
    interval = source.interval
    cap = max(BACKOFF_CAP.total_seconds(), interval)
    backoff = Backoff(interval, cap, 1 - JITTER, 1 + JITTER)
    seconds = min(backoff.delay(state.failures + 1, rng.random), _MAX_DELAY.total_seconds())
    when = now + timedelta(seconds=seconds)
    if state.retry_after is not None:
        when = max(when, min(state.retry_after, now + RETRY_AFTER_CAP))
    return when
