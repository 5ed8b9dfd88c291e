"""Social posts of a period as a Hootsuite bulk-composer CSV, for an account that a person
schedules by hand (what the RDO community did with a script and a spreadsheet).

Hootsuite's rules for a bulk upload, and how they are met here:

- Three columns, no header: date and time, the message, an optional link. Hootsuite shortens
  the link (its own shortener) and adds it to the message, so the link goes in the third column
  and the composed text loses its copy of it.
- Date and time as `MM/DD/YYYY HH:MM` (or `DD/MM/YYYY HH:MM`, chosen at upload), 24-hour
  clock, in the Hootsuite user's own time zone (by default the account's `timing.timezone`).
- Minutes ending in 0 or 5, and at least 10 minutes after the upload: times are planned from
  `lead` (15 minutes) after now and rounded up to the 5-minute grid.
- One post per time slot and no two identical messages: slots are at least 5 minutes apart
  (the account's `min_gap` when longer); a repeated text is reported.
- At most 350 posts in one upload; the message within the network's limit.

Times come from the account's own timing (delay, posting windows, minimum gap, daily cap),
as the daemon would plan them. A row that breaks a rule is reported as a Problem and left out
of the CSV: never dropped silently.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from syndicate.accounts import AccountSettings, TimingSettings
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.errors import ConfigError, PublishError
from syndicate.model import Delivery, DeliveryStatus, Post
from syndicate.publish.base import Message
from syndicate.publish.compose import compose as compose_message
from syndicate.publish.digest import PeriodPost, read_period
from syndicate.publish.network import describe
from syndicate.publish.routing import route
from syndicate.publish.timing import plan
from syndicate.sections import replace
from syndicate.store.cache import RenderCache

GRID = timedelta(minutes=5)  # Hootsuite takes times whose minutes end in 0 or 5
MIN_LEAD = timedelta(minutes=10)  # ... and at least this long after the upload
LEAD = timedelta(minutes=15)  # planned from now + this: five minutes to upload the file
MAX_ROWS = 350  # posts in one upload
DATE_FORMATS = {"mdy": "%m/%d/%Y %H:%M", "dmy": "%d/%m/%Y %H:%M"}

Composer = Callable[[Post, str], Message]  # a post and its summary -> the account's message


class Row(msgspec.Struct, frozen=True):
    """One scheduled post of the CSV."""

    at: datetime  # timezone-aware
    text: str
    link: str | None = None


class Problem(msgspec.Struct, frozen=True):
    """A post that could not become a valid row, and why."""

    title: str
    url: str
    reason: str
    at: datetime | None = None


class Export(msgspec.Struct, frozen=True):
    rows: tuple[Row, ...]
    problems: tuple[Problem, ...]


# -- the CSV --------------------------------------------------------------------------------


def hootsuite_csv(rows: Iterable[Row], *, timezone: str = "UTC", date_format: str = "mdy") -> str:
    """The bulk-composer file: RFC 4180 (every field quoted, CRLF line ends), no header."""
    zone = ZoneInfo(timezone)
    pattern = DATE_FORMATS[date_format]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for row in rows:
        if row.at.tzinfo is None:
            raise ValueError(f"row {row.text[:40]!r}: its time has no time zone")
        writer.writerow([row.at.astimezone(zone).strftime(pattern), row.text, row.link or ""])
    return out.getvalue()


# -- times ----------------------------------------------------------------------------------


def on_grid(moment: datetime) -> datetime:
    """`moment` rounded up to the 5-minute grid (zones are whole multiples of 5 minutes)."""
    step = int(GRID.total_seconds())
    seconds = moment.timestamp()
    rounded = -(-seconds // step) * step
    return datetime.fromtimestamp(rounded, UTC).astimezone(moment.tzinfo)


def schedule(
    posts: Sequence[PeriodPost],
    timing: TimingSettings,
    now: datetime,
    *,
    sent: Iterable[datetime] = (),
    lead: timedelta = LEAD,
) -> dict[int, datetime]:
    """A time on Hootsuite's grid per post (by pk), as `timing.plan` places them: oldest
    first, each in a window, `min_gap` (at least one slot) after the previous one, under the
    daily cap. Each time is planned after the previous rounded one, so rounding cannot bring
    two closer than the gap; one that rounding moves out of a window is placed again."""
    slotted = replace(timing, min_gap=max(timing.min_gap, GRID.total_seconds()))
    taken = sorted(sent)
    start = on_grid(now + lead)
    dues: dict[int, datetime] = {}
    for post in sorted(posts, key=lambda p: (p.moment, p.record.pk)):
        probe = _delivery(post)
        due = start
        for _ in range(12):  # a window edge off the grid settles in a step or two
            planned = plan([probe], taken, slotted, due)[probe.id]
            rounded = on_grid(planned)
            if rounded == due:
                break
            due = rounded
        dues[post.record.pk] = due
        taken.append(due)
    return dues


def _delivery(post: PeriodPost) -> Delivery:
    record = post.record
    return Delivery(
        id=record.pk,
        post_pk=record.pk,
        entry_id=record.entry_id,
        account="",
        status=DeliveryStatus.PENDING,
        published_at=post.moment,
        created=post.moment,
        updated=post.moment,
    )


# -- texts ----------------------------------------------------------------------------------

_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t]{2,}")


def without_link(message: Message) -> tuple[str, str | None]:
    """(text, link): the post's URL taken out of the text, for Hootsuite's link column; no
    link when the text never had it (a template without `{url}`)."""
    spans = [s for s in message.spans if s.kind == "link" and s.target == message.url]
    text = message.text
    if spans:
        for span in sorted(spans, key=lambda s: s.start, reverse=True):
            text = text[: span.start] + text[span.end :]
    elif message.url and message.url in text:
        text = text.replace(message.url, "")
    else:
        return message.text, None
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip(), message.url


# -- rows -----------------------------------------------------------------------------------


def hootsuite_rows(
    posts: Sequence[PeriodPost],
    account: AccountSettings,
    summaries: Mapping[int, str],
    now: datetime,
    *,
    compose: Composer,
    sent: Iterable[datetime] = (),
    lead: timedelta = LEAD,
) -> Export:
    """The rows for `account` of the period's `posts` (those its routing takes), with what
    could not be a row. `summaries` maps a post's pk to its plain-text summary."""
    taken = [p for p in posts if route(p.record.post, account) is None]
    dues = schedule(taken, account.timing, now, sent=sent, lead=lead)
    rows: list[Row] = []
    problems: list[Problem] = []
    for post in sorted(taken, key=lambda p: dues[p.record.pk]):
        record = post.record
        at = dues[record.pk]
        try:
            message = compose(record.post, summaries.get(record.pk) or record.post.summary or "")
        except PublishError as error:
            problems.append(Problem(record.post.title, record.post.permalink, error.reason, at))
            continue
        text, link = without_link(message)
        row = Row(at, text, link)
        reason = _broken_rule(row, message, rows, now)
        if reason is None:
            rows.append(row)
        else:
            problems.append(Problem(record.post.title, record.post.permalink, reason, at))
    return Export(tuple(rows), tuple(problems))


