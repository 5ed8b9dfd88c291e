"""Dates as real blogs write them, made timezone-aware."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

# Zone abbreviations found in Middleman and Jekyll frontmatter (Ruby's Time.parse knows these).
_ZONES: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "UT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "IST": 5.5,
    "CET": 1,
    "CEST": 2,
    "MET": 1,
    "MEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "AST": -4,
    "ADT": -3,
    "NST": -3.5,
    "NDT": -2.5,
    "JST": 9,
    "KST": 9,
    "HKT": 8,
    "SGT": 8,
    "AWST": 8,
    "ACST": 9.5,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "BRT": -3,
    "ART": -3,
}
_TRAILING_ZONE = re.compile(r"^(.*?\d)\s*\(?([A-Za-z]{1,5})\)?$")
_SPACED_OFFSET = re.compile(r"^(.*?\d)\s+([+-]\d{2}):?(\d{2})$")
_OFFSET_AND_NAME = re.compile(r"^(.*?\d\s*[+-]\d{2}:?\d{2})\s+\(?[A-Za-z]{1,5}\)?$")
# `2023-01-29 18:30:22 2023 -0800`: the year said again after the time (as a shell's `date`
# writes it). Ruby's Time.parse, which reads Jekyll's and Middleman's dates, stops there: the
# zone after it is not read, and the time is local.
_REPEATED_YEAR = re.compile(
    r"^((\d{4})-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\s+(\d{4})\b\s*(.*)$"
)
_FILENAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")


# Feeds and readers mishandle dates outside the web's own years (RFC 822 wants four digits; the
# W3C validator calls them implausible; Python's datetime ends at 9999): such a date is a typo.
PLAUSIBLE_FROM = datetime(1991, 1, 1, tzinfo=UTC)
PLAUSIBLE_UNTIL = datetime(3000, 1, 1, tzinfo=UTC)


def plausible(moment: datetime) -> bool:
    """Whether a post could really be dated `moment` (the web's years, not a typo)."""
    return PLAUSIBLE_FROM <= moment < PLAUSIBLE_UNTIL


class DateError(ValueError):
    """A value that is not a date we can read."""


def parse_date(value: object, zone: tzinfo, *, naive_utc: bool = False) -> datetime:
    """A frontmatter date as an aware datetime; naive values are in `zone`.

    With `naive_utc`, a YAML timestamp without a zone (a datetime, not a string) is UTC, as
    Ruby's YAML reads it for Jekyll."""
    if isinstance(value, datetime):
        if value.tzinfo:
            return value
        return value.replace(tzinfo=UTC if naive_utc else zone)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=zone)
    if isinstance(value, str) and value.strip():
        return _parse_text(value.strip(), zone)
    raise DateError(
        f"{value!r} is not a date; write it like 2024-05-21 or 2024-05-21 14:30:00 +02:00"
    )


def _parse_text(text: str, zone: tzinfo) -> datetime:
    repeated = _REPEATED_YEAR.match(text)
    if repeated and repeated.group(2) == repeated.group(3):
        text = repeated.group(1)
    both = _OFFSET_AND_NAME.match(text)
    if both:  # `… +0200 CEST`: the offset says it all; the name only repeats it
        text = both.group(1)
    parsed = _iso(text)
    if parsed is None:
        spaced = _SPACED_OFFSET.match(text)
        if spaced:
            parsed = _iso(f"{spaced.group(1)}{spaced.group(2)}:{spaced.group(3)}")
    if parsed is None:
        named = _TRAILING_ZONE.match(text)
        if named and named.group(2).upper() in _ZONES:
            base = _iso(named.group(1))
            if base is not None and base.tzinfo is None:
                hours = _ZONES[named.group(2).upper()]
                parsed = base.replace(tzinfo=timezone(timedelta(hours=hours)))
    if parsed is None:
        parsed = _dateutil(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(
            text.replace("/", "-") if re.match(r"^\d{4}/", text) else text
        )
    except ValueError:
        return None


def _dateutil(text: str) -> datetime:
    import warnings

    from dateutil import parser

    zones = {name: int(hours * 3600) for name, hours in _ZONES.items()}
    try:
        with warnings.catch_warnings():
            # dateutil ignores a zone name it does not know, leaving the time hours off.
            warnings.simplefilter("error", parser.UnknownTimezoneWarning)
            return parser.parse(text, tzinfos=zones)
    except parser.UnknownTimezoneWarning:
        raise DateError(
            f"{text!r} names a time zone we do not know; write its offset, like +02:00"
        ) from None
    except (ValueError, OverflowError, parser.ParserError):
        raise DateError(
            f"{text!r} is not a date we can read; write it like 2024-05-21 14:30:00 +02:00"
        ) from None


def split_dated_name(stem: str) -> tuple[date | None, str]:
    """`2014-05-22-ovirt-news` → (2014-05-22, 'ovirt-news'); an undated name keeps its stem."""
    match = _FILENAME_DATE.match(stem)
    if not match:
        return None, stem
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None, stem
    return day, match.group(4)
