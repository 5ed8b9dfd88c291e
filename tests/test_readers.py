"""Real feed readers subscribe to the built feeds over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from reader import make_reader

from syndicate.clock import FixedClock
from tests.conftest import Blog, build
from tests.feedserver import serving

FEEDS = ["feed.xml", "feed.rss", "tag/news.xml", "tag/news.rss", "author/ana.xml"]


def write_posts(blog: Blog) -> None:
    blog.authors({"ana": {"name": "Ana Lima", "twitter": "ana"}})
    blog.post(
        "2024-05-01-first.html.md",
        {
            "title": "First & foremost <news>",
            "author": "ana",
            "date": "2024-05-01 10:00:00 UTC",
            "tags": "News, Feeds",
        },
        """
              Intro with a [relative link](../other.html) and ![an image](blog/pic.png).

              READMORE

              | a | b |
              |---|---|
              | 1 | 2 |

              <iframe src="https://www.youtube.com/embed/abcdefghijk" title="Demo"></iframe>
              """,
    )
    blog.post(
        "2024-05-02-second.html.md",
        {"title": "Second", "author": "ana", "date": "2024-05-02", "tags": ["news"]},
        "Just *one* paragraph.",
    )


@pytest.mark.parametrize("path", FEEDS)
def test_feedparser_reads_every_feed_cleanly(blog: Blog, clock: FixedClock, path: str) -> None:
    write_posts(blog)
    build(blog.settings(), clock)
    with serving(blog.output) as server:
        parsed = feedparser.parse(server.url(path))
    assert parsed.status == 200
    assert not parsed.bozo, parsed.bozo_exception
    assert [e.title for e in parsed.entries] == ["Second", "First & foremost <news>"]
    first = parsed.entries[1]
    assert first.link == "https://blog.example.org/blog/2024/05/first.html"
    assert first.author == "Ana Lima"
    assert [t.term for t in first.tags] == ["News", "Feeds"]
    html = first.content[0].value if "content" in first else first.summary
    assert 'href="https://blog.example.org/blog/2024/other.html"' in html
    assert 'src="https://blog.example.org/images/blog/pic.png"' in html


def test_json_feed_is_json_feed_1_1(blog: Blog, clock: FixedClock) -> None:
    write_posts(blog)
    build(blog.settings(), clock)
    feed = json.loads((blog.output / "feed.json").read_text("utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://blog.example.org/feed.json"
    item = feed["items"][1]
    assert set(item) >= {
        "id",
        "url",
        "title",
        "content_html",
        "summary",
        "date_published",
        "date_modified",
    }
    assert item["authors"] == [{"name": "Ana Lima"}]
    assert item["tags"] == ["News", "Feeds"]
    assert item["summary"] == "Intro with a relative link and ."


def test_reader_subscribes_and_gets_304_when_nothing_changed(
    blog: Blog, clock: FixedClock, tmp_path: Path
) -> None:
    write_posts(blog)
    settings = blog.settings()
    build(settings, clock)
    with serving(blog.output) as server:
        client = make_reader(str(tmp_path / "reader.sqlite"))
        for path in FEEDS:
            client.add_feed(server.url(path))
        client.update_feeds(scheduled=False)
        for path in FEEDS:
            got = [e.title or "" for e in client.get_entries(feed=server.url(path))]
            assert sorted(got) == ["First & foremost <news>", "Second"]
            feed = client.get_feed(server.url(path))
            assert feed.last_exception is None
        client.update_feeds(scheduled=False)
        for path in FEEDS:
            assert server.statuses(path) == [200, 304], path

        blog.post(
            "2024-05-03-third.html.md",
            {"title": "Third", "author": "ana", "tags": "News", "date": "2024-05-03"},
        )
        build(settings, clock)
        client.update_feeds(scheduled=False)
        assert server.statuses("feed.xml") == [200, 304, 200]
        assert server.statuses("author/ana.xml") == [200, 304, 200]
        titles = {e.title for e in client.get_entries(feed=server.url("feed.xml"))}
        assert titles == {"First & foremost <news>", "Second", "Third"}
        client.close()
