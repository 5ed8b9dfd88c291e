"""Dates as real blogs write them, made timezone-aware; the file name's date as a fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from syndicate.content.dates import DateError, parse_date, split_dated_name
from syndicate.errors import PostDataError
from tests.conftest import Blog
from tests.content.conftest import load

PARIS = ZoneInfo("Europe/Paris")


def _at(offset_hours: float, *fields: int) -> datetime:
    """A datetime from (year, month, day, hour...) at a fixed offset from UTC."""
    year, month, day, *clock = fields
    hour, minute, second, micro = (*clock, 0, 0, 0, 0)[:4]
    zone = timezone(timedelta(hours=offset_hours))
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-11-13 15:53:33 UTC", _at(0, 2014, 11, 13, 15, 53, 33)),
        ("2013-04-03 15:13:23+00:00", _at(0, 2013, 4, 3, 15, 13, 23)),
        ("2015-05-21 11:40 CEST", _at(2, 2015, 5, 21, 11, 40)),
        ("2015-05-21T11:40:00Z", _at(0, 2015, 5, 21, 11, 40)),
        ("2014-09-30 16:27:00.000000000 Z", _at(0, 2014, 9, 30, 16, 27)),
        ("Thu, 21 May 2015 11:40:00 +0000", _at(0, 2015, 5, 21, 11, 40)),
        ("Thu, 21 May 2015 11:40:00 GMT", _at(0, 2015, 5, 21, 11, 40)),
        ("2015-05-21 11:40:00 -0400", _at(-4, 2015, 5, 21, 11, 40)),
        ("2015-05-21 11:40:00 +02:00", _at(2, 2015, 5, 21, 11, 40)),
        ("2015-05-21 11:40:00 PDT", _at(-7, 2015, 5, 21, 11, 40)),
        ("2015-05-21 11:40:00 (CEST)", _at(2, 2015, 5, 21, 11, 40)),
        ("2015-05-21 11:40:00 IST", _at(5.5, 2015, 5, 21, 11, 40)),
        ("2015-05-21T11:40:00.123456789+02:00", _at(2, 2015, 5, 21, 11, 40, 0, 123456)),
    ],
)
def test_dates_with_a_zone_keep_it(text: str, expected: datetime) -> None:
    parsed = parse_date(text, PARIS)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-05-21", datetime(2015, 5, 21)),
        ("2015/05/21", datetime(2015, 5, 21)),
        ("2015-05-21 11:40", datetime(2015, 5, 21, 11, 40)),
        ("2015-05-21 11:40:00", datetime(2015, 5, 21, 11, 40)),
        ("May 21, 2015", datetime(2015, 5, 21)),
    ],
)
def test_dates_without_a_zone_are_in_the_configured_zone(text: str, expected: datetime) -> None:
    assert parse_date(text, PARIS) == expected.replace(tzinfo=PARIS)


def test_naive_summer_and_winter_dates_get_the_zones_offset_of_their_day() -> None:
    assert parse_date("2015-07-01 12:00", PARIS).utcoffset() == timedelta(hours=2)
    assert parse_date("2015-01-01 12:00", PARIS).utcoffset() == timedelta(hours=1)


def test_yaml_typed_dates_and_datetimes_are_accepted() -> None:
    assert parse_date(date(2015, 5, 21), UTC) == datetime(2015, 5, 21, tzinfo=UTC)
    assert parse_date(datetime(2015, 5, 21, 9), PARIS) == datetime(2015, 5, 21, 9, tzinfo=PARIS)
    aware = datetime(2015, 5, 21, 9, tzinfo=UTC)
    assert parse_date(aware, PARIS) is aware


def test_a_year_repeated_after_the_time_ends_the_date_as_in_ruby() -> None:
    # Ruby's Time.parse reads `2023-01-29 18:30:22 2023 -0800` as a local time, zone unread
    assert parse_date("2023-01-29 18:30:22 2023 -0800", PARIS) == _at(1, 2023, 1, 29, 18, 30, 22)


def test_surrounding_spaces_are_ignored() -> None:
    assert parse_date("  2015-05-21 11:40 UTC \n", PARIS) == _at(0, 2015, 5, 21, 11, 40)


@pytest.mark.parametrize(
    "garbage",
    ["tomorrow", "not a date", "2015-13-45", "1432208400", "TBD", "2023-01-29 18:30 2024 -0800"],
)
def test_garbage_is_a_date_error_that_shows_a_good_example(garbage: str) -> None:
    with pytest.raises(DateError, match="2024-05-21 14:30:00 \\+02:00") as caught:
        parse_date(garbage, UTC)
    assert repr(garbage) in str(caught.value)


@pytest.mark.parametrize("value", [None, "", "   ", 12, 3.5, True, [], {}])
def test_values_that_are_not_dates_are_date_errors(value: object) -> None:
    with pytest.raises(DateError, match="is not a date"):
        parse_date(value, UTC)


def test_an_unknown_zone_name_is_an_error_not_a_silent_shift() -> None:
    with pytest.raises(DateError, match="time zone"):
        parse_date("2015-05-21 11:40:00 XYZ", UTC)


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("2014-05-22-ovirt-news", (date(2014, 5, 22), "ovirt-news")),
        ("2014-05-22-2-more", (date(2014, 5, 22), "2-more")),
        ("ovirt-news", (None, "ovirt-news")),
        ("2014-02-30-impossible", (None, "2014-02-30-impossible")),
        ("2014-05-22", (None, "2014-05-22")),
        ("14-05-22-short", (None, "14-05-22-short")),
    ],
)
def test_split_dated_name(stem: str, expected: tuple[date | None, str]) -> None:
    assert split_dated_name(stem) == expected


# --- through the loader ---------------------------------------------------------------------


def test_the_file_names_date_is_used_when_the_frontmatter_has_none(blog: Blog) -> None:
    path = blog.post("2014-05-22-news.html.md", {"title": "News"})
    assert load(blog, path).post.date == datetime(2014, 5, 22, tzinfo=UTC)


def test_the_file_names_date_is_in_the_configured_zone(blog: Blog) -> None:
    path = blog.post("2014-05-22-news.html.md", {"title": "News"})
    post = load(blog, path, '[content]\ntimezone = "America/New_York"').post
    assert post.date == datetime(2014, 5, 22, tzinfo=ZoneInfo("America/New_York"))


def test_naive_frontmatter_dates_are_in_the_configured_zone(blog: Blog) -> None:
    path = blog.post("2014-05-22-news.html.md", {"title": "N", "date": "2014-05-22 10:00"})
    post = load(blog, path, '[content]\ntimezone = "Europe/Paris"').post
    assert post.date == datetime(2014, 5, 22, 8, 0, tzinfo=UTC)


def test_yaml_typed_naive_timestamp_is_in_the_configured_zone(blog: Blog) -> None:
    path = blog.post("x.html.md", raw="---\ntitle: N\ndate: 2014-05-22 10:00:00\ntags: [a]\n---\n")
    post = load(blog, path, '[content]\ntimezone = "Europe/Paris"').post
    assert post.date == datetime(2014, 5, 22, 8, 0, tzinfo=UTC)


def test_the_frontmatter_date_wins_over_the_file_name(blog: Blog) -> None:
    path = blog.post("2014-05-22-n.html.md", {"title": "N", "date": "2014-05-23 10:00:00 UTC"})
    loaded = load(blog, path)
    assert loaded.post.date == datetime(2014, 5, 23, 10, tzinfo=UTC)
    assert any("differs from the file name" in w for w in loaded.warnings)


def test_a_matching_frontmatter_date_gives_no_warning(blog: Blog) -> None:
    path = blog.post("2014-05-22-n.html.md", {"title": "N", "date": "2014-05-22 10:00:00 UTC"})
    assert load(blog, path).warnings == ()


def test_no_date_anywhere_is_an_error(blog: Blog) -> None:
    path = blog.post("undated.html.md", {"title": "N"})
    with pytest.raises(PostDataError, match="no date") as caught:
        load(blog, path)
    assert caught.value.path == "source/blog/undated.html.md"


def test_a_garbage_date_falls_back_to_the_file_name_with_a_warning(blog: Blog) -> None:
    path = blog.post("2014-05-22-n.html.md", {"title": "N", "date": "next Tuesday"})
    loaded = load(blog, path)  # the generator publishes it: so do we, dated by its name
    assert loaded.post.date.date() == date(2014, 5, 22)
    assert any("bad date" in w and "file name's date" in w for w in loaded.warnings)


def test_a_garbage_date_without_a_dated_name_is_an_error_naming_the_file(blog: Blog) -> None:
    path = blog.post("n.html.md", {"title": "N", "date": "next Tuesday"})
    with pytest.raises(PostDataError, match="bad date") as caught:
        load(blog, path)
    assert caught.value.path == "source/blog/n.html.md"


@pytest.mark.parametrize("written", ["0001-01-01", "1970-01-01", "9999-12-31 23:59:59"])
def test_an_implausible_date_falls_back_to_the_file_name(blog: Blog, written: str) -> None:
    path = blog.post("2014-05-22-n.html.md", {"title": "N", "date": written})
    loaded = load(blog, path)
    assert loaded.post.date.date() == date(2014, 5, 22)
    assert any("implausible date" in w for w in loaded.warnings)


def test_hugo_publish_date_is_read(blog: Blog) -> None:
    path = blog.post("x.html.md", {"title": "N", "publishDate": "2020-02-02T10:00:00Z"})
    assert load(blog, path).post.date == datetime(2020, 2, 2, 10, tzinfo=UTC)


def test_updated_dates_are_read_from_their_usual_keys(blog: Blog) -> None:
    for key in ("updated", "lastmod", "last_modified_at", "modified"):
        path = blog.post(f"2020-01-01-{key}.html.md", {"title": "N", key: "2020-03-01 UTC"})
        assert load(blog, path).post.declared_updated == datetime(2020, 3, 1, tzinfo=UTC)


def test_a_garbage_updated_date_is_an_error(blog: Blog) -> None:
    path = blog.post("2020-01-01-x.html.md", {"title": "N", "updated": "soon"})
    with pytest.raises(PostDataError, match="bad date in updated"):
        load(blog, path)


def test_an_offset_followed_by_its_zone_name() -> None:
    assert parse_date("2015-05-21 11:40:00 +0200 CEST", UTC) == datetime(
        2015, 5, 21, 9, 40, tzinfo=UTC
    )
