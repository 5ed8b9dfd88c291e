"""The Hootsuite bulk-composer CSV: a real blog built, its week of posts planned on the
account's timing and Hootsuite's 5-minute grid, written and read back with the csv module."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from msgspec.structs import replace

from syndicate.accounts import AccountSettings, TimingSettings
from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.errors import ConfigError, RejectedError
from syndicate.model import Post
from syndicate.publish.base import Message, Span
from syndicate.publish.digest import PeriodPost, read_period
from syndicate.publish.export import (
    MAX_ROWS,
    Row,
    account_composer,
    export_hootsuite,
    hootsuite_csv,
    hootsuite_rows,
    on_grid,
    pick_account,
    schedule,
    without_link,
)
from syndicate.sections import replace as changed
from tests.conftest import NOW, Blog, build

TITLES = [
    'He said "hello", then left',
    "Commas, commas, and more commas",
    "Café déjà vu — 日本語 and emoji 🎉",
    "Plain one",
]
SINCE = NOW - timedelta(days=7)


def blog_with_posts(blog: Blog, clock: FixedClock, timing: str = "") -> Settings:
    """Four posts published over the week before NOW (the blog's first build is on NOW)."""
    for day, title in enumerate(TITLES, start=26):
        blog.post(f"2024-05-{day}-post-{day}.html.md", {"title": title, "tags": "RDO"})
    settings = blog.settings(f"""
        [[accounts]]
        name = "rdo-x"
        network = "x"
        hashtags = ["OpenStack", "RDOCommunity"]
        max_hashtags = 0
        template = "{{title}} {{hashtags}} {{url}}"  # the RDO script's tweet
        {timing}
    """)
    build(settings, clock)
    return settings


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_weeks_posts_become_a_file_hootsuite_takes(blog: Blog, clock: FixedClock) -> None:
    settings = blog_with_posts(blog, clock)
    text, export = export_hootsuite(settings, clock, SINCE, compose=_title_composer(settings))
    assert export.problems == ()
    rows = read_back(text)
    assert [r[1] for r in rows] == [f"{t} #OpenStack #RDOCommunity" for t in TITLES]
    assert [r[2] for r in rows] == [
        f"https://blog.example.org/blog/2024/05/post-{day}.html" for day in range(26, 30)
    ]
    times = [datetime.strptime(r[0], "%m/%d/%Y %H:%M").replace(tzinfo=UTC) for r in rows]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all(t.minute % 5 == 0 for t in times)
    assert times[0] >= NOW + timedelta(minutes=10)
    assert all(b - a >= timedelta(minutes=5) for a, b in pairwise(times))
    assert text.endswith("\r\n") and text.startswith('"06/01/2024 12:15","He said ""hello""')


def _title_composer(settings: Settings) -> Callable[[Post, str], Message]:
    return account_composer(settings.accounts[0])


def test_quotes_commas_newlines_and_non_ascii_survive_the_round_trip() -> None:
    at = datetime(2024, 6, 1, 12, 15, tzinfo=UTC)
    rows = [
        Row(at, 'A "quoted", comma\nand a new line: 日本語 🎉', "https://e.org/a?b=1,2"),
        Row(at + timedelta(minutes=5), "no link"),
    ]
    text = hootsuite_csv(rows, timezone="Europe/Paris", date_format="dmy")
    assert read_back(text) == [
        [
            "01/06/2024 14:15",
            'A "quoted", comma\nand a new line: 日本語 🎉',
            "https://e.org/a?b=1,2",
        ],
        ["01/06/2024 14:20", "no link", ""],
    ]


def test_times_follow_the_accounts_windows_gap_and_cap_on_the_grid(
    blog: Blog, clock: FixedClock
) -> None:
    settings = blog_with_posts(
        blog,
        clock,
        """
        [accounts.timing]
        timezone = "Europe/Paris"
        windows = ["mon-fri 09:03-17:00"]
        min_gap = 3600
        daily_cap = 3
        """,
    )
    text, export = export_hootsuite(settings, clock, SINCE, compose=_title_composer(settings))
    assert export.problems == ()
    times = [datetime.strptime(r[0], "%m/%d/%Y %H:%M") for r in read_back(text)]
    # NOW is a Saturday: Monday 09:03 rounds up to 09:05, an hour apart, three a day.
    assert [t.strftime("%a %H:%M") for t in times] == [
        "Mon 09:05",
        "Mon 10:05",
        "Mon 11:05",
        "Tue 09:05",
    ]


def test_rows_that_break_hootsuites_rules_are_reported_not_dropped(
    blog: Blog, clock: FixedClock
) -> None:
    settings = blog_with_posts(blog, clock)
    period = read_period(settings, SINCE, NOW)
    twin = _copy(period.posts[0], pk=900, title=period.posts[0].record.post.title)
    long = _copy(period.posts[1], pk=901, title="Long " * 80)
    refused = _copy(period.posts[2], pk=902, title="Refused")
    account = settings.accounts[0]
    plain = account_composer(account)

    def compose(post: Post, summary: str) -> Message:
        if post.title == "Refused":
            raise RejectedError("a post's own text is too long")
        if post.title.startswith("Long"):  # as a composer that ignores the limit would write
            text = f"{post.title} {post.permalink}"
            return Message(text, post.permalink, post.title, summary, length=449, limit=280)
        return plain(post, summary)

    export = hootsuite_rows([*period.posts, twin, long, refused], account, {}, NOW, compose=compose)
    assert len(export.rows) == len(TITLES)
    reasons = {p.title.strip(): p.reason for p in export.problems}
    assert reasons == {
        TITLES[0]: "the same message is already in the file (Hootsuite refuses duplicates)",
        ("Long " * 80).strip(): "449 characters, over the limit of 280",
        "Refused": "a post's own text is too long",
    }
    assert all(p.at is not None and p.at.minute % 5 == 0 for p in export.problems)


def test_no_more_than_350_rows_in_one_upload(blog: Blog, clock: FixedClock) -> None:
    settings = blog_with_posts(blog, clock)
    first = read_period(settings, SINCE, NOW).posts[0]
    many = [_copy(first, pk=1000 + i, title=f"Post number {i}") for i in range(MAX_ROWS + 2)]
    export = hootsuite_rows(many, settings.accounts[0], {}, NOW, compose=_title_composer(settings))
    assert len(export.rows) == MAX_ROWS
    assert [p.title for p in export.problems] == ["Post number 350", "Post number 351"]
    assert {p.reason for p in export.problems} == {"over Hootsuite's 350 posts per upload"}


def test_the_accounts_routing_decides_which_posts_go(blog: Blog, clock: FixedClock) -> None:
    settings = blog_with_posts(blog, clock)
    period = read_period(settings, SINCE, NOW)
    account = changed(settings.accounts[0], exclude_tags=("rdo",))
    assert (
        hootsuite_rows(period.posts, account, {}, NOW, compose=account_composer(account)).rows == ()
    )


def test_the_link_moves_from_the_text_to_its_column() -> None:
    url = "https://blog.example.org/p.html"
    text = f"Title\n\nSummary.\n\n{url}\n\n#RDO"
    start = text.index(url)
    message = Message(text, url, "Title", "", spans=(Span(start, start + len(url), "link", url),))
    assert without_link(message) == ("Title\n\nSummary.\n\n#RDO", url)
    inline = Message(f"New: {url} #RDO", url, "New", "")
    assert without_link(inline) == ("New: #RDO", url)
    assert without_link(Message("No link here", url, "T", "")) == ("No link here", None)


def test_the_real_composer_is_used_when_present(blog: Blog, clock: FixedClock) -> None:
    settings = blog_with_posts(blog, clock)
    text, export = export_hootsuite(settings, clock, SINCE, account="rdo-x")
    assert export.problems == ()
    rows = read_back(text)
    assert len(rows) == len(TITLES)
    for row, title in zip(rows, TITLES, strict=True):
        assert row[1].startswith(title) and "https://" not in row[1]
        assert row[2].startswith("https://blog.example.org/blog/2024/05/")


def test_an_account_is_named_or_the_only_one() -> None:
    one = AccountSettings(name="a", network="x")
    two = AccountSettings(name="b", network="x")
    assert pick_account([one], None) is one
    assert pick_account([one, two], "b") is two
    with pytest.raises(ConfigError, match="name one with --account"):
        pick_account([one, two], None)
    with pytest.raises(ConfigError, match="no account named 'c'"):
        pick_account([one, two], "c")


@pytest.mark.parametrize(
    ("moment", "rounded"),
    [
        (datetime(2024, 6, 1, 12, 0), datetime(2024, 6, 1, 12, 0)),
        (datetime(2024, 6, 1, 12, 0, 1), datetime(2024, 6, 1, 12, 5)),
        (datetime(2024, 6, 1, 23, 57), datetime(2024, 6, 2, 0, 0)),
    ],
)
def test_times_round_up_to_the_grid(moment: datetime, rounded: datetime) -> None:
    assert on_grid(moment.replace(tzinfo=UTC)) == rounded.replace(tzinfo=UTC)


def test_a_slot_is_never_shared_even_without_a_gap(blog: Blog, clock: FixedClock) -> None:
    settings = blog_with_posts(blog, clock)
    period = read_period(settings, SINCE, NOW)
    dues = schedule(period.posts, TimingSettings(delay=0), NOW)
    assert sorted(dues.values()) == [NOW + timedelta(minutes=15 + 5 * i) for i in range(4)]


def _copy(post: PeriodPost, *, pk: int, title: str) -> PeriodPost:
    record = post.record
    changed = replace(record.post, title=title, permalink=f"{record.post.permalink}?{pk}")
    return PeriodPost(replace(record, pk=pk, entry_id=f"urn:{pk}", post=changed), post.moment)
