"""A quick build (`syndicate build` in a new process, reading only the posts of the feeds a
change touches) gives exactly what a whole build gives: the same bytes in every feed file, the
same records, events and feed rows in the ledger. Each step below is built twice from the same
files, quick in one copy and whole in the other; where a quick build cannot know the answer
(an edit, a deletion, a post whose date has passed, a feed's name spelt anew) it must fall
back to the whole build."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from syndicate.clock import FixedClock
from syndicate.config import Settings, parse_settings
from syndicate.pipeline.builder import QUICK_BASIS, Builder
from syndicate.pipeline.opening import open_builder
from syndicate.store.ledger import Ledger
from tests.conftest import Blog

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
EXTRA = """
[feeds]
formats = ["atom", "rss", "json"]
limit = 4
[feeds.authors]
enabled = true
"""


def _generate(root: Path) -> None:
    spec = importlib.util.spec_from_file_location("generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(root, 150, 3)


class Twin:
    """One copy of the blog, built quick or whole."""

    def __init__(self, blog: Blog, *, quick: bool) -> None:
        self.blog = blog
        self.quick = quick
        _generate(blog.root)
        self.settings: Settings = blog.settings(EXTRA)

    def build(self, clock: FixedClock) -> tuple[int, int]:
        """The feeds and public posts the build reports."""
        with open_builder(self.settings, clock=clock) as builder:
            report = builder.build(quick=self.quick)
        return report.feeds, report.public

    def outputs(self) -> dict[str, str]:
        root = self.blog.output
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    def ledger(self) -> tuple[Any, ...]:
        ledger = Ledger.open(self.settings.store_url)
        try:
            records = sorted(
                (r.pk, r.entry_id, r.source, r.post, r.updated, r.public, r.published_at)
                for r in ledger.records().values()
            )
            feeds = sorted(  # not the signatures: they hold the twins' paths
                (f.path, f.kind, f.key, f.name, f.feed_id, f.digest, f.members)
                for f in ledger.feeds().values()
            )
            events = [(e.post_pk, e.entry_id, e.kind, e.at) for e in ledger.events()]
            return records, feeds, events
        finally:
            ledger.close()


@pytest.fixture
def twins(blog: Blog, tmp_path: Path) -> tuple[Twin, Twin]:
    return Twin(blog, quick=True), Twin(Blog(tmp_path / "whole" / "blog"), quick=False)


@pytest.fixture
def whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the reads of the whole ledger."""
    calls: list[int] = []
    records = Ledger.records

    def counted(self: Ledger) -> Any:
        calls.append(1)
        return records(self)

    monkeypatch.setattr(Ledger, "records", counted)
    return calls


def _post(twins: tuple[Twin, Twin], name: str, text: str) -> None:
    for twin in twins:
        (twin.blog.posts / name).write_text(text, "utf-8")


def _same(twins: tuple[Twin, Twin]) -> None:
    quick, whole = twins
    assert quick.outputs() == whole.outputs()
    assert quick.ledger() == whole.ledger()


def _step(twins: tuple[Twin, Twin], clock: FixedClock, whole_reads: list[int]) -> bool:
    """Build both; whether the quick one read only part of the ledger."""
    del whole_reads[:]
    counted = twins[0].build(clock)
    quick = not whole_reads
    assert twins[1].build(clock) == counted
    _same(twins)
    return quick


def _front(title: str, date: str, tags: str, extra: str = "") -> str:
    head = f"title: {title}\nauthor: author01\ndate: {date}\ntags: {tags}\n{extra}"
    return f"---\n{head}---\n\nText of {title}.\n"


def _a_tag(twin: Twin) -> str:
    """The name of a tag some public post has, as the blog spells it."""
    ledger = Ledger.open(twin.settings.store_url)
    try:
        return next(f.name for f in ledger.feeds().values() if f.kind == "tag")
    finally:
        ledger.close()


def _entry_id(twin: Twin, name: str) -> str:
    ledger = Ledger.open(twin.settings.store_url)
    try:
        records = ledger.records().values()
        return next(r.entry_id for r in records if r.source and r.source.endswith(name))
    finally:
        ledger.close()


