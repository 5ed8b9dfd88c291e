"""The repository's example blog as a remote source: `syndicate build` with its config writes
Atom, RSS and JSON Feed; each, served on 127.0.0.1 and polled, gives back every entry with the
feed's own id (and the key that id makes), title and link."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
from lxml import etree

from syndicate.content.loader import LoadedPost
from syndicate.watch.normalise import source_key
from syndicate.watch.poll import PollKind, SourceState, poll
from tests.conftest import REPO
from tests.feedserver import FeedServer, serving
from tests.watch.conftest import source

ATOM = "{http://www.w3.org/2005/Atom}"


class Written(NamedTuple):
    """An entry as the feed file says it, read with lxml or json, not with our code."""

    id: str
    title: str
    link: str


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example blog and its config copied (relative paths intact) and built by the CLI."""
    root = tmp_path_factory.mktemp("example")
    shutil.copytree(REPO / "examples", root / "examples")
    (root / "config").mkdir()
    config = shutil.copy(REPO / "config" / "syndicate.toml", root / "config")
    done = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), "build"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return root / "public"


@pytest.fixture(scope="module")
def served(public: Path) -> Iterator[FeedServer]:
    with serving(public) as server:
        yield server


def written_atom(path: Path) -> list[Written]:
    entries = etree.parse(str(path)).getroot().iter(f"{ATOM}entry")
    return [
        Written(
            e.findtext(f"{ATOM}id") or "",
            e.findtext(f"{ATOM}title") or "",
            next(
                link.get("href") or ""
                for link in e.iter(f"{ATOM}link")
                if link.get("rel", "alternate") == "alternate"
            ),
        )
        for e in entries
    ]


def written_rss(path: Path) -> list[Written]:
    items = etree.parse(str(path)).getroot().iter("item")
    return [
        Written(i.findtext("guid") or "", i.findtext("title") or "", i.findtext("link") or "")
        for i in items
    ]


def written_json(path: Path) -> list[Written]:
    items = json.loads(path.read_text("utf-8"))["items"]
    return [Written(str(i["id"]), i["title"], i["url"]) for i in items]


def polled(client: httpx.Client, server: FeedServer, path: str) -> list[LoadedPost]:
    # The build published what was due by the real clock: poll as of then, too.
    outcome = poll(client, source(server.url(path)), SourceState(), datetime.now(UTC))
    assert outcome.kind is PollKind.OK, outcome.error
    assert outcome.warnings == ()
    return list(outcome.posts)


@pytest.mark.parametrize(
    ("path", "read"),
    [
        ("blog/feed.xml", written_atom),
        ("blog/feed.rss", written_rss),
        ("blog/feed.json", written_json),
    ],
)
def test_entries_come_back_as_written(
    client: httpx.Client,
    public: Path,
    served: FeedServer,
    path: str,
    read: Callable[[Path], list[Written]],
) -> None:
    written = read(public / path)
    assert len(written) >= 10  # the example blog's published posts
    posts = polled(client, served, path)
    got = [Written(p.post.declared_id or "", p.post.title, p.post.permalink) for p in posts]
    assert got == written  # same ids, titles, links, in the feed's order
    for loaded, entry in zip(posts, written, strict=True):
        assert loaded.post.source == source_key("Example Blog", entry.id)
        assert loaded.warnings == ()


def test_the_three_formats_give_the_same_posts(client: httpx.Client, served: FeedServer) -> None:
    formats = [polled(client, served, f"blog/feed.{ext}") for ext in ("xml", "rss", "json")]
    atom, rss, jsonfeed = ({p.post.source: p.post for p in posts} for posts in formats)
    assert atom.keys() == rss.keys() == jsonfeed.keys()
    for key, post in atom.items():
        for other in (rss[key], jsonfeed[key]):
            assert (other.title, other.permalink, other.date) == (
                post.title,
                post.permalink,
                post.date,
            )
            assert [a.name for a in other.authors] == [a.name for a in post.authors]
            assert {t.slug for t in other.tags} == {t.slug for t in post.tags}
