"""Posts too big for a path or a feed's byte budget cost only themselves."""

from __future__ import annotations

from pathlib import Path

import feedparser

from syndicate.check import check
from syndicate.clock import FixedClock
from syndicate.content.tags import MAX_SLUG_BYTES, bounded, slugify
from tests.conftest import Blog, build

BODY = "Some words of a post.\n\nA second paragraph."


def titles(path: Path) -> list[str]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return [e.title for e in parsed.entries]


def test_long_slugs_are_cut_readable_distinct_and_stable() -> None:
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    assert len(slugify(long_a).encode()) <= MAX_SLUG_BYTES
    assert slugify(long_a).startswith("a" * 100)
    assert slugify(long_a) != slugify(long_b)
    assert slugify(long_a) == bounded("a" * 300)
    assert len(slugify("日本" * 200).encode()) <= MAX_SLUG_BYTES  # cut on a character
    assert slugify("Short Tag") == "short-tag"


def test_a_very_long_author_or_tag_does_not_stop_the_build(blog: Blog, clock: FixedClock) -> None:
    long = "Ana " + "very " * 80 + "long name"
    blog.post("2024-05-01-one.html.md", {"title": "One", "date": "2024-05-01", "author": long})
    blog.post("2024-05-02-two.html.md", {"title": "Two", "date": "2024-05-02", "tags": long})
    report = build(blog.settings(), clock)
    assert not report.errors
    out = blog.state / "public"
    assert titles(out / "feed.xml") == ["Two", "One"]
    (author_feed,) = (out / "author").glob("*.xml")
    (tag_feed,) = (out / "tag").glob("*.xml")
    assert titles(author_feed) == ["One"] and titles(tag_feed) == ["Two"]
    assert all(len(p.name.encode()) < 255 for p in out.rglob("*"))


def test_a_feed_that_cannot_be_written_is_named_with_its_posts(
    blog: Blog, clock: FixedClock
) -> None:
    blog.post("2024-05-01-one.html.md", {"title": "One", "date": "2024-05-01", "tags": "jam"})
    blog.post("2024-05-02-two.html.md", {"title": "Two", "date": "2024-05-02", "tags": "tea"})
    out = blog.state / "public"
    (out / "tag" / "jam.xml").mkdir(parents=True)  # a directory where the feed should be
    report = build(blog.settings(), clock)
    (error,) = [e for e in report.errors if "jam.xml" in e.reason]
    assert error.path.endswith("2024-05-01-one.html.md")
    assert titles(out / "feed.xml") == ["Two", "One"]  # every other feed is still written
    assert titles(out / "tag" / "tea.xml") == ["Two"]
    (out / "tag" / "jam.xml").rmdir()
    assert not build(blog.settings(), clock).errors  # and the failed one is retried
    assert titles(out / "tag" / "jam.xml") == ["One"]


def test_a_post_over_the_byte_budget_is_listed_in_brief_and_hides_no_older_post(
    blog: Blog, clock: FixedClock
) -> None:
    for day in range(1, 10):
        blog.post(f"2024-05-0{day}-p{day}.html.md", {"title": f"P{day}", "date": f"2024-05-0{day}"})
    huge = "The lead paragraph of a very large post.\n\n" + ("Filler words here. " * 100_000)
    blog.post("2024-05-05-huge.html.md", {"title": "Huge", "date": "2024-05-05 12:00"}, huge)
    report = build(blog.settings(), clock)
    assert not report.errors
    out = blog.state / "public"
    expected = ["P9", "P8", "P7", "P6", "Huge", "P5", "P4", "P3", "P2", "P1"]
    for name in ("feed.xml", "feed.rss"):
        assert titles(out / name) == expected
        assert (out / name).stat().st_size <= 1_000_000
    atom = feedparser.parse((out / "feed.xml").read_bytes())
    big = atom.entries[4]
    assert "lead paragraph" in big.summary and "huge" in big.link
    assert big.link in big.summary and "content" not in big
    found = check(blog.settings(url="https://notes.example.org/"), clock)
    notes = [f.message for f in found.findings if f.file.endswith("huge.html.md")]
    assert any("summary and a link in place of its full text" in n for n in notes), notes


def test_a_body_past_the_render_bound_is_cut_with_a_warning(blog: Blog, clock: FixedClock) -> None:
    from syndicate.content.render import MAX_BODY_CHARS

    paragraph = "Words of a very long post. " * 40 + "\n\n"
    body = paragraph * (MAX_BODY_CHARS // len(paragraph) + 100)
    blog.post("2024-05-01-huge.html.md", {"title": "Huge", "date": "2024-05-01"}, body)
    assert not build(blog.settings(), clock).errors
    assert titles(blog.state / "public" / "feed.xml") == ["Huge"]
    found = check(blog.settings(url="https://notes.example.org/"), clock)
    assert any("only its first" in f.message for f in found.findings)
