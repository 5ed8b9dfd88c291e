"""Entries written directly have the bytes feedgen and lxml give them (see feeds/xmltext.py)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.feeds import entries, xmltext
from syndicate.model import Author, Entry, FeedFormat, Post, Rendered, Tag

# Mostly characters written as they are or escaped; now and then one that sends the entry
# through the tree (markup-like text, characters lxml refuses).
_AWKWARD = st.lists(
    st.sampled_from([*"abc &<>\"'\r\n\t\u00e9\u2028\x85\x7f" * 8, "\x01", "\ufffe", "</b>", "<b>"]),
    max_size=8,
).map("".join)
_MAYBE = st.none() | _AWKWARD


@settings(max_examples=1000, deadline=None)
@given(
    title=_AWKWARD,
    link=_AWKWARD,
    same_id=st.booleans(),
    people=st.lists(st.tuples(_AWKWARD, _MAYBE, _MAYBE), max_size=2),
    tags=st.lists(_AWKWARD, max_size=2),
    language=_MAYBE,
    site_author=_MAYBE,
    content=_AWKWARD,
    summary=_AWKWARD,
    hour=st.integers(0, 23),
    full=st.booleans(),
)
def test_entries_written_directly_are_feedgens(
    title: str,
    link: str,
    same_id: bool,
    people: list[tuple[str, str | None, str | None]],
    tags: list[str],
    language: str | None,
    site_author: str | None,
    content: str,
    summary: str,
    hour: int,
    full: bool,
) -> None:
    moment = datetime(2024, 5, 1, hour, 7, 9, tzinfo=timezone(timedelta(hours=hour - 12)))
    post = Post(
        source="a.md",
        slug="a",
        title=title,
        date=moment,
        permalink="https://x.org/" + link,
        authors=tuple(Author(f"k{i}", n, uri=u, email=e) for i, (n, u, e) in enumerate(people)),
        tags=tuple(Tag(f"t{i}", name) for i, name in enumerate(tags)),
        language=language,
    )
    entry = Entry(post.permalink if same_id else "tag:x.org:" + link, post, moment + timedelta(1))
    rendered = Rendered(content, summary if summary != "a" else content, "text")
    if not entries._writable(entry, rendered, site_author):
        return
    fe = entries.feed_entry(entry, rendered, full=full)
    assert entries.plain_atom_entry(entry, rendered, full) == entries.atom_entry(
        fe, entry, rendered, full=full
    )
    fe = entries.feed_entry(entry, rendered, full=full)
    assert entries.plain_rss_item(entry, rendered, full, site_author) == entries.rss_item(
        fe, entry, site_author
    )
    both = entries.serialise([(FeedFormat.ATOM, full), (FeedFormat.RSS, full)], entry, rendered)
    assert set(both) == {(FeedFormat.ATOM, full), (FeedFormat.RSS, full)}


@settings(max_examples=500)
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=60) | _AWKWARD)
def test_writable_refuses_exactly_what_lxml_refuses(value: str) -> None:
    """The ASCII quick path and the expression agree (the expression is lxml's rule)."""
    refused = re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", value)
    assert xmltext.writable(value) == (refused is None)
    assert xmltext.writable(value.encode("ascii", "ignore").decode()) == (
        re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", value.encode("ascii", "ignore").decode()) is None
    )


@settings(max_examples=500)
@given(
    text=st.text(st.characters(codec="utf-8"), max_size=40) | _AWKWARD,
    tags=st.lists(_AWKWARD, max_size=2),
)
def test_json_items_are_what_json_dumps_writes(text: str, tags: list[str]) -> None:
    """msgspec writes the items; their bytes are the standard library's (as before it)."""
    moment = datetime(2024, 5, 1, 7, tzinfo=UTC)
    post = Post(
        source="a.md",
        slug="a",
        title=text or "t",
        date=moment,
        permalink="https://x.org/" + text,
        authors=(Author("k", text or "n", uri="https://x.org/" + text),),
        tags=tuple(Tag(f"t{i}", name) for i, name in enumerate(tags) if name),
        language=text or None,
        image="https://x.org/i.png",
    )
    entry = Entry("tag:x.org:" + text, post, moment)
    rendered = Rendered(text, text, text)
    for full in (True, False):
        item = entries.json_item(entry, rendered, full=full)
        expected = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        assert entries.json_item_bytes(entry, rendered, full=full) == expected
