"""Real clients against uvicorn on 127.0.0.1: feedparser, the reader library, raw HTTP."""

from __future__ import annotations

import gzip
import html
import http.client
from pathlib import Path

import feedparser
import pytest
from reader import make_reader

from tests.web.conftest import Live, Site

FEEDS = ["feed.xml", "feed.rss", "feed.json", "tag/news.xml", "tag/news.rss", "author/ana.xml"]
XML_FEEDS = [path for path in FEEDS if not path.endswith(".json")]
# A title that reads as markup is written as escaped HTML in Atom (type="html", which clients
# hand on as HTML) and without its tags in RSS (see feeds/plaintext.py): either way the words.
TITLES = {"First & foremost <script>alert(1)</script>", "First & foremost alert(1)", "Second"}


def shown(title: str) -> str:
    return html.unescape(title)


@pytest.mark.parametrize("path", XML_FEEDS)
def test_feedparser_gets_200_then_304_with_either_validator(live: Live, path: str) -> None:
    first = feedparser.parse(live.url(path))
    assert first.status == 200
    assert not first.bozo, first.bozo_exception
    assert first.entries
    assert {shown(e.title) for e in first.entries} <= TITLES
    assert first.etag and first.modified
    assert first.headers["content-encoding"] == "gzip"  # feedparser asks for it
    by_etag = feedparser.parse(live.url(path), etag=first.etag)
    by_date = feedparser.parse(live.url(path), modified=first.modified)
    assert (by_etag.status, by_date.status) == (304, 304)
    assert live.recorder.statuses(path) == [200, 304, 304]
    assert live.recorder.log[1].headers["if-none-match"] == first.etag


def test_feedparser_sees_the_hubs_and_self(live: Live) -> None:
    parsed = feedparser.parse(live.url("feed.xml"))
    rels = {link.rel: link.href for link in parsed.feed.links}
    assert rels["self"] == "https://blog.example.org/feed.xml"
    assert rels["hub"].startswith("https://")


def test_reader_gets_200_then_304_then_the_new_post(live: Live, site: Site, tmp_path: Path) -> None:
    client = make_reader(str(tmp_path / "reader.sqlite"))
    try:
        for path in FEEDS:
            client.add_feed(live.url(path))
        client.update_feeds(scheduled=False)
        for path in FEEDS:
            feed = client.get_feed(live.url(path))
            assert feed.last_exception is None, path
            titles = {shown(e.title or "") for e in client.get_entries(feed=live.url(path))}
            assert titles and titles <= TITLES, path
        client.update_feeds(scheduled=False)
        for path in FEEDS:
            assert live.recorder.statuses(path) == [200, 304], path

        site.blog.post(
            "2024-05-03-third.html.md",
            {"title": "Third", "author": "ana", "tags": ["News"], "date": "2024-05-03"},
        )
        site.rebuild()
        client.update_feeds(scheduled=False)
        assert live.recorder.statuses("feed.json") == [200, 304, 200]
        assert live.recorder.statuses("author/ana.xml") == [200, 304, 200]
        after = {e.title for e in client.get_entries(feed=live.url("tag/news.rss"))}
        assert "Third" in after
    finally:
        client.close()


def test_raw_http_gzip_head_and_the_index(live: Live, site: Site) -> None:
    conn = http.client.HTTPConnection(live.server.host, live.server.port, timeout=10)
    try:
        conn.request("GET", "/feed.xml", headers={"Accept-Encoding": "gzip"})
        packed = conn.getresponse()
        body = packed.read()
        assert packed.getheader("Content-Encoding") == "gzip"
        assert gzip.decompress(body) == (site.output / "feed.xml").read_bytes()
        conn.request("HEAD", "/feed.xml", headers={"Accept-Encoding": "gzip"})
        head = conn.getresponse()
        assert head.read() == b""
        assert head.getheader("Content-Length") == str(len(body))
        assert head.getheader("ETag") == packed.getheader("ETag")
        conn.request("GET", "/")
        index = conn.getresponse()
        assert index.status == 200
        assert b"<!doctype html>" in index.read()
    finally:
        conn.close()


def test_the_server_listens_on_loopback(live: Live) -> None:
    assert live.server.host == "127.0.0.1"
    assert live.server.url == f"http://127.0.0.1:{live.server.port}/"
