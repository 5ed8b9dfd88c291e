"""Feed documents: valid XML/JSON, the right links and elements, nothing from the clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import feedparser
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from syndicate.feedkinds import FeedKind
from syndicate.feeds import documents
from syndicate.feeds.documents import FeedHead, assemble
from syndicate.feeds.entries import serialise
from syndicate.model import Author, Entry, FeedFormat, FeedOutput, FeedSpec, Post, Rendered, Tag

WHEN = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
POST = Post(
    source="a.md",
    slug="a",
    title="Fish & <chips>",
    date=WHEN,
    permalink="https://x.org/a.html",
    authors=(Author("ana", "Ana", uri="https://ana.example"),),
    tags=(Tag("rdo", "RDO"),),
    language="en",
)
ENTRY = Entry("tag:x.org,2024-05-01:/a.html", POST, WHEN)
RENDERED = Rendered('<p>Hi <a href="https://x.org/b">b</a></p><p>More</p>', "<p>Hi</p>", "Hi")


def head(fmt: FeedFormat) -> tuple[FeedHead, FeedOutput]:
    output = FeedOutput(fmt, f"feed.{fmt.value}", f"https://x.org/feed.{fmt.value}")
    spec = FeedSpec(
        FeedKind.SITE, "", "X", "All posts", "https://x.org/", (output,), 20, 10**6, True
    )
    return FeedHead(
        spec, "tag:x.org,2024:feed", WHEN, "X team", "en", ("https://hub.example/",), None, None
    ), output


def document(fmt: FeedFormat) -> bytes:
    feed_head, output = head(fmt)
    piece = serialise([(fmt, True)], ENTRY, RENDERED)[(fmt, True)]
    return assemble(feed_head, output, [piece, piece.replace(b"a.html", b"b.html")])


def test_atom_is_well_formed_with_self_hub_base_and_no_build_time() -> None:
    data = document(FeedFormat.ATOM)
    root = etree.fromstring(data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.findtext("a:updated", namespaces=ns) == "2024-05-01T10:00:00+00:00"
    rels = {link.get("rel"): link.get("href") for link in root.findall("a:link", ns)}
    assert rels == {
        "self": "https://x.org/feed.atom",
        "alternate": "https://x.org/",
        "hub": "https://hub.example/",
    }
    content = root.find("a:entry/a:content", ns)
    assert (
        content is not None
        and content.get("{http://www.w3.org/XML/1998/namespace}base") == "https://x.org/a.html"
    )
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert parsed.entries[0].title == "Fish & <chips>"
    assert parsed.entries[0].author_detail.href == "https://ana.example"


def test_rss_has_self_link_description_before_content_guid_and_dc_creator() -> None:
    data = document(FeedFormat.RSS)
    root = etree.fromstring(data)
    item = root.find("channel/item")
    assert item is not None
    names = [etree.QName(child).localname for child in item]
    assert names.index("description") < names.index("encoded")
    assert item.findtext("guid") == ENTRY.id
    assert item.find("guid").get("isPermaLink") == "false"  # type: ignore[union-attr]
    assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Ana"
    assert item.findtext("pubDate") == "Wed, 01 May 2024 10:00:00 +0000"
    assert (
        b"<item>" in data
        and b'xmlns:content="http://purl.org/rss/1.0/modules/content/" version' in data
    )
    links = root.findall("channel/{http://www.w3.org/2005/Atom}link")
    assert {(link.get("rel"), link.get("href")) for link in links} == {
        ("self", "https://x.org/feed.rss"),
        ("hub", "https://hub.example/"),
    }
    assert not feedparser.parse(data).bozo


def test_json_feed_is_valid_json_with_its_required_fields() -> None:
    feed = json.loads(document(FeedFormat.JSON))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "X" and feed["feed_url"] == "https://x.org/feed.json"
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]
    assert [i["url"] for i in feed["items"]] == ["https://x.org/a.html", "https://x.org/b.html"]
    assert feed["items"][0]["date_published"] == "2024-05-01T10:00:00+00:00"
    assert feed["items"][0]["language"] == "en"


def test_an_entry_whose_summary_is_its_content_carries_no_summary() -> None:
    rendered = Rendered("<p>Only</p>", "<p>Only</p>", "Only")
    atom = serialise([(FeedFormat.ATOM, True)], ENTRY, rendered)[(FeedFormat.ATOM, True)]
    assert b"<summary" not in atom and b"<content" in atom


_AWKWARD = st.lists(
    st.sampled_from([*"ab &<>\"'\r\n\t\u00e9\u2028\x85\x7f\x01", "&amp;", "</b>"]), max_size=8
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    title=_AWKWARD,
    description=_AWKWARD,
    author=_AWKWARD,
    url=_AWKWARD,
    language=st.none() | _AWKWARD,
    icon=st.none() | _AWKWARD,
    logo=st.none() | _AWKWARD,
    hubs=st.lists(_AWKWARD, max_size=2),
    hour=st.integers(0, 23),
)
def test_heads_written_directly_are_feedgens(
    title: str,
    description: str,
    author: str,
    url: str,
    language: str | None,
    icon: str | None,
    logo: str | None,
    hubs: list[str],
    hour: int,
) -> None:
    """The heads written without feedgen have the bytes feedgen gives, for any values it takes."""
    for fmt in (FeedFormat.ATOM, FeedFormat.RSS):
        output = FeedOutput(fmt, "feed", "https://x.org/" + url)
        spec = FeedSpec(FeedKind.TAG, "t", title, description, url, (output,), 20, 10**6, True)
        moment = datetime(2024, 5, 1, hour, 7, 9, tzinfo=timezone(timedelta(hours=hour - 12)))
        feed_head = FeedHead(
            spec, "tag:" + title, moment, author, language, tuple(hubs), icon, logo
        )
        if not documents._writable(feed_head, output):
            continue
        if fmt is FeedFormat.ATOM:
            assert documents._plain_atom_head(feed_head, output) == documents._feedgen_atom(
                feed_head, output
            )
        else:
            assert documents._plain_rss_head(feed_head, output) == documents._feedgen_rss(
                feed_head, output
            )
