"""Feed entries → posts: the pure half of remote sources, on real feed files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syndicate.content.authors import AuthorRegistry
from syndicate.content.loader import LoadedPost
from syndicate.content.render import Renderer
from syndicate.content.tags import TagResolver
from syndicate.errors import NotAFeedError
from syndicate.model import Author
from syndicate.store.codec import load_post
from syndicate.watch.normalise import (
    MAX_ENTRIES,
    Normalised,
    Normaliser,
    is_remote,
    normalise,
    source_key,
    source_prefix,
)
from syndicate.watch.parse import parse_feed
from tests.watch.conftest import NOW, feed_bytes, source

ATOM_URL = "https://feeds.example.net/blog/atom.xml"
RSS_URL = "https://rob.example.com/feed/"


def read(name: str, url: str, **settings: object) -> Normalised:
    return normalise(
        source(url, **settings), parse_feed(feed_bytes(name), url), base_url=url, now=NOW
    )


def by_title(result: Normalised) -> dict[str, LoadedPost]:
    return {loaded.post.title: loaded for loaded in result.posts}


# --- Atom --------------------------------------------------------------------------------------


def test_atom_entry_becomes_a_post_like_a_local_one() -> None:
    posts = by_title(read("atom.xml", ATOM_URL, tags=["planet"]))
    loaded = posts["yum tips & tricks"]  # the HTML title as text
    post = loaded.post
    assert post.source == source_key("Example Blog", "tag:blog.example.net,2024:post-1")
    assert post.source.startswith("sources/example-blog/")
    assert is_remote(post.source)
    assert post.declared_id == "tag:blog.example.net,2024:post-1"
    assert post.permalink == "https://blog.example.net/2024/05/yum-tips.html"  # xml:base
    assert post.slug == "yum-tips"
    assert post.date == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert post.declared_updated == datetime(2024, 5, 3, 6, 30, tzinfo=UTC)
    assert post.authors == (
        Author(
            key="alice-example",
            name="Alice Example",
            uri="https://alice.example.net/",
            email="alice@example.net",
        ),
    )
    # Blogger's schema category is not a tag; the label wins over the term; source tags last.
    assert [(t.slug, t.name) for t in post.tags] == [
        ("rdo", "RDO"),
        ("packaging", "Packaging"),
        ("planet", "planet"),
    ]
    assert post.summary == "How to make yum go faster."
    assert post.language == "en"
    assert loaded.body_format == "html"
    assert loaded.body is not None
    assert 'href="https://blog.example.net/2024/04/older.html"' in loaded.body
    assert "<iframe" in loaded.body  # left for the renderer, which makes embeds links
    assert loaded.warnings == ()


def test_atom_text_title_updated_only_xhtml_content_and_feed_author() -> None:
    posts = by_title(read("atom.xml", ATOM_URL))
    loaded = posts["Why a < b"]
    post = loaded.post
    assert post.date == datetime(2024, 5, 10, 12, 0, tzinfo=UTC)  # `updated`, for want of more
    assert post.declared_updated is None
    assert [a.name for a in post.authors] == ["The Example Team"]  # the feed's author
    assert post.summary is None  # feedparser's copy of the content is not a summary
    assert loaded.body is not None
    assert "<em>it is</em>" in loaded.body
    assert 'src="https://blog.example.net/images/b.png"' in loaded.body


def test_source_author_comes_before_the_feeds() -> None:
    posts = by_title(read("atom.xml", ATOM_URL, author="Ops Team"))
    assert [a.name for a in posts["Why a < b"].post.authors] == ["Ops Team"]
    assert [a.name for a in posts["yum tips & tricks"].post.authors] == ["Alice Example"]


def test_duplicate_ids_keep_the_first() -> None:
    titles = [loaded.post.title for loaded in read("atom.xml", ATOM_URL).posts]
    assert titles == ["yum tips & tricks", "Why a < b", "Only a summary", "Episode 7"]


def test_summary_alone_is_the_body() -> None:
    loaded = by_title(read("atom.xml", ATOM_URL))["Only a summary"]
    assert loaded.body == "<p>Just <strong>this</strong>.</p>"
    assert loaded.post.summary is None
    assert loaded.post.date == datetime(2024, 5, 12, 11, 0, tzinfo=UTC)


def test_enclosures_image_as_lead_image_audio_as_a_link() -> None:
    loaded = by_title(read("atom.xml", ATOM_URL))["Episode 7"]
    assert loaded.post.image == "https://blog.example.net/podcast/7.png"  # xml:base
    assert loaded.body is not None
    assert loaded.body.startswith("<p>This week's show.</p>")
    assert (
        '<p><a href="https://blog.example.net/podcast/7.mp3">7.mp3 (audio/mpeg, 24.5 MB)</a></p>'
        in loaded.body
    )


# --- RSS ---------------------------------------------------------------------------------------


def test_rss_item_with_content_description_and_creator() -> None:
    posts = by_title(read("rss.xml", RSS_URL))
    loaded = posts["Tom & Jerry revisited"]
    post = loaded.post
    assert post.declared_id == "https://rob.example.com/?p=123"
    assert post.permalink == "https://rob.example.com/2024/05/tom-and-jerry/"
    assert post.slug == "tom-and-jerry"
    assert post.date == datetime(2024, 5, 1, 15, 0, tzinfo=UTC)
    assert [a.name for a in post.authors] == ["Rob Writer"]
    assert [t.name for t in post.tags] == ["Cartoons", "OpenStack"]
    assert post.summary == "A look back at a classic […]"
    assert post.language == "en-US"
    assert loaded.body is not None
    assert 'href="https://rob.example.com/tag/classic/"' in loaded.body
    assert "https://rob.example.com/media/episode.mp3" in loaded.body  # relative enclosure


def test_rss_item_without_guid_or_date() -> None:
    loaded = by_title(read("rss.xml", RSS_URL))["Undated thoughts"]
    post = loaded.post
    assert post.declared_id == "https://rob.example.com/undated/"  # its link stands for its id
    assert post.source == source_key("Example Blog", "https://rob.example.com/undated/")
    assert post.authors == (Author(key="bob-smith", name="Bob Smith", email="bob@example.org"),)
    # Undated: seen now; one second earlier per place down the feed, keeping the feed's order.
    assert post.date == NOW - timedelta(seconds=1)
    assert "no date in the feed: dated when first seen" in loaded.warnings


def test_undated_entry_keeps_the_date_it_was_first_seen() -> None:
    src = source(RSS_URL)
    feed = parse_feed(feed_bytes("rss.xml"), RSS_URL)
    first = by_title(normalise(src, feed, base_url=RSS_URL, now=NOW))["Undated thoughts"]
    later = NOW + timedelta(days=3)
    known = {first.post.source: first.post.date}
    again = by_title(normalise(src, feed, base_url=RSS_URL, now=later, known_dates=known))
    assert again["Undated thoughts"].post.date == first.post.date
    assert again["Undated thoughts"].source_hash == first.source_hash  # nothing changed
    assert again["Undated thoughts"].warnings == ()  # said once, when first seen


def test_untitled_item_and_guid_permalink() -> None:
    posts = read("rss.xml", RSS_URL).posts
    untitled = next(p for p in posts if p.post.declared_id == "status-991")
    assert untitled.post.title.startswith("Just a short status update")
    assert untitled.post.title.endswith("…")
    assert len(untitled.post.title) <= 80
    assert "no title: its first words stand in" in untitled.warnings
    assert untitled.post.permalink == "https://rob.example.com/"  # no link: the blog's page
    guid = next(p for p in posts if p.post.title == "Permalink guid")
    assert guid.post.permalink == "https://rob.example.com/2024/05/guid/"


# --- JSON Feed ---------------------------------------------------------------------------------


def test_json_feed() -> None:
    url = "https://json.example.org/feed.json"
    posts = by_title(read("feed.json", url))
    hello = posts["Bonjour"].post
    assert hello.date == datetime(2024, 5, 5, 8, 0, tzinfo=UTC)
    assert hello.declared_updated == datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
    assert [t.name for t in hello.tags] == ["Salut", "rdo"]
    assert [a.name for a in hello.authors] == ["Jeanne"]
    assert hello.summary == "Une salutation."
    assert hello.image == "https://json.example.org/img.jpg"
    assert hello.language == "fr"
    assert "a.ogg" in (posts["Bonjour"].body or "")
    text = next(p for p in posts.values() if p.post.declared_id == "2")
    assert text.body == "<p>Du texte.</p><p>En deux paragraphes &amp; un &lt;signe&gt;.</p>"
    assert [a.name for a in text.post.authors] == ["Paul"]


# --- what the build relies on ------------------------------------------------------------------


def test_hashes_and_stored_json() -> None:
    for name, url in (("atom.xml", ATOM_URL), ("rss.xml", RSS_URL)):
        for loaded in read(name, url).posts:
            assert loaded.post_json is not None
            assert load_post(loaded.post_json) == loaded.post
            assert loaded.post.date.tzinfo is not None


def test_same_bytes_same_posts_and_edits_change_the_right_hashes() -> None:
    first = by_title(read("atom.xml", ATOM_URL))
    assert by_title(read("atom.xml", ATOM_URL)) == first
    edited = feed_bytes("atom.xml").replace(b"the older post", b"the previous post")
    src = source(ATOM_URL)
    second = by_title(normalise(src, parse_feed(edited, ATOM_URL), base_url=ATOM_URL, now=NOW))
    name = "yum tips & tricks"
    assert second[name].content_hash != first[name].content_hash
    assert second[name].source_hash != first[name].source_hash
    retagged = feed_bytes("atom.xml").replace(b'term="Packaging"', b'term="Builds"')
    third = by_title(normalise(src, parse_feed(retagged, ATOM_URL), base_url=ATOM_URL, now=NOW))
    assert third[name].content_hash == first[name].content_hash  # the text did not change
    assert third[name].source_hash != first[name].source_hash  # the post did


def test_renderer_takes_a_normalised_body() -> None:
    loaded = by_title(read("atom.xml", ATOM_URL))["yum tips & tricks"]
    assert loaded.body is not None
    rendered = Renderer(site_url="https://planet.example.org/").render(
        loaded.body, loaded.body_format, loaded.post.permalink, loaded.post.summary
    )
    assert "<iframe" not in rendered.content_html
    assert "https://blog.example.net/2024/04/older.html" in rendered.content_html
    assert rendered.summary_text == "How to make yum go faster."


def test_tag_aliases_and_registry_authors_apply() -> None:
    registry = AuthorRegistry(
        [Author(key="alice", name="Alice Example", mastodon="@alice@example.social")]
    )
    normaliser = Normaliser(tags=TagResolver({"Packaging": "packages"}), authors=registry)
    feed = parse_feed(feed_bytes("atom.xml"), ATOM_URL)
    result = normaliser.normalise(source(ATOM_URL), feed, base_url=ATOM_URL, now=NOW)
    post = by_title(result)["yum tips & tricks"].post
    assert [t.slug for t in post.tags] == ["rdo", "packages"]
    assert post.authors[0].key == "alice"
    assert post.authors[0].mastodon == "@alice@example.social"


def test_source_prefix_is_a_slug() -> None:
    assert source_prefix("Pádraig Brady") == "sources/padraig-brady/"
    assert source_prefix("!!!").startswith("sources/")
    assert source_prefix("!!!") != "sources//"


# --- real-world trouble ------------------------------------------------------------------------


T_URL = "https://t.example/feed"
PUB = "<pubDate>Thu, 02 May 2024 08:00:00 GMT</pubDate>"


def _rss(items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://t.example/</link>{items}</channel></rss>"
    ).encode()


def read_rss(data: bytes | str, headers: dict[str, str] | None = None) -> Normalised:
    """Entries of a small RSS feed, or of `data` if it is bytes already."""
    body = _rss(data) if isinstance(data, str) else data
    return normalise(source(T_URL), parse_feed(body, T_URL, headers), base_url=T_URL, now=NOW)


def test_huge_feed_takes_the_newest() -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    items = "".join(  # oldest first, as some archive feeds are
        f"<item><title>Post {n}</title><guid>id-{n}</guid>"
        f"<pubDate>{(start + timedelta(days=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        "</item>"
        for n in range(MAX_ENTRIES + 50)
    )
    result = read_rss(items)
    assert len(result.posts) == MAX_ENTRIES
    assert {p.post.title for p in result.posts} == {f"Post {n}" for n in range(50, 250)}
    assert any("only the 200 newest" in w for w in result.warnings)


def test_entries_with_nothing_to_know_them_by_are_skipped() -> None:
    result = read_rss(f"<item>{PUB}</item>")
    assert result.posts == ()
    assert result.warnings == ("1 entries with no id, link, title or text were skipped",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Thu, 02 May 2024 08:00:00 GMT", datetime(2024, 5, 2, 8, 0, tzinfo=UTC)),
        ("2024-05-02 10:00:00 +0200", datetime(2024, 5, 2, 8, 0, tzinfo=UTC)),
        ("Thursday, May 2nd 2024, 8:00", datetime(2024, 5, 2, 8, 0, tzinfo=UTC)),
        ("sometime in May", None),
        ("May 2024", None),  # no day: reading it would take today's
    ],
)
def test_dates_as_feeds_write_them(raw: str, expected: datetime | None) -> None:
    (loaded,) = read_rss(
        f"<item><title>A</title><guid>a</guid><pubDate>{raw}</pubDate></item>"
    ).posts
    assert loaded.post.date == (expected or NOW)


def test_javascript_links_and_odd_ids() -> None:
    (loaded,) = read_rss(
        "<item><title>A</title><guid isPermaLink='false'>  spaced id  </guid>"
        f"<link>javascript:alert(1)</link>{PUB}</item>"
    ).posts
    assert loaded.post.declared_id == "spaced id"
    assert loaded.post.permalink == "https://t.example/"


def test_future_dates_are_kept_with_a_warning() -> None:
    future = "<pubDate>Thu, 01 Jan 2099 00:00:00 GMT</pubDate>"
    (loaded,) = read_rss(f"<item><title>A</title><guid>a</guid>{future}</item>").posts
    assert loaded.post.date.year == 2099
    assert not loaded.post.is_public(NOW)
    assert any("future" in w for w in loaded.warnings)


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"\x00\xff\xfe garbage \x80", b"<html><body><p>Moved.</p></body></html>"],
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(NotAFeedError):
        parse_feed(body, T_URL, {"content-type": "text/html"})


def test_truncated_feed_is_read_as_far_as_it_goes() -> None:
    data = _rss("<item><title>A</title><guid>a</guid></item>")[: -len("</channel></rss>")]
    assert parse_feed(data, T_URL)["bozo"]
    assert [p.post.title for p in read_rss(data).posts] == ["A"]


def test_encoding_from_the_headers() -> None:
    data = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>Café</title><guid>c</guid></item></channel></rss>"
    ).encode("latin-1")
    result = read_rss(data, {"Content-Type": "text/xml; charset=iso-8859-1"})
    assert [p.post.title for p in result.posts] == ["Café"]


def test_an_entry_without_id_whose_link_cannot_be_encoded() -> None:
    """IDNA refuses a 70-letter label: that entry is still known by its link as written, and
    the others are read (it once failed the whole feed)."""
    odd = "http://" + "ä" * 70 + ".example/post"
    result = read_rss(
        f"<item><title>Odd</title><link>{odd}</link>{PUB}</item>"
        f"<item><title>Fine</title><guid isPermaLink='false'>fine</guid>{PUB}</item>"
    )
    posts = {p.post.title: p.post for p in result.posts}
    assert posts["Odd"].source == source_key("Example Blog", odd)
    assert posts["Odd"].permalink == "https://t.example/"  # no usable page: the blog's
    assert posts["Fine"].declared_id == "fine"


def test_json_feed_tags_must_be_a_list() -> None:
    doc = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
        b'{"id": "1", "title": "A", "tags": "news", "content_text": "x"},'
        b'{"id": "2", "title": "B", "tags": ["news", 7], "content_text": "y"}]}'
    )
    result = normalise(source(T_URL), parse_feed(doc, T_URL), base_url=T_URL, now=NOW)
    tags = {p.post.title: [t.name for t in p.post.tags] for p in result.posts}
    assert tags == {"A": [], "B": ["news"]}  # not n, e, w, s
