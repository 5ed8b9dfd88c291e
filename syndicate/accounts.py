"""The `[[accounts]]` and `[publish]` settings: where posts go, which ones, how they read and
when they go out. Credentials are never written in the config: each is a reference, `env:NAME`
or `file:PATH`, resolved only when a publisher is made (publish/credentials.py)."""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from syndicate import registry
from syndicate.clock import known_zone
from syndicate.sections import Section, check

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(
    r"^(?:(?P<d1>[a-z]{3})(?:-(?P<d2>[a-z]{3}))?\s+)?(?P<h1>\d{1,2}):(?P<m1>\d{2})-(?P<h2>\d{1,2}):(?P<m2>\d{2})$"
)
_CREDENTIAL = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$")

PLACEHOLDERS = frozenset(
    ("title", "summary", "url", "hashtags", "author", "author_handle", "author_mention", "byline")
)
EMPTY = "\x00"  # where a placeholder stood that filled with nothing (publish/message_template.py)


class TimingSettings(Section, frozen=True, kw_only=True):
    delay: Annotated[float, Meta(ge=0)] = (
        300.0  # seconds after publication: a quick fix lands first
    )
    windows: tuple[str, ...] = ()  # e.g. "mon-fri 09:00-18:00" in `timezone`; none = any time
    timezone: str = "UTC"
    min_gap: Annotated[float, Meta(ge=0)] = 0.0  # seconds between two posts of this account
    daily_cap: Annotated[int, Meta(ge=1)] | None = None  # posts per day (in `timezone`)

    def __post_init__(self) -> None:
        check(self, "windows", _valid_windows)
        check(self, "timezone", known_zone)


def _valid_windows(windows: tuple[str, ...]) -> tuple[str, ...]:
    for window in windows:
        parse_window(window)
    return tuple(windows)


def _template(value: str | None) -> None:
    if value is not None:
        parse_template(value)  # a ValueError names the unknown placeholder


class ReshareSettings(Section, frozen=True, kw_only=True):
    """Re-sharing good older posts (publish/evergreen.py): opt-in, one at a time, inside the
    account's windows and caps, and never while new posts wait."""

    enabled: bool = False
    every_hours: Annotated[float, Meta(ge=1)] = 24.0  # at most one re-share this often
    min_age_days: Annotated[float, Meta(ge=0)] = 30.0  # posts at least this old
    max_age_days: Annotated[float, Meta(gt=0)] | None = None  # and at most this old
    tags: tuple[str, ...] = ()  # posts with one of these tags; empty = any the account takes
    not_within_days: Annotated[float, Meta(ge=1)] = 180.0  # a post again only after this
    # The re-share's text; by default the network's template after "From the archive: ", so a
    # re-share never reads as the first post did (X refuses the same text twice).
    template: str | None = None

    def __post_init__(self) -> None:
        check(self, "template", _template)


class AccountSettings(Section, frozen=True, kw_only=True):
    """One account on one network."""

    name: str  # unique; names the account in the outbox, logs and commands
    network: str  # a name in syndicate/registry.py
    enabled: bool = True
    # Where: Mastodon's instance, Bluesky's PDS (https://bsky.social), Matrix's homeserver,
    # or X's API base (https://api.x.com). Webhook URLs are secrets: they go in credentials.
    server: str | None = None
    handle: str | None = None  # Bluesky handle; X user name (used to find recent posts)
    room: str | None = None  # Matrix room id
    credentials: dict[str, str] = msgspec.field(
        default_factory=dict
    )  # name -> env:NAME | file:PATH
    # Which posts: by tag and author (slugs or names, case-insensitive); empty = all.
    include_tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    include_authors: tuple[str, ...] = ()
    exclude_authors: tuple[str, ...] = ()
    # How it reads: {title} {summary} {url} {hashtags} {author} {author_handle}
    # {author_mention} (the handle, else the name) {byline} ("by " and that, or nothing).
    template: str | None = None  # the network's default when unset
    hashtags: tuple[str, ...] = ()  # always added, e.g. "RDOCommunity"
    tag_hashtags: dict[str, str] = msgspec.field(
        default_factory=dict
    )  # tag -> hashtag; "" drops it
    max_hashtags: Annotated[int, Meta(ge=0)] = 3  # tags turned into hashtags, at most
    visibility: Literal["public", "unlisted", "private"] = "public"  # Mastodon
    # When the text would be shortened, post a thread instead: the title and link first, then
    # the summary continued in replies, at most `thread_parts` posts in all (X, Mastodon,
    # Bluesky: networks whose descriptor says `replies`).
    thread: bool = False
    thread_parts: Annotated[int, Meta(ge=2, le=25)] = 4
    # The post's lead image, uploaded with the post where the network takes images.
    images: bool = True
    require_alt_text: bool = False  # refuse to post an image that has no alt text
    # Added to the post's link (new posts and re-shares), e.g. "utm_source=mastodon&
    # utm_medium=social"; {network} and {account} are replaced.
    link_query: str = ""
    reshare: ReshareSettings = msgspec.field(default_factory=ReshareSettings)
    timing: TimingSettings = msgspec.field(default_factory=TimingSettings)

    def __post_init__(self) -> None:
        check(self, "network", _registered)
        check(self, "template", _template)
        check(self, "credentials", _references_only)
        problems = _described(self.network).problems(self)
        if problems:
            raise ValueError(problems[0])