def _broken_rule(row: Row, message: Message, earlier: Sequence[Row], now: datetime) -> str | None:
    """Which of Hootsuite's rules the row would break, if any."""
    if not row.text:
        return "the message is empty"
    if message.limit and message.length > message.limit:
        return f"{message.length} characters, over the limit of {message.limit}"
    if row.at.second or row.at.microsecond or row.at.minute % 5:
        return "its time is not on Hootsuite's 5-minute grid"
    if row.at < now + MIN_LEAD:
        return "its time is less than 10 minutes away"
    if any(other.at == row.at for other in earlier):
        return "another post has the same time slot"
    if any(other.text == row.text for other in earlier):
        return "the same message is already in the file (Hootsuite refuses duplicates)"
    if len(earlier) >= MAX_ROWS:
        return f"over Hootsuite's {MAX_ROWS} posts per upload"
    return None


def plain_summaries(cache: RenderCache, pks: Sequence[int]) -> dict[int, str]:
    """Each post's rendered plain-text summary, as the composer is given it elsewhere."""
    found = cache.get_many(list(pks))
    return {pk: c.rendered.summary_text for pk, c in found.items() if c.rendered.summary_text}


# -- the edge -------------------------------------------------------------------------------


def pick_account(accounts: Sequence[AccountSettings], name: str | None) -> AccountSettings:
    """The account named `name`, or the only one configured."""
    if name is None and len(accounts) == 1:
        return accounts[0]
    found = [a for a in accounts if a.name == name]
    if not found:
        names = ", ".join(a.name for a in accounts) or "none configured"
        wanted = f"no account named {name!r}" if name else "name one with --account"
        raise ConfigError(f"{wanted} (accounts: {names})", key="accounts")
    return found[0]


def account_composer(account: AccountSettings) -> Composer:
    """The daemon's own composer for this account, with its network's default rules."""
    rules = describe(account.network).rules
    return lambda post, summary: compose_message(post, summary, account, rules)


def export_hootsuite(
    settings: Settings,
    clock: Clock,
    since: datetime,
    *,
    until: datetime | None = None,
    account: str | None = None,
    timezone: str | None = None,
    date_format: str = "mdy",
    compose: Composer | None = None,
) -> tuple[str, Export]:
    """`syndicate export hootsuite`: (the CSV, the export with its problems) for the posts
    published in [since, until or now). Times are written in `timezone` (the Hootsuite
    user's), by default the account's own."""
    now = clock.now()
    chosen = pick_account(settings.accounts, account)
    period = read_period(settings, since, until or now, summaries=plain_summaries)
    export = hootsuite_rows(
        period.posts,
        chosen,
        period.summaries,
        now,
        compose=compose or account_composer(chosen),
    )
    zone = timezone or chosen.timing.timezone
    return hootsuite_csv(export.rows, timezone=zone, date_format=date_format), export
