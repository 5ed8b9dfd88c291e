"""RFC 5005 archived feeds, read as a client reads them: feedparser follows `prev-archive` from
each subscription document (and JSON Feed's `next_url`) and must recover every public post
exactly once, with the subscription documents' ids; a new post rewrites the subscription
document and at most the newest archive; the archives are served, not listed, not announced."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.feeds.archives import archive_path, subscription_path
from syndicate.sections import replace
from syndicate.store.ledger import Ledger
from syndicate.web.catalog import files_from_ledger
from syndicate.web.page import render_index, render_opml
from tests.conftest import NOW, Blog, build
from tests.test_corpora import published_posts, settings_for
from tests.w3c import validate

HISTORY = "http://purl.org/syndication/history/1.0"


def _file(root: Path, url: str, site_url: str) -> Path:
    """The file under the output folder `root` that `url` (under `site_url`) serves."""
    return root / urlsplit(url).path.removeprefix(urlsplit(site_url).path)


def read_archived(root: Path, subscription: str, site_url: str) -> list[str]:
    """Every entry id a client gets by following prev-archive links from `subscription`."""
    ids: list[str] = []
    seen: set[Path] = set()
    path: Path | None = root / subscription
    while path is not None:
        assert path not in seen, f"prev-archive loops at {path}"
        seen.add(path)
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.bozo_exception)
        ids += [entry.id for entry in parsed.entries]
        older = [link.href for link in parsed.feed.get("links", []) if link.rel == "prev-archive"]
        path = _file(root, older[0], site_url) if older else None
    return ids


def read_json_pages(root: Path, subscription: str, site_url: str) -> list[str]:
    ids: list[str] = []
    path: Path | None = root / subscription
    while path is not None:
        document = json.loads(path.read_bytes())
        ids += [item["id"] for item in document["items"]]
        older = document.get("next_url")
        path = _file(root, older, site_url) if older else None
    return ids


def _archiving(blog: Blog, period: str = "month", limit: int = 2) -> Settings:
    return blog.settings(f'[feeds]\nlimit = {limit}\narchives = "{period}"\n')


def _posts(blog: Blog, dates: list[str], tags: str = "News") -> None:
    for number, date in enumerate(dates):
        blog.post(f"{date}-post-{number}.html.md", {"title": f"Post {number}", "tags": tags})


def test_a_client_following_prev_archive_gets_every_post_once(
    blog: Blog, clock: FixedClock
) -> None:
    dates = ["2023-11-02", "2023-11-20", "2024-01-05", "2024-02-01", "2024-02-10", "2024-05-01"]
    _posts(blog, dates)
    settings = _archiving(blog)
    build(settings, clock)
    out, site = blog.output, "https://blog.example.org/"
    for subscription in ("feed.xml", "feed.rss", "tag/news.xml", "tag/news.rss"):
        ids = read_archived(out, subscription, site)
        assert len(ids) == len(dates) and len(set(ids)) == len(dates), (subscription, ids)
    assert len(set(read_json_pages(out, "feed.json", site))) == len(dates)
    subscription_ids = [e.id for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    assert subscription_ids == read_archived(out, "feed.xml", site)[:2]
    assert sorted(p.name for p in out.glob("feed-archive-*.xml")) == [
        "feed-archive-2023-11.xml",
        "feed-archive-2024-01.xml",
        "feed-archive-2024-02.xml",
    ]


def test_archives_are_marked_and_linked_both_ways(blog: Blog, clock: FixedClock) -> None:
    _posts(blog, ["2023-11-02", "2024-01-05", "2024-02-01", "2024-03-01"])
    build(_archiving(blog, limit=1), clock)
    older = feedparser.parse((blog.output / "feed-archive-2024-01.xml").read_bytes())
    rels = {link.rel: link.href for link in older.feed.links}
    site = "https://blog.example.org/"
    assert rels["current"] == f"{site}feed.xml"
    assert rels["prev-archive"] == f"{site}feed-archive-2023-11.xml"
    assert rels["next-archive"] == f"{site}feed-archive-2024-02.xml"
    text = (blog.output / "feed-archive-2024-01.xml").read_text()
    assert f'<fh:archive xmlns:fh="{HISTORY}"/>' in text
    assert older.feed.id == feedparser.parse((blog.output / "feed.xml").read_bytes()).feed.id


def test_a_feed_whose_posts_all_fit_is_complete(blog: Blog, clock: FixedClock) -> None:
    _posts(blog, ["2024-01-05"], tags="Rare")
    build(_archiving(blog, limit=5), clock)
    assert f'<fh:complete xmlns:fh="{HISTORY}"/>' in (blog.output / "tag/rare.xml").read_text()
    assert not list(blog.output.glob("tag/rare-archive-*"))


def test_a_new_post_rewrites_the_subscription_and_at_most_the_newest_archive(
    blog: Blog, clock: FixedClock
) -> None:
    _posts(blog, ["2023-11-02", "2023-11-20", "2024-01-05", "2024-01-10", "2024-01-20"])
    settings = _archiving(blog, period="year")
    build(settings, clock)
    blog.post("2024-01-25-newest.html.md", {"title": "Newest", "tags": "News"})
    report = build(settings, clock)
    site_feeds = {p for p in report.written if p.startswith("feed")}
    assert site_feeds == {
        "feed.xml",
        "feed.rss",
        "feed.json",
        "feed-archive-2024.xml",
        "feed-archive-2024.rss",
        "feed-archive-2024.json",
    }
    assert build(settings, clock).written == []  # and nothing when nothing changed


def test_archives_are_served_but_not_listed(blog: Blog, clock: FixedClock) -> None:
    _posts(blog, ["2023-11-02", "2024-01-05", "2024-02-01"])
    settings = _archiving(blog, limit=1)
    build(settings, clock)
    ledger = Ledger.open(settings.store.url)
    try:
        files = files_from_ledger(settings, ledger.feeds().values())
    finally:
        ledger.close()
    archives = {f.path for f in files if f.archive}
    assert "feed-archive-2023-11.xml" in archives and "tag/news-archive-2024-01.rss" in archives
    page, opml = render_index(settings, files), render_opml(settings, files).decode()
    assert "archive" not in page and "archive" not in opml


@given(
    st.lists(st.text("abc-_.", min_size=1, max_size=6), min_size=1, max_size=3),
    st.sampled_from(["xml", "rss", "json", ""]),
    st.sampled_from(["2024", "1999-12"]),
)
def test_an_archives_path_leads_back_to_its_feed(parts: list[str], suffix: str, name: str) -> None:
    path = "/".join(parts) + (f".{suffix}" if suffix else "")
    if path.endswith(".") or "/." in "/" + path.rsplit("/", 1)[-1][:1]:
        return
    assert subscription_path(archive_path(path, name)) == path


def test_paths_that_are_not_archives_lead_nowhere() -> None:
    for path in ("feed.xml", "tag/news.xml", "tag/x-archive-soon.xml", "a-archive-12345.rss"):
        assert subscription_path(path) is None


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["rdo", "osas"])
def test_both_corpora_are_recovered_whole_from_their_archives(
    name: str, corpora: Path, tmp_path: Path
) -> None:
    root = tmp_path / name
    shutil.copytree(corpora / name, root)
    whole = settings_for(name, root, tmp_path / "whole")  # one feed of every post (limit 1000)
    archived = settings_for(name, root, tmp_path / "archived")
    feeds = replace(archived.feeds, limit=20, archives="year")
    archived = replace(archived, feeds=feeds)
    for settings in (whole, archived):
        build(settings, FixedClock(NOW))
    site = whole.site.url
    every = [
        e.id
        for e in feedparser.parse((tmp_path / "whole/public/blog/feed.xml").read_bytes()).entries
    ]
    assert len(every) == len(published_posts(root))
    for subscription in ("blog/feed.xml", "blog/feed.rss"):
        ids = read_archived(tmp_path / "archived/public", subscription, site)
        assert Counter(ids) == Counter(every), (name, subscription)


def test_subscriptions_archives_and_complete_feeds_pass_the_w3c_validator(
    blog: Blog, clock: FixedClock
) -> None:
    """0 errors and 0 warnings, as every other feed (skipped without a validator checkout)."""
    _posts(blog, ["2023-11-02", "2024-01-05", "2024-02-01", "2024-02-03"])
    _posts(blog, ["2022-05-05"], tags="Rare")
    build(_archiving(blog, limit=1), clock)
    site = "https://blog.example.org/"
    documents = [
        (path, site + path.relative_to(blog.output).as_posix())
        for path in sorted(blog.output.rglob("*"))
        if path.suffix in (".xml", ".rss")
    ]
    assert any("-archive-" in str(path) for path, _ in documents)
    assert validate(documents) == {}
