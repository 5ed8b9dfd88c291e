"""Posts and files that once crashed, stalled or flooded a build cost only themselves."""

from __future__ import annotations

import os
from pathlib import Path

import feedparser
import pytest

from syndicate.clock import FixedClock
from syndicate.content.files import _count_invalid_utf8, scan
from syndicate.content.loader import MAX_TAGS
from tests.conftest import Blog, build

OK = {"title": "Fine", "date": "2024-05-01"}


def titles(path: Path) -> list[str]:
    return [e.title for e in feedparser.parse(path.read_bytes()).entries]


def _bomb(field: str) -> str:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        levels.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "---\ntitle: Bomb\n" + "\n".join(levels) + f"\n{field}: *i\n---\nBody\n"


@pytest.mark.parametrize("field", ["title", "tags", "author", "date", "summary", "other"])
def test_a_yaml_alias_bomb_is_refused_by_name(blog: Blog, clock: FixedClock, field: str) -> None:
    blog.post("2024-05-01-fine.html.md", OK)
    blog.post("2024-05-02-bomb.html.md", raw=_bomb(field))
    report = build(blog.settings(), clock)
    (error,) = report.errors
    assert error.path.endswith("bomb.html.md") and "aliases" in error.reason
    assert titles(blog.output / "feed.xml") == ["Fine"]


def test_a_value_that_holds_itself_is_refused(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-02-loop.html.md", raw="---\ntitle: Loop\ntags: &t [a, *t]\n---\nx\n")
    (error,) = build(blog.settings(), clock).errors
    assert "aliases" in error.reason


def test_oversized_frontmatter_is_refused(blog: Blog, clock: FixedClock) -> None:
    huge = "---\ntitle: Big\nnote: " + "x" * 1_100_000 + "\n---\nx\n"
    blog.post("2024-05-02-big.html.md", raw=huge)
    (error,) = build(blog.settings(), clock).errors
    assert "over 1,000,000 characters" in error.reason


def test_invalid_bytes_are_counted_in_one_pass() -> None:
    assert _count_invalid_utf8(b"a\xffb\xc3(c\xef\xbf\xbd") == 2
    assert _count_invalid_utf8(b"\xff a" * 200_000) == 200_000  # was quadratic: minutes


def test_a_post_with_thousands_of_tags_is_capped(blog: Blog, clock: FixedClock) -> None:
    tags = [f"t{n}" for n in range(5000)]
    blog.post("2024-05-01-tags.html.md", {**OK, "tags": tags})
    report = build(blog.settings(), clock)
    assert not report.errors
    assert any("5000 tags: only the first 50 are used" in w for _, w in report.warnings)
    assert len(list((blog.output / "tag").glob("*.xml"))) == MAX_TAGS


def test_fifos_and_symlink_loops_are_skipped(
    blog: Blog, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    blog.post("2024-05-01-fine.html.md", OK)
    os.mkfifo(blog.posts / "2024-05-02-fifo.html.md")  # reading it would block for ever
    (blog.posts / "2024-05-03-self.html.md").symlink_to("2024-05-03-self.html.md")
    (blog.posts / "a.html.md").symlink_to("b.html.md")
    (blog.posts / "b.html.md").symlink_to("a.html.md")
    (blog.posts / "loop").symlink_to(".")
    report = build(blog.settings(), clock)
    assert not report.errors
    assert titles(blog.output / "feed.xml") == ["Fine"]
    skipped = caplog.text
    assert "2024-05-02-fifo.html.md: not a regular file" in skipped
    assert "2024-05-03-self.html.md" in skipped and "a.html.md" in skipped


def test_a_link_back_into_a_recursive_tree_is_read_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:

    posts = tmp_path / "content" / "posts"
    (posts / "deep").mkdir(parents=True)
    (posts / "one.md").write_text("---\ntitle: One\n---\n")
    (posts / "deep" / "two.md").write_text("---\ntitle: Two\n---\n")
    (posts / "deep" / "loop").symlink_to("..")
    found = [s.rel for s in scan(tmp_path, "content", recursive=True)]
    assert found == ["content/posts/deep/two.md", "content/posts/one.md"]
    assert "a link back into a folder already read" in caplog.text


def test_unsafe_urls_from_frontmatter_never_reach_a_feed(
    blog: Blog, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    (blog.root / "data").mkdir()
    blog.post(
        "2024-05-01-js.html.md",
        {
            **OK,
            "permalink": "javascript:alert('permalink')",
            "image": "javascript:alert('image')",
            "author": "eve",
        },
    )
    (blog.root / "data" / "authors.yml").write_text(
        "eve:\n  name: Eve\n  url: \"javascript:alert('author')\"\n"
    )
    settings = blog.settings('[content]\nauthors = "data/authors.yml"')
    report = build(settings, clock)
    assert not report.errors
    for feed in blog.output.rglob("*"):
        if feed.is_file():
            assert b"javascript" not in feed.read_bytes().lower(), feed
    warned = " ".join(w for _, w in report.warnings)
    assert "permalink: " in warned and "image: " in warned
    assert "author eve: url" in caplog.text