def test_new_posts_built_quick_give_the_bytes_of_a_whole_build(
    twins: tuple[Twin, Twin], whole_reads: list[int]
) -> None:
    clock = FixedClock(NOW)
    assert not _step(twins, clock, whole_reads)  # the first build reads everything
    assert _step(twins, clock, whole_reads)  # and records what the next may rely on
    tag = _a_tag(twins[0])

    _post(twins, "2024-05-20-one.html.md", _front("One", "2024-05-20 10:00:00 UTC", tag))
    assert _step(twins, clock, whole_reads)

    # a new tag, a draft, a post dated ahead, a broken one, a post older than every feed's
    # newest entries, one on the same second as another (its `updated` moves on) and one
    # declaring another's id (it is given its own): the ledger answers for the posts not read
    taken = f"id: {_entry_id(twins[0], '2024-05-20-one.html.md')}\n"
    _post(twins, "2024-05-24-copy.html.md", _front("Copy", "2024-05-24 10:00:00 UTC", tag, taken))
    _post(twins, "2024-05-21-two.html.md", _front("Two", "2024-05-21 10:00:00 UTC", "brand new"))
    _post(twins, "2024-05-22-draft.html.md", _front("D", "2024-05-22", tag, "published: false\n"))
    _post(twins, "2024-06-20-ahead.html.md", _front("Ahead", "2024-06-20 10:00:00 UTC", tag))
    _post(twins, "2024-05-23-broken.html.md", "---\ntitle: [unclosed\n---\n\nText.\n")
    _post(twins, "2011-01-01-old.html.md", _front("Old", "2011-01-01 10:00:00 UTC", tag))
    _post(twins, "2024-05-20-twin.html.md", _front("Twin", "2024-05-20 10:00:00 UTC", "x"))
    assert _step(twins, clock, whole_reads)
    assert _step(twins, clock, whole_reads)  # nothing new

    # the post dated ahead goes live: only a whole build can see it
    clock.advance(timedelta(days=20))
    assert not _step(twins, clock, whole_reads)
    _post(twins, "2024-06-21-three.html.md", _front("Three", "2024-06-21 09:00:00 UTC", tag))
    assert _step(twins, clock, whole_reads)


def test_what_a_quick_build_cannot_know_falls_back_to_a_whole_build(
    twins: tuple[Twin, Twin], whole_reads: list[int]
) -> None:
    clock = FixedClock(NOW)
    _step(twins, clock, whole_reads)
    _step(twins, clock, whole_reads)
    tag = _a_tag(twins[0])
    _post(twins, "2024-05-20-one.html.md", _front("One", "2024-05-20 10:00:00 UTC", tag))
    assert _step(twins, clock, whole_reads)

    # a tag spelt otherwise: the feed's name is what most of its posts say
    _post(twins, "2024-05-21-two.html.md", _front("Two", "2024-05-21", tag.upper()))
    assert not _step(twins, clock, whole_reads)

    # an edit
    _post(twins, "2024-05-20-one.html.md", _front("One!", "2024-05-20 10:00:00 UTC", tag))
    assert not _step(twins, clock, whole_reads)

    # a deletion, then the same post back (a deleted record found again: quick)
    solo = _front("Solo", "2024-05-22 10:00:00 UTC", "solo")
    _post(twins, "2024-05-22-solo.html.md", solo)
    assert _step(twins, clock, whole_reads)
    for twin in twins:
        (twin.blog.posts / "2024-05-22-solo.html.md").unlink()
    assert not _step(twins, clock, whole_reads)
    _post(twins, "2024-05-22-solo.html.md", solo)
    assert _step(twins, clock, whole_reads)

    # an output removed: made again
    for twin in twins:
        (twin.blog.output / "feed.xml").unlink()
    assert not _step(twins, clock, whole_reads)


