"""A real blog's feeds as a remote source: syndicate's own Atom, RSS and JSON Feed output for
the RDO blog (../shared/corpora; skipped when absent), polled over HTTP and read back."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from syndicate.clock import FixedClock
from syndicate.content.loader import LoadedPost
from syndicate.watch.poll import PollKind, SourceState, poll
from tests.conftest import NOW, build
from tests.feedserver import serving
from tests.test_corpora import settings_for
from tests.watch.conftest import source

pytestmark = pytest.mark.corpus


def _posts(client: httpx.Client, url: str) -> dict[str, LoadedPost]:
    outcome = poll(client, source(url), SourceState(), NOW)
    assert outcome.kind is PollKind.OK, outcome.error
    assert outcome.warnings == ("the feed has 301 entries; only the 200 newest are taken",)
    return {loaded.post.declared_id or "": loaded for loaded in outcome.posts}


def test_the_three_formats_read_back_alike(
    corpora: Path, tmp_path: Path, client: httpx.Client
) -> None:
    root, state = tmp_path / "rdo", tmp_path / "state"
    shutil.copytree(corpora / "rdo", root)
    build(settings_for("rdo", root, state), FixedClock(NOW))
    with serving(state / "public") as server:
        atom = _posts(client, server.url("blog/feed.xml"))
        rss = _posts(client, server.url("blog/feed.rss"))
        json = _posts(client, server.url("blog/feed.json"))
    assert len(atom) == 200  # the blog has more: the newest are taken
    assert atom.keys() == rss.keys() == json.keys()
    for entry_id, loaded in atom.items():
        post = loaded.post
        assert loaded.warnings == (), (entry_id, loaded.warnings)
        assert post.permalink.startswith("https://www.rdoproject.org/blog/")
        for other in (rss[entry_id].post, json[entry_id].post):
            assert other.title == post.title
            assert other.permalink == post.permalink
            assert other.date == post.date
            assert {t.slug for t in other.tags} == {t.slug for t in post.tags}
            assert [a.name for a in other.authors] == [a.name for a in post.authors]
