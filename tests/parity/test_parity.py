"""The real Jekyll (with jekyll-feed) and Hugo against syndicate, on fixture blogs: every post
the generator publishes must come out of syndicate with the same link, id, title, date,
categories and tags, and authors, and no other post may."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.parity import compare, fixtures


def need(binary: str | None, name: str) -> None:
    if binary is None:
        message = f"{name} is not installed (tests/parity/install.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


# Posts the generator holds back by default, and publishes when its config says so.
HELD_BACK = {
    "publish-all": {"From the future", "Unpublished"},
    "build-all": {"Future", "Draft", "Expired", "Later", "Unpublished date"},
}


def run(tmp_path: Path, name: str, make: Callable[[Path], list[compare.Published]]) -> None:
    blog = tmp_path / name / "blog"
    theirs = make(blog)
    titles = {p.title for p in theirs}
    held = set().union(*HELD_BACK.values())
    assert titles & held == HELD_BACK.get(name, set())
    feed, author = compare.build_ours(blog, tmp_path / name)
    result = compare.compare(theirs, compare.read_ours(feed, site_author=author))
    assert result.differences == [] and result.only_theirs == [] and result.only_ours == []
    assert all(result.equal[f] == len(theirs) for f in compare.FIELDS)
    assert len(theirs) > 10


@pytest.mark.parametrize("style", list(fixtures.JEKYLL_STYLES))
def test_jekyll_feed(tmp_path: Path, style: str) -> None:
    need(compare.jekyll_binary(), "jekyll")

    def make(blog: Path) -> list[compare.Published]:
        fixtures.jekyll_site(blog, style)
        return compare.read_jekyll_feed(compare.run_jekyll(blog))

    run(tmp_path, style, make)


@pytest.mark.parametrize("pattern", list(fixtures.HUGO_PATTERNS))
def test_hugo_rss(tmp_path: Path, pattern: str) -> None:
    need(compare.hugo_binary(), "hugo")

    def make(blog: Path) -> list[compare.Published]:
        fixtures.hugo_site(blog, pattern)
        rss, oracle = compare.run_hugo(blog, blog.parent, ["tags", "categories", "series"])
        return compare.read_hugo(rss, oracle)

    run(tmp_path, pattern, make)
