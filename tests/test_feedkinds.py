"""Every kind of feed described in syndicate/feedkinds.py is honoured everywhere: its settings
table, its defaults, `init`'s config, `check`, the build's files and the feed index page. A new
kind gets all of these from its descriptor; these tests run for it unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.check import check
from syndicate.clock import FixedClock
from syndicate.config import parse_settings
from syndicate.feedkinds import KINDS, Kind, placeholders
from syndicate.scaffold import scaffold
from syndicate.store.ledger import Ledger
from syndicate.web.catalog import files_from_ledger
from syndicate.web.page import render_index
from tests.conftest import Blog, build

BY_KEY = {kind.settings_key: kind for kind in KINDS}
# One post that belongs to a feed of every kind.
META = {
    "title": "Everything",
    "date": "2024-05-01",
    "author": "Ada Lovelace",
    "tags": ["Engines"],
    "categories": ["Maths"],
    "series": ["Notes"],
}
NAMES = {"site": "", "tags": "engines", "categories": "maths", "taxonomies": "series/notes"}
NAMES["authors"] = "ada-lovelace"


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.settings_key)
def test_a_kinds_table_starts_from_its_defaults(kind: Kind) -> None:
    text = f'[site]\nurl = "https://e.org/"\n[feeds.{kind.settings_key}]\nlimit = 3\n'
    settings = parse_settings(text, file="s.toml", base_dir=Path())
    own = settings.feeds.of(kind.kind)
    assert own.limit == 3
    assert own.title == kind.title
    assert {fmt: own.path_for(fmt) for fmt in ("atom", "rss", "json")} == {
        fmt: path for fmt, path in kind.defaults().items() if fmt != "title"
    }


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.settings_key)
def test_init_writes_a_table_for_the_kind(kind: Kind, blog: Blog, tmp_path: Path) -> None:
    blog.post("2024-05-01-a.md", META)
    (blog.root / "_config.yml").write_text("url: https://e.org\n")
    (blog.root / "_posts").mkdir(exist_ok=True)
    text = scaffold(blog.root, tmp_path).text
    assert f"\n[feeds.{kind.settings_key}]\nenabled = true\n" in text


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.settings_key)
def test_check_refuses_a_path_shared_by_every_feed_of_the_kind(
    kind: Kind, blog: Blog, clock: FixedClock
) -> None:
    settings = blog.settings(f'[feeds.{kind.settings_key}]\natom = "same.xml"\n')
    messages = [finding.message for finding in check(settings, clock, {}).findings]
    if kind.members is None:
        assert not any("must contain {slug}" in m for m in messages)
    else:
        assert any(f"feeds.{kind.settings_key}.atom" in m and "{slug}" in m for m in messages)


def test_a_post_gets_a_feed_of_every_kind(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-everything.md", META)
    settings = blog.settings('[content]\ntaxonomies = ["series"]\n')
    build(settings, clock)
    for key, kind in BY_KEY.items():
        taxonomy, _, slug = NAMES[key].rpartition("/")
        path = kind.defaults()["atom"].format_map(placeholders("", slug, taxonomy))
        assert (blog.output / path).is_file(), (key, path)


def test_the_index_page_has_a_section_per_kind_in_the_kinds_order(
    blog: Blog, clock: FixedClock
) -> None:
    blog.post("2024-05-01-everything.md", META)
    settings = blog.settings('[content]\ntaxonomies = ["series"]\n')
    build(settings, clock)
    ledger = Ledger.open(settings.store.url)
    try:
        files = files_from_ledger(settings, ledger.feeds().values())
    finally:
        ledger.close()
    page = render_index(settings, files)
    positions = [page.index(f">{kind.label}<") for kind in KINDS]
    assert positions == sorted(positions)
