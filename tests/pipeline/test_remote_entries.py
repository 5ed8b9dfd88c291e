"""Entries of remote feeds in a build: stored beside local posts, announced once, listed in
this site's feeds only when the source says so, and kept across scans and cache losses."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feedparser
from msgspec.structs import replace

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.pipeline.opening import open_builder
from syndicate.pipeline.remote_entries import (
    RemoteBatch,
    batch_from_json,
    batch_to_json,
    merge,
    source_prefix,
)
from syndicate.sections import replace as changed
from syndicate.store.ledger import Ledger
from syndicate.watch.poll import Normaliser
from tests.conftest import Blog

FEED_URL = "https://planet.example.net/member/feed.atom"


def atom(*entries: tuple[str, str, str]) -> str:
    """An Atom feed of (id, title, published) entries, each with a relative link and image."""
    items = "".join(
        f"""<entry><id>{ident}</id><title>{title}</title><published>{day}</published>
        <updated>{day}</updated><link href="/posts/{ident[-1]}.html"/>
        <author><name>Rui Member</name></author><category term="OpenStack"/>
        <content type="html">&lt;p&gt;About {title}, with
        &lt;img src="pic.png" alt="a picture"&gt;&lt;/p&gt;</content></entry>"""
        for ident, title, day in entries
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>Member</title>
    <link href="https://planet.example.net/member/"/><id>urn:member</id>
    <updated>2024-05-30T00:00:00Z</updated>{items}</feed>"""


OLD = ("urn:entry:1", "Old news", "2024-04-01T10:00:00Z")
NEW = ("urn:entry:2", "Fresh news", "2024-05-31T10:00:00Z")


def settings_for(blog: Blog, *, include: bool = True) -> Settings:
    blog.post("2024-05-01-local.html.md", {"title": "Local post", "tags": "News"})
    return blog.settings(f"""
        [[sources]]
        name = "Member blog"
        url = "{FEED_URL}"
        include = {"true" if include else "false"}
    """)


def batch(settings: Settings, clock: FixedClock, text: str, *, first: bool) -> RemoteBatch:
    source = settings.sources[0]
    parsed = feedparser.parse(text, response_headers={"content-location": FEED_URL})
    found = Normaliser().normalise(source, parsed, base_url=FEED_URL, now=clock.now())
    state = json.dumps({"url": source.url, "polls": 1})
    return RemoteBatch(source.name, source_prefix(source.name), found.posts, state, first)


