"""When each queued delivery of an account goes out: a pure function of the queue, what the
account already sent, its timing settings and the clock.

Deliveries leave in FIFO order (by publication, then creation). Each goes at the earliest
moment that is: `delay` after its post was published, after its own retry time, `min_gap`
after the account's previous post (sent or planned), inside a posting window, on a day that
has not reached `daily_cap`, and after any rate-limit reset of the account.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from syndicate.accounts import TimingSettings, parse_window
from syndicate.model import Delivery

_SEARCH_DAYS = 9  # a window of any weekday is met within a week; two more for midnight edges


def plan(
    queue: Sequence[Delivery],
    sent: Iterable[datetime],
    timing: TimingSettings,
    now: datetime,
    *,
    not_before: datetime | None = None,
) -> dict[int, datetime]:
    """Planned time per delivery id; never before `now`."""
    zone = ZoneInfo(timing.timezone)
    windows = [parse_window(w) for w in timing.windows]
    taken = sorted(sent)
    previous = taken[-1] if taken else None
    per_day: dict[date, int] = {}
    for moment in taken:
        day = moment.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + 1
    dues: dict[int, datetime] = {}
    for delivery in sorted(queue, key=lambda d: (d.published_at, d.id)):
        earliest = delivery.published_at + timedelta(seconds=timing.delay)
        for bound in (delivery.not_before, not_before, _after(previous, timing.min_gap)):
            if bound is not None and bound > earliest:
                earliest = bound
        due = _place(max(earliest, now), windows, zone)
        due = _under_cap(due, timing.daily_cap, per_day, windows, zone)
        day = due.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + 1
        dues[delivery.id] = due
        previous = due
    return dues


def _after(previous: datetime | None, gap: float) -> datetime | None:
    return None if previous is None or not gap else previous + timedelta(seconds=gap)


def _under_cap(
    due: datetime,
    cap: int | None,
    per_day: dict[date, int],
    windows: list[tuple[frozenset[int], int, int]],
    zone: ZoneInfo,
) -> datetime:
    """`due`, or the first moment of a later day with room under the cap."""
    if cap is None:
        return due
    while per_day.get(due.astimezone(zone).date(), 0) >= cap:
        next_day = due.astimezone(zone).date() + timedelta(days=1)
        due = _place(datetime.combine(next_day, time(), zone), windows, zone)
    return due


def _place(
    moment: datetime, windows: list[tuple[frozenset[int], int, int]], zone: ZoneInfo
) -> datetime:
    """The first instant at or after `moment` inside a window (any instant when there are none)."""
    if not windows:
        return moment
    local = moment.astimezone(zone)
    best: datetime | None = None
    for offset in range(-1, _SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        for days, start, end in windows:
            if day.weekday() not in days:
                continue
            opens = _at(day, start, zone)
            closes = _at(day + timedelta(days=1 if end <= start else 0), end, zone)
            if opens <= moment < closes:
                return moment
            if opens > moment and (best is None or opens < best):
                best = opens
    assert best is not None, "some window opens within a week"
    return best


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    if minute == 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(), zone)
    return datetime.combine(day, time(minute // 60, minute % 60), zone)
