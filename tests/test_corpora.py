"""Acceptance on two real blogs (../shared/corpora; skipped when absent).

Every published post appears in the site feed and in each of its tags' feeds, unpublished ones
in none; ids stay the same across builds, renamed files and a changed site scheme; a build
with nothing changed writes nothing; every feed parses cleanly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import pytest
import yaml

from syndicate.clock import FixedClock
from syndicate.config import Settings, parse_settings
from syndicate.content.tags import slugify, split_tags
from tests.conftest import NOW, build

BLOGS = {
    "rdo": ("RDO", "www.rdoproject.org"),
    "osas": ("Red Hat Open Source Community", "community.redhat.com"),
}


def settings_for(name: str, root: Path, state: Path, *, scheme: str = "https") -> Settings:
    title, domain = BLOGS[name]
    text = f"""
[site]
title = "{title}"
url = "{scheme}://{domain}/"
[content]
root = "{root}"
[identity]
id_template = "http://{{host}}/{{path}}"
[feeds]
output = "{state / "public"}"
limit = 1000
max_bytes = 100000000
[feeds.site]
atom = "blog/feed.xml"
rss = "blog/feed.rss"
json = "blog/feed.json"
[feeds.tags]
atom = "blog/tag/{{slug}}.xml"
rss = "blog/tag/{{slug}}.rss"
json = "blog/tag/{{slug}}.json"
[feeds.authors]
enabled = false
[store]
url = "sqlite:///{state / "ledger.db"}"
cache = "{state / "cache.sqlite"}"
"""
    return parse_settings(text, file="corpus.toml", base_dir=state)


def published_posts(root: Path) -> dict[str, tuple[str, list[str]]]:
    """file name → (title, tag slugs) of each published, dated post, as PyYAML reads it."""
    posts = {}
    for path in sorted((root / "source" / "blog").glob("*.md")):
        meta = yaml.safe_load(path.read_text("utf-8").split("---", 2)[1])
        if meta.get("published") is False:
            continue
        if not (meta.get("date") or path.name[:4].isdigit()):
            continue  # no date anywhere: not a post (check reports it)
        posts[path.name] = (
            str(meta["title"]).strip(),
            sorted({slugify(t) for t in split_tags(meta.get("tags"))}),
        )
    return posts


def feed_entries(path: Path) -> list[feedparser.FeedParserDict]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path, parsed.bozo_exception)
    return list(parsed.entries)


@pytest.fixture(params=sorted(BLOGS))
def corpus(request: pytest.FixtureRequest, corpora: Path, tmp_path: Path) -> tuple[str, Path, Path]:
    name: str = request.param
    root = tmp_path / name
    shutil.copytree(corpora / name, root)
    return name, root, tmp_path / "state"


def test_every_published_post_is_in_the_site_feed_and_its_tag_feeds(
    corpus: tuple[str, Path, Path],
) -> None:
    name, root, state = corpus
    clock = FixedClock(NOW)
    build(settings_for(name, root, state), clock)
    out = state / "public" / "blog"
    expected = published_posts(root)
    feeds = {p.relative_to(out).as_posix(): feed_entries(p) for p in out.rglob("*.xml")}
    assert len(feeds["feed.xml"]) == len(expected)
    links = {path: {_slug_of(e.link) for e in found} for path, found in feeds.items()}
    for filename, (_title, tags) in expected.items():
        slug = _slug_of(filename)
        assert slug in links["feed.xml"], filename
        for tag in tags:
            assert slug in links[f"tag/{tag}.xml"], (filename, tag)
    hidden = {p.name for p in (root / "source" / "blog").glob("*.md")} - set(expected)
    every = {e.link for found in feeds.values() for e in found}
    for filename in hidden:
        if filename[:4].isdigit():
            year, month = filename[:4], filename[5:7]
            assert not any(
                link.endswith(f"/blog/{year}/{month}/{_slug_of(filename)}.html") for link in every
            )


def _slug_of(name: str) -> str:
    """`2016-10-03-x.html.md` or `https://.../2016/10/x.html` → `x`."""
    stem = name.rsplit("/", 1)[-1].split(".", maxsplit=1)[0]
    return stem[11:] if stem[:4].isdigit() and stem[10:11] == "-" else stem


def test_ids_are_stable_and_a_quiet_build_writes_nothing(corpus: tuple[str, Path, Path]) -> None:
    name, root, state = corpus
    clock = FixedClock(NOW)
    settings = settings_for(name, root, state)
    build(settings, clock)
    out = state / "public" / "blog"
    first = [(e.id, e.link) for e in feed_entries(out / "feed.xml")]
    assert all(entry_id.startswith("http://") for entry_id, _ in first)

    again = build(settings, clock)
    assert again.written == []

    victim = sorted((root / "source" / "blog").glob("2016-*.md"))[3]
    victim.rename(victim.with_name(victim.name.replace(".html.md", "-renamed.html.md")))
    build(settings, clock)
    renamed = {link: entry_id for entry_id, link in first}
    after = [(e.id, e.link) for e in feed_entries(out / "feed.xml")]
    assert sorted(i for i, _ in after) == sorted(i for i, _ in first)
    moved = [(i, link) for i, link in after if link not in renamed]
    assert len(moved) == 1 and moved[0][1].endswith("-renamed.html")

    build(settings_for(name, root, state, scheme="http"), clock)
    assert sorted(e.id for e in feed_entries(out / "feed.xml")) == sorted(i for i, _ in first)


def test_every_feed_parses_and_points_only_at_absolute_urls(corpus: tuple[str, Path, Path]) -> None:
    name, root, state = corpus
    build(settings_for(name, root, state), FixedClock(NOW))
    for path in (state / "public").rglob("*.*"):
        if path.suffix == ".json":
            document = json.loads(path.read_text("utf-8"))
            assert document["version"] == "https://jsonfeed.org/version/1.1"
            continue
        for entry in feed_entries(path):
            html = entry.content[0].value if "content" in entry else entry.summary
            for marker in (
                'href="/',
                'src="/',
                'href="../',
                "<script",
                "<iframe",
                "{:",
                "READMORE",
            ):
                assert marker not in html, (path.name, entry.link, marker)