def site_titles(blog: Blog) -> list[str]:
    parsed = feedparser.parse((blog.output / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return [entry.title for entry in parsed.entries]


def stored_events(settings: Settings) -> list[tuple[str, str]]:
    ledger = Ledger.open(settings.store_url)
    try:
        titles = {r.pk: r.post.title for r in ledger.records().values()}
        return [(e.kind, titles[e.post_pk]) for e in ledger.events()]
    finally:
        ledger.close()


def test_a_first_poll_is_recorded_as_seen_and_later_entries_are_announced(
    blog: Blog, clock: FixedClock
) -> None:
    settings = settings_for(blog)
    with open_builder(settings, clock=clock) as builder:
        builder.build()
        first = builder.build(remote=[batch(settings, clock, atom(OLD), first=True)])
        assert [c.kind.value for c in first.changes] == ["new"]
        assert first.events == []
        second = builder.build(remote=[batch(settings, clock, atom(NEW, OLD), first=False)])
    assert [(e.kind, e.entry_id) for e in second.events] == [("published", "urn:entry:2")]
    assert second.read == 1  # the entry seen before is not taken again
    assert stored_events(settings) == [("published", "Fresh news")]
    assert site_titles(blog) == ["Fresh news", "Local post", "Old news"]


def test_entries_keep_the_feeds_ids_and_get_absolute_links(blog: Blog, clock: FixedClock) -> None:
    settings = settings_for(blog)
    with open_builder(settings, clock=clock) as builder:
        builder.build(remote=[batch(settings, clock, atom(NEW), first=True)])
    parsed = feedparser.parse((blog.output / "feed.xml").read_bytes())
    entry = next(e for e in parsed.entries if e.title == "Fresh news")
    assert entry.id == "urn:entry:2"
    assert entry.link == "https://planet.example.net/posts/2.html"
    assert 'src="https://planet.example.net/member/pic.png"' in entry.content[0].value


def test_entries_of_a_source_not_included_are_announced_but_not_listed(
    blog: Blog, clock: FixedClock
) -> None:
    settings = settings_for(blog, include=False)
    with open_builder(settings, clock=clock) as builder:
        builder.build(remote=[batch(settings, clock, atom(OLD), first=True)])
        report = builder.build(remote=[batch(settings, clock, atom(NEW, OLD), first=False)])
    assert [e.entry_id for e in report.events] == ["urn:entry:2"]
    assert site_titles(blog) == ["Local post"]
    assert not (blog.output / "tag" / "openstack.xml").exists()


def test_full_scans_keep_entries_that_left_the_remote_feed(blog: Blog, clock: FixedClock) -> None:
    settings = settings_for(blog)
    with open_builder(settings, clock=clock) as builder:
        builder.build(remote=[batch(settings, clock, atom(OLD), first=True)])
        builder.build(remote=[batch(settings, clock, atom(NEW), first=False)])  # OLD dropped off
        rescan = builder.build()
    assert rescan.changes == []
    with open_builder(settings, clock=clock) as builder:
        assert builder.build(full=True).changes == []
    assert site_titles(blog) == ["Fresh news", "Local post", "Old news"]


def test_a_removed_source_withdraws_its_entries(blog: Blog, clock: FixedClock) -> None:
    settings = settings_for(blog)
    with open_builder(settings, clock=clock) as builder:
        builder.build()
        builder.build(remote=[batch(settings, clock, atom(NEW), first=False)])
    without = changed(settings, sources=())
    with open_builder(without, clock=clock) as builder:
        report = builder.build()
    assert [(c.kind.value, c.source.startswith("sources/")) for c in report.changes] == [
        ("deleted", True)
    ]
    assert stored_events(settings) == [("published", "Fresh news"), ("withdrawn", "Fresh news")]
    assert site_titles(blog) == ["Local post"]


def test_entries_are_rendered_again_from_the_ledger_when_the_cache_is_lost(
    blog: Blog, clock: FixedClock
) -> None:
    settings = settings_for(blog)
    with open_builder(settings, clock=clock) as builder:
        builder.build(remote=[batch(settings, clock, atom(NEW, OLD), first=True)])
    before = (blog.output / "feed.xml").read_bytes()
    settings.cache_path.unlink()
    with open_builder(settings, clock=clock) as builder:
        report = builder.build(full=True)
    assert report.errors == []
    assert (blog.output / "feed.xml").read_bytes() == before


def test_the_source_state_is_stored_with_the_entries(blog: Blog, clock: FixedClock) -> None:
    settings = settings_for(blog)
    with open_builder(settings, clock=clock) as builder:
        builder.build(remote=[batch(settings, clock, atom(OLD), first=True)])
    ledger = Ledger.open(settings.store_url)
    try:
        states = ledger.source_states()
    finally:
        ledger.close()
    assert json.loads(states["Member blog"]) == {"url": FEED_URL, "polls": 1}


def test_a_future_dated_entry_is_announced_when_its_date_passes(
    blog: Blog, clock: FixedClock
) -> None:
    settings = settings_for(blog)
    later = ("urn:entry:3", "Scheduled", "2024-06-02T09:00:00Z")
    with open_builder(settings, clock=clock) as builder:
        builder.build(remote=[batch(settings, clock, atom(OLD), first=True)])
        early = builder.build(remote=[batch(settings, clock, atom(later, OLD), first=False)])
        clock.advance(timedelta(days=1))
        due = builder.build(changed=[])
    assert early.events == []
    assert [e.entry_id for e in due.events] == ["urn:entry:3"]


def test_a_batch_through_the_inbox_builds_the_same_bytes(
    blog: Blog, clock: FixedClock, tmp_path: Path
) -> None:
    """A cluster keeps a poll as JSON until the owner builds it: decoded, it is the same batch
    and the same feeds come out as from the batch itself."""
    settings = settings_for(blog)
    original = batch(settings, clock, atom(NEW, OLD), first=True)
    decoded = batch_from_json(batch_to_json(original), 7)
    assert decoded.inbox_ids == (7,)
    assert [lp.post for lp in decoded.posts] == [lp.post for lp in original.posts]
    assert [lp.body for lp in decoded.posts] == [lp.body for lp in original.posts]
    assert replace(decoded, inbox_ids=()) == replace(
        original, posts=decoded.posts
    )  # name, prefix, state, first
    built = {}
    for name, remote in (("direct", original), ("inbox", decoded)):
        fresh = Blog(tmp_path / name / "blog")  # a ledger of its own
        with open_builder(settings_for(fresh), clock=clock) as builder:
            builder.build(remote=[remote])
        built[name] = (fresh.output / "feed.xml").read_bytes()
    assert b"Fresh news" in built["direct"]
    assert built["direct"] == built["inbox"]


def test_two_polls_before_a_build_lose_no_entry(blog: Blog, clock: FixedClock) -> None:
    """An entry the first poll found and the second no longer lists (the feed shows only its
    newest) is still stored; the newer state wins; both polls' inbox rows go with the build."""
    settings = settings_for(blog)
    one = replace(batch(settings, clock, atom(OLD), first=True), inbox_ids=(1,))
    two = replace(batch(settings, clock, atom(NEW), first=False), inbox_ids=(2,), state="{}")
    (merged,) = merge([one, two])
    assert sorted(lp.post.title for lp in merged.posts) == ["Fresh news", "Old news"]
    assert (merged.state, merged.first, merged.inbox_ids) == ("{}", True, (1, 2))
    with open_builder(settings, clock=clock) as builder:
        builder.build(remote=[merged])
    assert site_titles(blog) == ["Fresh news", "Local post", "Old news"]
