"""Health: is the daemon still turning posts into feeds? What `/healthz` answers.

The fact that matters is when the last successful scan (a build that completed, whatever
triggered it) started. The watcher triggers builds as posts change and a full rescan runs
every `watch.rescan` seconds, so a working daemon never goes much longer than that without
one. The threshold tolerates one late or failed rescan, never two:

- unhealthy when the last success is older than `2 * rescan + 60` seconds (1,260 s with the
  default rescan of 600 s);
- with `rescan = 0` (no periodic scans) a quiet blog builds nothing for days, so any age is
  fine once one scan has succeeded;
- before the first success, `grace` seconds (300 by default: a cold build of a large blog
  takes a while) are allowed from the start; after that, the daemon is unhealthy;
- `builds = False` (`syndicate serve`, which only serves) is healthy while it answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec

DEFAULT_GRACE = 300.0
MARGIN = 60.0  # room for the rescan's own duration and a busy machine


class HealthFacts(msgspec.Struct, frozen=True):
    """What the daemon knows about its own progress."""

    last_success: datetime | None  # when the last successful scan started (timezone-aware)
    rescan: float  # watch.rescan: seconds between full scans, 0 = never
    started: datetime | None = None  # when the daemon started; None: when the app was made
    grace: float = DEFAULT_GRACE  # seconds allowed for the first scan
    builds: bool = True  # False when nothing here builds feeds (`syndicate serve`)


SERVING_ONLY = HealthFacts(last_success=None, rescan=0.0, builds=False)


class Health(Protocol):
    """Called on every `/healthz`: the facts as they are now."""

    def __call__(self) -> HealthFacts: ...


def stale_after(rescan: float) -> float | None:
    """Seconds after which the last successful scan is too old; None when no age is too old."""
    return 2 * rescan + MARGIN if rescan > 0 else None


class Verdict(msgspec.Struct, frozen=True):
    healthy: bool
    body: dict[str, Any]


def judge(facts: HealthFacts, now: datetime, app_started: datetime) -> Verdict:
    """Healthy or not, and the JSON body that says why."""
    started = facts.started or app_started
    last = facts.last_success
    limit = stale_after(facts.rescan)
    age = None if last is None else max(0.0, (now - last).total_seconds())
    if not facts.builds:
        status = "serving"
    elif age is None:
        in_grace = (now - started).total_seconds() <= facts.grace
        status = "starting" if in_grace else "no successful scan"
    else:
        status = "ok" if limit is None or age <= limit else "stale"
    body = {
        "status": status,
        "uptime_seconds": round((now - started).total_seconds(), 3),
        "last_successful_scan": _iso(last),
        "last_successful_scan_age_seconds": None if age is None else round(age, 3),
        "stale_after_seconds": limit,
        "rescan_seconds": facts.rescan,
    }
    return Verdict(status in ("ok", "starting", "serving"), body)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")
