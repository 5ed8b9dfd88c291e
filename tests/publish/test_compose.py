"""Social posts composed per network: templates, fitting to the limit, spans; and, for any
post, a text within the limit by the network's own counting (independent implementations)
with its link, hashtags and mentions intact."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest
import pyuegc  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet  # type: ignore[import-untyped]

from syndicate.accounts import AccountSettings
from syndicate.errors import RejectedError
from syndicate.model import Author, Post, PostOverrides, Tag
from syndicate.publish.base import Message
from syndicate.publish.compose import compose, shorten_link, utf8_span
from syndicate.publish.counting import count
from syndicate.publish.hashtags import hashtags_for
from syndicate.publish.network import describe
from syndicate.sections import parse

URL = "https://blog.example.org/2024/05/upgrading-the-rdo-cloud-to-openstack-queens.html"
JANE = Author(
    "jane",
    "Jane Doe",
    twitter="@janedoe",
    mastodon="jane@fosstodon.org",
    bluesky="jane.bsky.social",
)
LONG_SUMMARY = "We moved the whole RDO cloud to Queens in one weekend, and nothing broke. " * 12


def _post(
    title: str = "Upgrading the RDO cloud to Queens",
    tags: tuple[str, ...] = ("OpenStack Summit", "rdo"),
    authors: tuple[Author, ...] = (JANE,),
    url: str = URL,
    text: str | None = None,
) -> Post:
    return Post(
        source="blog/a.md",
        slug="a",
        title=title,
        date=datetime(2024, 5, 1, tzinfo=UTC),
        permalink=url,
        authors=authors,
        tags=tuple(Tag(name.lower().replace(" ", "-"), name) for name in tags),
        image="https://blog.example.org/lead.png",
        language="en",
        overrides=PostOverrides(text=text),
    )


def _account(network: str, **settings: object) -> AccountSettings:
    server = "https://fosstodon.org" if network in ("mastodon", "matrix") else None
    room = "!room:example.org" if network == "matrix" else None
    fields = {"name": network, "network": network, "server": server, "room": room, **settings}
    return parse(AccountSettings, fields)


def _compose(
    network: str, post: Post | None = None, summary: str = "", **settings: object
) -> Message:
    return compose(post or _post(), summary, _account(network, **settings), describe(network).rules)


def _spanned(message: Message) -> list[tuple[str, str, str]]:
    return [(s.kind, message.text[s.start : s.end], s.target) for s in message.spans]


def test_x_post_with_everything_that_fits() -> None:
    message = _compose("x", summary="We moved to Queens.", hashtags=["RDOCommunity"])
    assert message.text == (
        "Upgrading the RDO cloud to Queens\n\nWe moved to Queens.\n\n"
        f"{URL}\n\n#RDOCommunity #OpenStackSummit #rdo"
    )
    assert (
        message.length == count(message.text, describe("x").rules) == 33 + 2 + 19 + 2 + 23 + 2 + 35
    )
    assert message.limit == 280
    assert _spanned(message) == [
        ("link", URL, URL),
        ("tag", "#RDOCommunity", "RDOCommunity"),
        ("tag", "#OpenStackSummit", "OpenStackSummit"),
        ("tag", "#rdo", "rdo"),
    ]
    assert (message.url, message.title, message.description) == (
        URL,
        "Upgrading the RDO cloud to Queens",
        "We moved to Queens.",
    )
    assert (message.image, message.language) == ("https://blog.example.org/lead.png", "en")


def test_the_summary_is_shortened_first_at_a_word_boundary() -> None:
    message = _compose("x", summary=LONG_SUMMARY)
    title, summary, url, tags = message.text.split("\n\n")
    assert title == "Upgrading the RDO cloud to Queens"
    assert summary.endswith("…")
    assert LONG_SUMMARY.startswith(summary.removesuffix("…"))
    assert LONG_SUMMARY[len(summary) - 1] == " "  # the cut fell between words
    assert (url, tags) == (URL, "#OpenStackSummit #rdo")
    assert message.length <= 280


def test_the_title_gives_way_before_hashtags_then_hashtags_from_the_end() -> None:
    title = " ".join(["Queens"] * 60)
    message = _compose("x", _post(title=title), summary=LONG_SUMMARY)
    assert message.text.endswith("#OpenStackSummit #rdo")  # all hashtags kept
    assert message.text.startswith("Queens Queens") and "…" in message.text
    assert LONG_SUMMARY[:20] not in message.text  # the summary went entirely

    long_tags = tuple(f"Tag{'x' * 60}{n}" for n in "ABCDE")  # 64-character hashtags
    message = _compose("x", _post(title=title, tags=long_tags), max_hashtags=5)
    kept = [target for kind, _, target in _spanned(message) if kind == "tag"]
    assert kept == [to.replace(" ", "") for to in long_tags[: len(kept)]]
    assert 0 < len(kept) < 5
    assert message.text.startswith("Queens Queens Queens Queens")  # four words, at least


def test_bluesky_shows_the_link_short_and_links_it_in_full() -> None:
    message = _compose("bluesky", summary=LONG_SUMMARY)
    shown = "blog.example.org/2024/05/upgrading…"
    assert shorten_link(URL) == shown and len(shown) <= 35
    assert ("link", shown, URL) in _spanned(message)
    assert URL not in message.text
    encoded = message.text.encode("utf-8")
    for span in message.spans:
        start, end = utf8_span(message.text, span)
        assert encoded[start:end].decode("utf-8") == message.text[span.start : span.end]
    assert len(pyuegc.EGC(message.text)) == message.length <= 300


def test_short_links_keep_their_host_whole() -> None:
    assert shorten_link("https://example.org/") == "example.org"
    assert shorten_link("http://www.example.org/a?b=1") == "example.org/a?b=1"
    host = "a-very-long-subdomain-name.blog.example.org"
    assert shorten_link(f"https://{host}/2024/05/post") == f"{host}/…"


def test_utf8_span_counts_bytes() -> None:
    text = "Über 🙂 #tag"
    message = Message(text=text, url="", title="", description="")
    from syndicate.publish.base import Span

    assert utf8_span(text, Span(7, 11, "tag", "tag")) == (11, 15)
    assert message.text.encode()[11:15] == b"#tag"


@pytest.mark.parametrize(
    ("network", "mention"),
    [("x", "@janedoe"), ("mastodon", "@jane@fosstodon.org"), ("bluesky", "@jane.bsky.social")],
)
def test_authors_are_mentioned_as_each_network_does(network: str, mention: str) -> None:
    message = _compose(network, template="{title} {byline} {url}")
    assert f"Queens by {mention} " in message.text
    assert ("mention", mention, mention.removeprefix("@")) in _spanned(message)


def test_without_a_handle_the_byline_names_the_author() -> None:
    nameless = Author("bob", "Bob Smith")
    post = _post(authors=(nameless, JANE))
    message = _compose("x", post, template="{title} {byline} {url}")
    assert "Queens by Bob Smith, @janedoe https" in message.text
    message = _compose("slack", post, template="{title} {byline} ({author_handle}) {url}")
    assert "Queens by Bob Smith, Jane Doe () https" in message.text


def test_no_author_leaves_no_dangling_byline() -> None:
    message = _compose("x", _post(authors=()), template="{title} {byline}\n{author_handle}\n{url}")
    assert message.text == f"Upgrading the RDO cloud to Queens\n{URL}"


def test_empty_placeholders_leave_no_blank_lines() -> None:
    message = _compose("mastodon", _post(tags=()))
    assert message.text == f"Upgrading the RDO cloud to Queens\n\n{URL}"


def test_chat_networks_use_their_template_and_no_hashtags() -> None:
    message = _compose("discord", summary="Short.")
    assert message.text == f"Upgrading the RDO cloud to Queens\n{URL}\n\nShort."
    assert message.limit == 2000


def test_a_post_can_bring_its_own_text() -> None:
    post = _post(text="New: {title} {url} {hashtags}")
    message = _compose("x", post)
    assert message.text == f"New: Upgrading the RDO cloud to Queens {URL} #OpenStackSummit #rdo"


def test_a_post_whose_own_text_is_too_long_is_refused() -> None:
    post = _post(text="Read this! " * 40 + "{url}")
    with pytest.raises(RejectedError, match="own text"):
        _compose("x", post)


def test_a_template_too_long_for_anything_falls_back_to_the_link() -> None:
    message = _compose("x", template="Read this! " * 40 + "{url}")
    assert message.text == URL


def test_a_link_that_cannot_fit_is_refused() -> None:
    with pytest.raises(RejectedError, match="bare link"):
        _compose("discord", _post(url="https://example.org/" + "a" * 2000))


def test_an_unknown_placeholder_is_refused_when_the_config_is_read() -> None:
    with pytest.raises(ValueError, match=r"unknown placeholder \{link\}"):
        _compose("x", template="{title} {link}")


def test_an_unknown_placeholder_in_a_posts_own_text_is_refused() -> None:
    with pytest.raises(RejectedError, match="unknown placeholder"):
        _compose("x", _post(text="{title} {link}"))


def test_links_written_in_the_summary_are_spans_too() -> None:
    message = _compose("bluesky", summary="See https://docs.example.org/q for details.")
    assert ("link", "https://docs.example.org/q", "https://docs.example.org/q") in _spanned(message)


# Titles and summaries for the X property: twitter-text-parser is the judge, so leave out what
# it counts differently from X (bare ©/®, see test_counting) and sequences newer than its emoji
# list (modifiers, selectors, joiners, regional indicators: counted by X's newer list).
_X_UNSURE = (
    "©®\u200d\ufe0f\u20e3"
    + "".join(map(chr, range(0x1F1E6, 0x1F200)))
    + "".join(map(chr, range(0x1F3FB, 0x1F400)))
)
_letters = st.characters(codec="utf-8", exclude_categories=("Cs", "Co", "Cn"))
_x_letters = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Co", "Cn"), exclude_characters=_X_UNSURE
)
_urls = st.builds(
    "https://{}.{}/{}".format,
    st.from_regex(r"[a-z][a-z0-9\-]{0,30}[a-z0-9]", fullmatch=True),
    st.sampled_from(["org", "com", "net", "io", "dev"]),
    st.from_regex(r"([a-z0-9\-]{1,20}/){0,5}[a-z0-9\-]{1,40}(\.html)?", fullmatch=True),
)
_tag_names = st.lists(st.text(_letters, min_size=1, max_size=30), max_size=6)
_handles = st.builds(Author, st.just("a"), st.text(_letters, max_size=20)) | st.just(JANE)
PROPERTY = settings(max_examples=60, deadline=None)


def _post_from(data: st.DataObject, letters: st.SearchStrategy[str]) -> tuple[Post, str]:
    title = data.draw(st.text(letters, max_size=300))
    summary = data.draw(st.text(letters, max_size=1500))
    post = _post(
        title=title,
        tags=tuple(data.draw(_tag_names)),
        authors=tuple(data.draw(st.lists(_handles, max_size=2))),
        url=data.draw(_urls),
    )
    return post, summary


def _template(data: st.DataObject) -> str | None:
    return data.draw(st.sampled_from([None, "{title} {byline} {url} {summary} {hashtags}"]))


def _check_spans(message: Message, post: Post, account: AccountSettings, shown: str) -> None:
    """The link, every hashtag and mention: whole, where the spans say."""
    tags = hashtags_for(post.tags, account)
    kinds = [span.kind for span in message.spans]
    assert kinds.count("link") >= 1
    for span in message.spans:
        written = message.text[span.start : span.end]
        if span.kind == "link" and span.target == post.permalink:
            assert written == shown
        elif span.kind == "tag":
            assert written == f"#{span.target}" and span.target in tags
        elif span.kind == "mention":
            assert written == f"@{span.target}"
        else:
            assert written == span.target  # a link written in the title or summary


@PROPERTY
@given(st.data())
def test_x_posts_fit_by_twitter_text(data: st.DataObject) -> None:
    post, summary = _post_from(data, _x_letters)
    account = _account("x", template=_template(data), hashtags=["RDOCommunity"])
    message = compose(post, summary, account, describe("x").rules)
    assert parse_tweet(message.text).weightedLength <= 280
    assert message.length <= 280
    _check_spans(message, post, account, post.permalink)


@PROPERTY
@given(st.data())
def test_mastodon_posts_fit_by_graphemes(data: st.DataObject) -> None:
    post, summary = _post_from(data, _letters)
    limit = data.draw(st.sampled_from([500, 150]))
    rules = msgspec.structs.replace(describe("mastodon").rules, limit=limit)
    account = _account("mastodon", template=_template(data))
    message = compose(post, summary, account, rules)
    # Mastodon's own rule: every URL counts 23, a mention its user part; the rest graphemes.
    countable = message.text.replace(post.permalink, "x" * 23).replace(
        "@jane@fosstodon.org", "@jane"
    )
    assert len(pyuegc.EGC(countable)) <= limit
    _check_spans(message, post, account, post.permalink)


@PROPERTY
@given(st.data())
def test_bluesky_posts_fit_by_graphemes_and_bytes(data: st.DataObject) -> None:
    post, summary = _post_from(data, _letters)
    account = _account("bluesky", template=_template(data))
    message = compose(post, summary, account, describe("bluesky").rules)
    assert len(pyuegc.EGC(message.text)) <= 300
    assert len(message.text.encode("utf-8")) <= 3000
    _check_spans(message, post, account, shorten_link(post.permalink))
    encoded = message.text.encode("utf-8")
    for span in message.spans:
        start, end = utf8_span(message.text, span)
        assert encoded[start:end].decode("utf-8") == message.text[span.start : span.end]