def _registered(value: str) -> None:
    if value not in registry.names():
        known = ", ".join(repr(name) for name in registry.names())
        raise ValueError(f"Input should be {known}")


def _references_only(values: dict[str, str]) -> None:
    for key, value in values.items():
        if not _CREDENTIAL.match(value):
            raise ValueError(
                f"credentials.{key}: write env:NAME or file:PATH, never the secret itself"
            )


class PublishSettings(Section, frozen=True, kw_only=True):
    dry_run: bool = False  # compose and schedule, never send
    lease: Annotated[float, Meta(ge=10)] = 300.0  # seconds a claimed delivery stays claimed
    max_attempts: Annotated[int, Meta(ge=1)] = 12  # transient failures before a delivery fails
    retry_base: Annotated[float, Meta(gt=0)] = 60.0  # seconds before the first retry; doubles


def _described(network: str) -> registry.Described:
    found = registry.load(network)
    assert hasattr(found, "problems"), network  # a publish.network.Network
    return found  # type: ignore[return-value]


def parse_window(text: str) -> tuple[frozenset[int], int, int]:
    """`mon-fri 09:00-18:00` -> (weekdays 0-6, start minute, end minute). No days = every day;
    an end before the start runs past midnight."""
    match = _WINDOW.match(" ".join(text.casefold().split()))
    if match is None:
        raise ValueError(f"window {text!r}: write e.g. 'mon-fri 09:00-18:00' or '08:30-20:00'")
    days = frozenset(range(7))
    if match["d1"]:
        first = _day(match["d1"], text)
        last = _day(match["d2"], text) if match["d2"] else first
        days = frozenset((first + i) % 7 for i in range((last - first) % 7 + 1))
    start = _minute(int(match["h1"]), int(match["m1"]), text)
    end = _minute(int(match["h2"]), int(match["m2"]), text)
    if start == end:
        raise ValueError(f"window {text!r} is empty")
    return days, start, end


def _day(name: str, text: str) -> int:
    if name not in _DAYS:
        raise ValueError(f"window {text!r}: unknown day {name!r} (mon, tue, ... sun)")
    return _DAYS.index(name)


def _minute(hour: int, minute: int, text: str) -> int:
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise ValueError(f"window {text!r}: no such time {hour:02d}:{minute:02d}")
    return hour * 60 + minute


Segment = tuple[str, str | None]  # literal text, then the placeholder after it (if any)


def parse_template(template: str) -> tuple[Segment, ...]:
    """The template's literal text and placeholders; ValueError names what is wrong."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"template {template!r}: {exc} (write {{{{ and }}}} for braces)") from exc
    segments: list[Segment] = []
    for literal, field, spec, conversion in parsed:
        if field is not None and (field not in PLACEHOLDERS or spec or conversion):
            known = ", ".join(f"{{{name}}}" for name in sorted(PLACEHOLDERS))
            raise ValueError(f"template {template!r}: unknown placeholder {{{field}}}; use {known}")
        segments.append((literal.replace(EMPTY, ""), field))
    return tuple(segments)
