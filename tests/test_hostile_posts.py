"""Fuzz: hundreds of hostile posts (see tests/hostile.py) never stop a build, never hide a
post, and never make a feed that a parser or the W3C validator objects to."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest

from tests import hostile, w3c

SITE = "https://notes.example.org/"
SEEDS = [int(s) for s in os.environ.get("SYNDICATE_FUZZ_SEEDS", "1,2").split(",")]
POSTS = 150
Built = tuple[subprocess.CompletedProcess[str], Path]


def _build(tmp: Path, seed: int) -> Built:
    written = hostile.write(tmp / "blog" / "source" / "blog", seed, POSTS)
    assert len(written) == POSTS
    (tmp / "syndicate.toml").write_text(
        f"""
[site]
title = "Hostile <b>&amp;</b> blog"
url = "{SITE}"
[content]
root = "blog"
[feeds]
output = "public"
limit = 1000
max_bytes = 100000000
formats = ["atom", "rss", "json"]
[store]
url = "sqlite:///state/ledger.db"
cache = "state/cache.sqlite"
"""
    )
    (tmp / "state").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(tmp / "syndicate.toml"), "build"],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp,
        timeout=600,
    )
    return done, tmp / "public"


@pytest.fixture(scope="module", params=SEEDS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp(f"hostile-{request.param}"), request.param)


def test_the_build_exits_0_or_1_and_names_each_post_it_cannot_read(built: Built) -> None:
    done, _ = built
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    for line in done.stderr.splitlines():
        if ": " in line and line.startswith("source/"):
            assert re.match(r"source/blog/\S+\.html\.md(:\d+)?: \S", line), line


def test_every_post_is_in_the_site_feed(built: Built) -> None:
    done, public = built
    named = re.findall(r"^source/blog/\d{4}-\d\d-\d\d-(post-\d+)\.html\.md", done.stderr, re.M)
    unreadable = set(named)
    parsed = feedparser.parse((public / "feed.xml").read_bytes())
    listed = {e.link.rsplit("/", 1)[-1].removesuffix(".html") for e in parsed.entries}
    assert {f"post-{n}" for n in range(POSTS)} - unreadable == listed
    assert len(unreadable) <= POSTS // 20, sorted(unreadable)  # a few with no title at all


def test_every_feed_parses_without_complaint(built: Built) -> None:
    _, public = built
    feeds = [p for p in public.rglob("*") if p.suffix in (".xml", ".rss")]
    assert len(feeds) > POSTS
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.bozo_exception)


def test_every_feed_passes_the_w3c_validator(built: Built) -> None:
    _, public = built
    feeds = [
        (path, SITE + quote(path.relative_to(public).as_posix()))
        for path in sorted(public.rglob("*"))
        if path.suffix in (".xml", ".rss")
    ]
    assert w3c.validate(feeds) == {}
