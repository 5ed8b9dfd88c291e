"""/feeds.opml: every feed of the site as an OPML reading list, read back by a real OPML
consumer (listparser), linked from the index page, cached like it."""

from __future__ import annotations

import listparser

from tests.web.conftest import Client

OPML = "text/x-opml; charset=utf-8"


def test_every_feed_is_listed_once_under_its_kind(client: Client) -> None:
    response = client.get("/feeds.opml")
    assert response.status_code == 200
    assert response.headers["content-type"] == OPML
    parsed = listparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.meta.title == "Ana & Bo's <Blog>: feeds"
    listed = {(feed.title, feed.url, tuple(feed.categories[0])) for feed in parsed.feeds}
    site = "https://blog.example.org/"
    assert listed == {
        ("Ana & Bo's <Blog>", f"{site}feed.xml", ("Site",)),
        ("C++ & <Rust>", f"{site}tag/c-plus-plus-rust.xml", ("Tags",)),
        ("News", f"{site}tag/news.xml", ("Tags",)),
        ("Ana <Lima>", f"{site}author/ana.xml", ("Authors",)),
        ("Bo Ek", f"{site}author/bo.xml", ("Authors",)),
    }


def test_the_list_revalidates_like_the_index_page(client: Client) -> None:
    first = client.get("/feeds.opml")
    again = client.get("/feeds.opml", {"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert first.content == client.get("/feeds.opml").content  # the same bytes every time
