"""`/`: every feed with its formats, site first, escaped, valid HTML5, with autodiscovery."""

from __future__ import annotations

import re
from typing import Any

import html5lib
import pytest

from syndicate.clock import FixedClock
from syndicate.metrics import Metrics
from syndicate.web.app import SERVING_ONLY, FeedCatalog, create_app
from tests.conftest import Blog, build
from tests.web.conftest import Client, Site, serving, write_posts

EVIL = "<script>alert(1)</script> & co"


@pytest.fixture
def page(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


def parse(text: str) -> Any:
    """html5lib in strict mode: any parse error (invalid HTML5) raises."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def test_the_page_is_valid_html5(page: str) -> None:
    document = parse(page)
    assert document.find("head/meta[@name='viewport']") is not None
    assert document.find("head/title").text == "Ana & Bo's <Blog>: feeds"


def test_everything_from_the_posts_and_settings_is_escaped(page: str) -> None:
    assert "<script" not in page
    assert "<Rust>" not in page and "<Lima>" not in page and "<Blog>" not in page
    assert "C++ &amp; &lt;Rust&gt;" in page
    assert "Ana &lt;Lima&gt;" in page
    document = parse(page)
    names = [span.text for span in document.iter("span") if span.get("class") == "name"]
    assert "C++ & <Rust>" in names and "Ana <Lima>" in names


def test_site_then_tags_then_authors_each_with_its_formats(page: str) -> None:
    document = parse(page)
    sections = document.findall(".//section")
    assert [s.find("h2").text for s in sections] == ["Site", "Tags", "Authors"]
    rows = {
        s.find("h2").text: [
            (li.find("span").text, [a.text for a in li.iter("a")]) for li in s.iter("li")
        ]
        for s in sections
    }
    formats = ["Atom", "RSS", "JSON Feed"]
    assert rows["Site"] == [("Ana & Bo's <Blog>", formats)]
    assert rows["Tags"] == [("C++ & <Rust>", formats), ("News", formats)]
    assert rows["Authors"] == [("Ana <Lima>", formats), ("Bo Ek", formats)]


def test_links_go_to_the_feeds_where_this_server_serves_them(page: str) -> None:
    document = parse(page)
    hrefs = [a.get("href") for a in document.iter("a")]
    assert "feed.xml" in hrefs
    assert "author/bo.json" in hrefs
    assert "https://blog.example.org/" in hrefs  # the site itself


def test_site_feeds_are_announced_in_the_head(page: str) -> None:
    document = parse(page)
    links = [
        (link.get("type"), link.get("href"), link.get("title"))
        for link in document.findall("head/link")
        if link.get("rel") == "alternate"
    ]
    assert links == [
        ("application/atom+xml", "feed.xml", "Ana & Bo's <Blog> (Atom)"),
        ("application/rss+xml", "feed.rss", "Ana & Bo's <Blog> (RSS)"),
        ("application/feed+json", "feed.json", "Ana & Bo's <Blog> (JSON Feed)"),
        ("text/x-opml", "feeds.opml", "Ana & Bo's <Blog>: every feed (OPML)"),
    ]


def test_the_only_style_is_allowed_by_the_content_security_policy(client: Client) -> None:
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    assert "script" not in response.text


def test_the_page_revalidates_and_follows_new_feeds(client: Client, site: Site) -> None:
    first = client.get("/")
    again = client.get("/", {"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    site.blog.post(
        "2024-05-03-third.html.md", {"title": "Third", "date": "2024-05-03", "tags": ["Zebra"]}
    )
    site.rebuild()
    changed = client.get("/", {"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200
    assert "Zebra" in changed.text


def test_head_of_the_page(client: Client) -> None:
    response = client.head("/")
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) == len(client.get("/").content)


def test_a_page_with_no_feeds_yet(blog: Blog) -> None:
    app = create_app(blog.settings(), FeedCatalog(), Metrics(), lambda: SERVING_ONLY)
    with serving(app) as client:
        response = client.get("/")
    assert "No feeds have been built yet." in response.text
    parse(response.text)


def test_a_site_title_with_a_script_tag_is_text(blog: Blog, clock: FixedClock) -> None:
    """The title reaches <title>, <h1>, the site row and every autodiscovery link's title."""
    write_posts(blog)
    settings = blog.settings(f"[site]\ntitle = '{EVIL}'\n")
    build(settings, clock)
    site = Site(blog, settings, clock)
    try:
        with serving(site.app) as client:
            page = client.get("/").text
    finally:
        site.ledger.close()
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    document = parse(page)
    assert document.find("head/title").text == f"{EVIL}: feeds"
    assert document.find("body/header/h1").text == EVIL
    titles = {link.get("title") for link in document.findall("head/link")}
    assert f"{EVIL} (Atom)" in titles
