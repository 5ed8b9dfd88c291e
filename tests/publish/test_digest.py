"""The blog round-up: the period's posts (local and planet entries) from a real build, written
as a draft post in the RDO style, read back by the project's own loader and renderer."""

from __future__ import annotations

import json
import re
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from syndicate.clock import FixedClock
from syndicate.config import Settings, parse_settings
from syndicate.content.blog import open_blog
from syndicate.content.layouts import LAYOUTS
from syndicate.errors import DraftExistsError
from syndicate.model import Visibility
from syndicate.pipeline.opening import open_builder
from syndicate.pipeline.remote_entries import RemoteBatch, source_prefix
from syndicate.publish.digest import escape_markdown, make_digest, period_words, trim, write_digest
from syndicate.watch.poll import Normaliser
from tests.conftest import NOW, Blog, build

TRICKY = 'Stars *and* [brackets], <news>, "quotes" & ~~日本語~~ | café_au_lait'
LATER = NOW + timedelta(days=1)
FEED_URL = "https://planet.example.net/member/feed.atom"


def planet(*entries: tuple[str, str, str]) -> str:
    items = "".join(
        f"""<entry><id>{ident}</id><title>{title}</title><published>{day}</published>
        <updated>{day}</updated><link href="/posts/{ident[-1]}.html"/>
        <author><name>Rui Member</name></author>
        <content type="html">&lt;p&gt;All about {title}.&lt;/p&gt;</content></entry>"""
        for ident, title, day in entries
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>Member</title>
    <link href="https://planet.example.net/member/"/><id>urn:member</id>
    <updated>2024-05-30T00:00:00Z</updated>{items}</feed>"""


def poll(settings: Settings, clock: FixedClock, text: str, *, first: bool) -> RemoteBatch:
    source = settings.sources[0]
    parsed = feedparser.parse(text, response_headers={"content-location": FEED_URL})
    found = Normaliser().normalise(source, parsed, base_url=FEED_URL, now=clock.now())
    state = json.dumps({"url": source.url, "polls": 1})
    return RemoteBatch(source.name, source_prefix(source.name), found.posts, state, first)


def week_of_posts(blog: Blog, clock: FixedClock) -> Settings:
    """A blog installed on NOW (its posts then are seen, not announced); a day later, more."""
    blog.authors({"ada": {"name": "Ada Lovelace"}, "bob": {"name": "Bob O'Neil"}})
    blog.post("2024-01-10-old.html.md", {"title": "Old news", "author": "ada"})
    blog.post(
        "2024-05-29-before-install.html.md",
        {"title": "Written before install", "author": "ada", "date": "2024-05-29 09:00 UTC"},
        "First paragraph of the early post.\n\nSecond paragraph.",
    )
    settings = blog.settings(f"""
        [site]
        author = "rbowen"
        [[sources]]
        name = "Member blog"
        url = "{FEED_URL}"
    """)
    old = ("urn:entry:1", "Planet archive", "2024-04-01T10:00:00Z")
    with open_builder(settings, clock=clock) as builder:
        builder.build(remote=[poll(settings, clock, planet(old), first=True)])
        clock.set(LATER)
        blog.post(
            "2024-05-01-merged-late.html.md",
            {"title": TRICKY, "authors": ["ada", "bob"]},
            "Lead *paragraph* with [a link](https://example.org/) & more.\n\n- Not quoted.",
        )
        blog.post("2024-06-01-a-draft.html.md", {"title": "A draft", "draft": True})
        blog.post("2024-06-01-last-roundup.html.md", {"title": "Blog round-up", "tags": "roundup"})
        blog.post("2024-06-30-future.html.md", {"title": "Future post"})
        new = ("urn:entry:2", "Fresh planet news", "2024-05-31T10:00:00Z")
        builder.build(remote=[poll(settings, clock, planet(new, old), first=False)])
    return settings


def test_the_round_up_lists_the_weeks_posts_in_the_rdo_style(blog: Blog, clock: FixedClock) -> None:
    settings = week_of_posts(blog, clock)
    path, digest = make_digest(settings, clock, LATER - timedelta(days=7))
    assert path == blog.posts / "2024-06-02-blog-round-up.html.md"
    assert digest.count == 3
    text = path.read_text("utf-8")
    body = text.split("---\n", 2)[2]
    escaped = escape_markdown(TRICKY)
    assert body.strip().split("\n\n\n") == [
        "Here's what the community has been writing about (May 26 \u2013 June 2, 2024):",
        "**Written before install** by Ada Lovelace\n\n"
        "> First paragraph of the early post.\n\n"
        "Read more at [https://blog.example.org/blog/2024/05/before-install.html]"
        "(https://blog.example.org/blog/2024/05/before-install.html)",
        f"**{escaped}** by Ada Lovelace and Bob O'Neil\n\n"
        "> Lead paragraph with a link & more.\n\n"
        "Read more at [https://blog.example.org/blog/2024/05/merged-late.html]"
        "(https://blog.example.org/blog/2024/05/merged-late.html)",
        "**Fresh planet news** by Rui Member\n\n"
        "> All about Fresh planet news.\n\n"
        "Read more at [https://planet.example.net/posts/2.html]"
        "(https://planet.example.net/posts/2.html)",
    ]


def test_the_round_up_is_a_draft_the_blog_reads_back(blog: Blog, clock: FixedClock) -> None:
    settings = week_of_posts(blog, clock)
    path, _ = make_digest(settings, clock, LATER - timedelta(days=7))
    site = open_blog(settings.content_root, settings.content, settings.site.url)
    rel = path.relative_to(blog.root).as_posix()
    loaded = site.loader.load(rel, path.read_bytes())
    post = loaded.post
    assert post.title == "Blog round-up, May 26 \u2013 June 2, 2024"
    assert post.visibility is Visibility.UNPUBLISHED
    assert not post.is_public(LATER)
    assert post.date == LATER
    assert [t.slug for t in post.tags] == ["roundup"]
    assert [a.key for a in post.authors] == ["rbowen"]
    assert loaded.warnings == ()
    assert loaded.body is not None
    html = site.renderer.render(loaded.body, loaded.body_format, post.permalink).content_html
    assert "<em>" not in html and "<del>" not in html and "<ol" not in html
    assert 'Stars *and* [brackets], &lt;news&gt;, "quotes" &amp; ~~日本語~~ | café_au_lait' in html
    assert '<a href="https://planet.example.net/posts/2.html">' in html


def test_an_existing_round_up_is_never_overwritten(blog: Blog, clock: FixedClock) -> None:
    settings = week_of_posts(blog, clock)
    path, _ = make_digest(settings, clock, LATER - timedelta(days=7))
    path.write_text("edited by hand", "utf-8")
    with pytest.raises(DraftExistsError, match="already exists"):
        make_digest(settings, clock, LATER - timedelta(days=7))
    assert path.read_text("utf-8") == "edited by hand"


def test_the_author_can_be_named_and_planet_entries_left_out(blog: Blog, clock: FixedClock) -> None:
    settings = week_of_posts(blog, clock)
    since = LATER - timedelta(days=7)
    path, digest = make_digest(settings, clock, since, author="amoralej", remote=False)
    assert digest.count == 2
    assert "\nauthor: amoralej\n" in path.read_text("utf-8")
    assert "Fresh planet news" not in path.read_text("utf-8")


def test_an_empty_week_still_makes_a_draft(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-01-10-old.html.md", {"title": "Old news"})
    settings = blog.settings()
    build(settings, clock)
    _, digest = make_digest(settings, clock, NOW - timedelta(days=7))
    assert digest.count == 0
    assert "Nothing new was published" in digest.text


def test_a_hugo_blog_gets_a_draft_named_and_flagged_its_way(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "content" / "posts").mkdir(parents=True)
    (root / "hugo.toml").write_text('baseURL = "https://hugo.example.org/"\n', "utf-8")
    settings = parse_settings(
        textwrap.dedent(f"""
            [site]
            url = "https://hugo.example.org/"
            [content]
            root = "{root}"
        """),
        file="test.toml",
        base_dir=tmp_path,
    )
    site = open_blog(settings.content_root, settings.content, settings.site.url)
    digest = write_digest(
        [], {}, layout=site.layout, since=NOW - timedelta(days=7), until=NOW, now=NOW, zone=UTC
    )
    assert digest.path == "content/posts/blog-round-up-2024-06-01.md"
    assert "\ndraft: true\n" in digest.text and "\npublished:" not in digest.text
    post = site.loader.load(digest.path, digest.text.encode()).post
    assert post.visibility is Visibility.DRAFT
    assert post.slug == "blog-round-up-2024-06-01"


def test_the_file_takes_the_suffix_most_posts_use() -> None:
    digest = write_digest(
        [],
        {},
        layout=LAYOUTS["middleman"],
        since=NOW - timedelta(days=7),
        until=NOW,
        now=NOW,
        zone=UTC,
        existing=["source/blog/2024-01-01-a.md", "source/blog/2024-01-02-b.md", "x/c.html.md"],
    )
    assert digest.path == "source/blog/2024-06-01-blog-round-up.md"


@pytest.mark.parametrize(
    ("since", "until", "words"),
    [
        (datetime(2024, 6, 3), datetime(2024, 6, 10), "June 3\u20139, 2024"),
        (datetime(2024, 5, 25, 12), datetime(2024, 6, 1, 12), "May 25 \u2013 June 1, 2024"),
        (datetime(2023, 12, 28), datetime(2024, 1, 4), "December 28, 2023 \u2013 January 3, 2024"),
        (datetime(2024, 6, 1), datetime(2024, 6, 1, 18), "June 1, 2024"),
    ],
)
def test_the_period_reads_as_dates(since: datetime, until: datetime, words: str) -> None:
    assert period_words(since.replace(tzinfo=UTC), until.replace(tzinfo=UTC), UTC) == words


def test_a_long_summary_is_cut_at_a_sentence_or_a_word() -> None:
    sentences = "First sentence is here. " * 40
    assert trim(sentences, 100) == "First sentence is here. " * 3 + "First sentence is here."
    words = "word " * 100
    cut = trim(words, 50)
    assert cut.endswith("word\u2026") and len(cut) <= 51
    assert trim("short", 50) == "short"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a *b* _c_", "a \\*b\\* \\_c\\_"),
        ("[x](y)", "\\[x\\](y)"),
        ("<script>", "\\<script\\>"),
        ("# not a heading", "\\# not a heading"),
        ("- not a list", "\\- not a list"),
        ("2024. A year", "2024\\. A year"),
        ("AT&T ~~gone~~", "AT&T &#126;&#126;gone&#126;&#126;"),
        ("&amp; &#42;", "&amp;amp; &amp;\\#42;"),
    ],
)
def test_markdown_escaping(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


ITEM = re.compile(r"\*\*[^\n]+\*\* by [^\n]+\n\n> [^\n]*\n\nRead more at \[(\S+)\]\((\S+)\)")


ROUND_UPS = (
    "2016-12-19-blog-posts-last-week.html.md",
    "2017-07-31-recent-blog-posts-from-the-community.html.md",
    "2017-09-19-recent-blog-posts.html.md",
)


def items_of(text: str) -> list[str]:
    return [b.strip() for b in text.split("\n\n\n") if b.startswith("**")]


def test_items_have_the_shape_of_the_rdo_round_ups(
    blog: Blog, clock: FixedClock, corpora: Path
) -> None:
    posts = corpora / "rdo" / "source" / "blog"
    theirs = [i for name in ROUND_UPS for i in items_of((posts / name).read_text("utf-8"))]
    settings = week_of_posts(blog, clock)
    _, digest = make_digest(settings, clock, LATER - timedelta(days=7))
    ours = items_of(digest.text)
    assert len(theirs) > 10 and len(ours) == 3
    for block in [*theirs, *ours]:
        match = ITEM.fullmatch(block)
        assert match is not None, block
        assert match[1] == match[2]
