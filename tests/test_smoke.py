"""The whole path once: a post on disk becomes an entry in every feed it belongs to."""

from __future__ import annotations

import json

import feedparser

from syndicate.clock import FixedClock
from tests.conftest import Blog, build


def test_a_post_reaches_its_feeds(blog: Blog, clock: FixedClock) -> None:
    blog.post(
        "2024-05-01-hello.html.md",
        {
            "title": "Hello",
            "author": "ana",
            "tags": "News, Feeds",
            "date": "2024-05-01 10:00:00 UTC",
        },
        "Hello **world**.",
    )
    report = build(blog.settings(), clock)
    assert report.errors == []
    site = feedparser.parse((blog.output / "feed.xml").read_bytes())
    assert not site.bozo, site.bozo_exception
    assert [e.title for e in site.entries] == ["Hello"]
    assert site.entries[0].link == "https://blog.example.org/blog/2024/05/hello.html"
    tag = json.loads((blog.output / "tag" / "news.json").read_text())
    assert [i["title"] for i in tag["items"]] == ["Hello"]
    assert (blog.output / "author" / "ana.rss").is_file()