def test_posts_that_name_each_other_resolve_as_in_a_whole_build(
    tmp_path: Path, whole_reads: list[int]
) -> None:
    """Liquid's post_url: a quick build resolves names through the whole ledger and this
    build's own new posts, as a whole build does."""
    homes = [tmp_path / "quick", tmp_path / "whole"]
    configs = []
    for home in homes:
        root = home / "blog"
        (root / "_posts").mkdir(parents=True)
        (root / "_config.yml").write_text("url: https://notes.example.net\n", "utf-8")
        (root / "_posts" / "2024-01-01-first.md").write_text("---\ntitle: First\n---\nHi.\n")
        state = home / "state"
        state.mkdir()
        text = (
            f'[site]\ntitle = "T"\nurl = "https://notes.example.net/"\n'
            f'[content]\nroot = "{root}"\nlayout = "jekyll"\n'
            f'[feeds]\noutput = "{state / "out"}"\n[build]\nworkers = 1\n'
            f'[store]\nurl = "sqlite:///{state / "l.db"}"\ncache = "{state / "c.sqlite"}"\n'
        )
        configs.append(parse_settings(text, file="t.toml", base_dir=state))
    clock = FixedClock(NOW)

    def step() -> bool:
        del whole_reads[:]
        for config, quick in zip(configs, (True, False), strict=True):
            with open_builder(config, clock=clock) as builder:
                builder.build(quick=quick)
            if quick:
                took_quick = len(whole_reads) <= 1  # only the names' lookup reads it all
        outputs = []
        for home in homes:
            out = home / "state" / "out"
            outputs.append({str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*.xml")})
        assert outputs[0] == outputs[1]
        return took_quick

    step()
    for home in homes:
        posts = home / "blog" / "_posts"
        (posts / "2024-02-01-second.md").write_text("---\ntitle: Second\n---\nTwo.\n")
        (posts / "2024-02-02-third.md").write_text(
            "---\ntitle: Third\n---\n[a]({% post_url 2024-01-01-first %}) "
            "[b]({% post_url 2024-02-01-second %})\n"
        )
    assert step()
    feeds = (homes[0] / "state" / "out").rglob("*.xml")
    written = b"".join(p.read_bytes() for p in feeds)
    assert b"2024/02/01/second.html" in written and b"2024/01/01/first.html" in written


def test_a_build_stopped_before_its_feeds_leaves_the_next_one_whole(
    twins: tuple[Twin, Twin], whole_reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The records are saved before the feeds are written: a build killed in between must
    not leave the next one trusting feeds it never wrote."""
    clock = FixedClock(NOW)
    _step(twins, clock, whole_reads)
    tag = _a_tag(twins[0])
    _post(twins, "2024-05-20-one.html.md", _front("One", "2024-05-20 10:00:00 UTC", tag))

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(Builder, "_write_feeds", killed)
        with pytest.raises(KeyboardInterrupt):
            twins[0].build(clock)
    assert not _step(twins, clock, whole_reads)
    assert _step(twins, clock, whole_reads)

    ledger = Ledger.open(twins[0].settings.store_url)  # a basis another version wrote
    ledger.save(state={QUICK_BASIS: '{"facts": "x", "boundary": null}'})
    ledger.close()
    _post(twins, "2024-05-21-one-more.html.md", _front("More", "2024-05-21 11:00:00 UTC", tag))
    assert not _step(twins, clock, whole_reads)

    clock.set(NOW - timedelta(hours=1))  # the clock went back
    _post(twins, "2024-05-21-two.html.md", _front("Two", "2024-05-21 10:00:00 UTC", tag))
    assert not _step(twins, clock, whole_reads)


def test_names_are_looked_up_before_a_helper_forks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quick build rendering enough posts to fork a helper looks posts' names up in the
    ledger itself, before forking: a child must not use the parent's database connection."""
    readers = tmp_path / "readers"  # a file, so that a child's reads show too
    records = Ledger.records

    def noted(self: Ledger) -> Any:
        with readers.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return records(self)

    monkeypatch.setattr(Ledger, "records", noted)
    root = tmp_path / "blog"
    posts = root / "_posts"
    posts.mkdir(parents=True)
    (root / "_config.yml").write_text("url: https://notes.example.net\n", "utf-8")
    (posts / "2024-01-01-first.md").write_text("---\ntitle: First\n---\nHi.\n")
    state = tmp_path / "state"
    state.mkdir()
    text = (
        f'[site]\ntitle = "T"\nurl = "https://notes.example.net/"\n'
        f'[content]\nroot = "{root}"\nlayout = "jekyll"\n'
        f'[feeds]\noutput = "{state / "out"}"\n[build]\nworkers = 2\n'
        f'[store]\nurl = "sqlite:///{state / "l.db"}"\ncache = "{state / "c.sqlite"}"\n'
    )
    config = parse_settings(text, file="t.toml", base_dir=state)
    clock = FixedClock(NOW)
    with open_builder(config, clock=clock) as builder:
        builder.build(quick=True)
    for n in range(150):
        (posts / f"2024-03-{n % 28 + 1:02d}-p{n}.md").write_text(
            f"---\ntitle: P{n}\ntags: [t{n}]\n---\n[a]({{% post_url 2024-01-01-first %}})\n"
        )
    readers.unlink()
    with open_builder(config, clock=clock) as builder:
        report = builder.build(quick=True)
    assert not report.errors
    assert readers.read_text().split() == [str(os.getpid())]  # once, here
    for n in range(150):
        feed = (state / "out" / "tag" / f"t{n}.xml").read_text("utf-8")
        assert "https://notes.example.net/2024/01/01/first.html" in feed
