"""`Retry-After` (RFC 9110 §10.2.3), read one way for every caller: remote sources, publishers.

Its value is either delay-seconds (digits only: `120`) or an HTTP date. Anything else (`nan`,
`-5`, `1e9`, a date that does not parse) is no hint at all, never an error: a server's header
must not be able to crash the caller or silence it for ever (callers cap the wait).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_LONGEST = 10**9  # seconds (31 years): past any cap, within what datetime arithmetic takes


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
