"""The build's promises: stable ids, honest `updated`, incremental writes, nothing lost."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from syndicate.clock import FixedClock
from tests.conftest import Blog, build

POST = {"title": "First", "author": "ana", "date": "2024-05-01 10:00:00 UTC", "tags": "News"}
BODY = "\n\n".join(
    f"Paragraph {n} of a post that has enough words to make a small edit a small share of it."
    for n in range(8)
)


def entries(path: Path) -> list[feedparser.FeedParserDict]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return list(parsed.entries)


def ids(path: Path) -> list[str]:
    return [e.id for e in entries(path)]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_second_build_writes_nothing(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-first.html.md", POST, BODY)
    settings = blog.settings()
    first = build(settings, clock)
    assert first.written
    before = {p: p.stat().st_mtime_ns for p in blog.output.rglob("*") if p.is_file()}
    second = build(settings, clock)
    assert second.written == []
    assert second.read == 0
    assert {p: p.stat().st_mtime_ns for p in blog.output.rglob("*") if p.is_file()} == before


def test_same_posts_give_byte_identical_feeds(
    blog: Blog, clock: FixedClock, tmp_path: Path
) -> None:
    blog.post("2024-05-01-first.html.md", POST, BODY)
    blog.post("2024-05-02-second.html.md", {**POST, "title": "Second", "date": "2024-05-02"})
    build(blog.settings(), clock)
    first = snapshot(blog.output)
    shutil.rmtree(blog.state)
    build(blog.settings(), clock)
    assert snapshot(blog.output) == first


def test_ids_survive_a_rename(blog: Blog, clock: FixedClock) -> None:
    old = blog.post("2024-05-01-first.html.md", POST, BODY)
    settings = blog.settings()
    build(settings, clock)
    before = ids(blog.output / "feed.xml")
    old.rename(old.with_name("2024-05-01-first-post-renamed.html.md"))
    report = build(settings, clock)
    assert [c.kind.value for c in report.changes] == ["renamed"]
    after = entries(blog.output / "feed.xml")
    assert [e.id for e in after] == before
    assert after[0].link.endswith("/first-post-renamed.html")


def test_ids_survive_a_rename_with_an_edit(blog: Blog, clock: FixedClock) -> None:
    old = blog.post("2024-05-01-first.html.md", POST, BODY)
    settings = blog.settings()
    build(settings, clock)
    before = ids(blog.output / "feed.xml")
    old.unlink()
    blog.post("2024-05-01-first-again.html.md", POST, BODY + "\n\nOne more sentence.")
    build(settings, clock)
    assert ids(blog.output / "feed.xml") == before


def test_ids_survive_a_change_of_site_scheme_and_host(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-first.html.md", POST, BODY)
    build(blog.settings(url="http://blog.example.org/"), clock)
    before = ids(blog.output / "feed.xml")
    build(blog.settings(url="https://www.example.net/"), clock)
    after = entries(blog.output / "feed.xml")
    assert [e.id for e in after] == before
    assert after[0].link.startswith("https://www.example.net/")


def test_id_template_reproduces_an_old_feeds_ids(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-first.html.md", POST, BODY)
    build(blog.settings('[identity]\nid_template = "http://{host}/{path}"'), clock)
    assert ids(blog.output / "feed.xml") == ["http://blog.example.org/blog/2024/05/first.html"]


def test_default_ids_are_tag_uris(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-first.html.md", POST, BODY)
    build(blog.settings(), clock)
    assert ids(blog.output / "feed.xml") == [
        "tag:blog.example.org,2024-05-01:/blog/2024/05/first.html"
    ]


def test_a_declared_id_is_used(blog: Blog, clock: FixedClock) -> None:
    blog.post(
        "2024-05-01-first.html.md", {**POST, "id": "urn:uuid:4d1e2a5c-0000-4000-8000-000000000001"}
    )
    build(blog.settings(), clock)
    assert ids(blog.output / "feed.xml") == ["urn:uuid:4d1e2a5c-0000-4000-8000-000000000001"]


def test_a_typo_fix_does_not_move_updated(blog: Blog, clock: FixedClock) -> None:
    path = blog.post("2024-05-01-first.html.md", POST, BODY)
    settings = blog.settings()
    build(settings, clock)
    before = entries(blog.output / "feed.xml")[0].updated
    clock.advance(timedelta(days=3))
    blog.post(path.name, POST, BODY.replace("enough words", "enuogh words", 1))
    report = build(settings, clock)
    assert report.written  # the fix itself is published
    after = entries(blog.output / "feed.xml")[0]
    assert after.updated == before
    assert "enuogh" in after.content[0].value


def test_a_real_edit_moves_updated_to_now(blog: Blog, clock: FixedClock) -> None:
    path = blog.post("2024-05-01-first.html.md", POST, BODY)
    settings = blog.settings()
    build(settings, clock)
    clock.advance(timedelta(days=3))
    blog.post(
        path.name,
        POST,
        BODY + "\n\nUpdate: the release moved to next week, see the new plan below.",
    )
    build(settings, clock)
    assert entries(blog.output / "feed.xml")[0].updated == "2024-06-04T12:00:00+00:00"


def test_small_edits_add_up_against_the_last_significant_version(
    blog: Blog, clock: FixedClock
) -> None:
    path = blog.post("2024-05-01-first.html.md", POST, BODY)
    settings = blog.settings()
    build(settings, clock)
    before = entries(blog.output / "feed.xml")[0].updated
    body = BODY
    for word in ("Paragraph 1", "Paragraph 2", "Paragraph 3", "Paragraph 4"):
        body = body.replace(word, word.replace("Paragraph", "Section"), 1)
        clock.advance(timedelta(hours=1))
        blog.post(path.name, POST, body)
        build(settings, clock)
    assert entries(blog.output / "feed.xml")[0].updated != before


def test_posts_edited_together_get_distinct_updated(blog: Blog, clock: FixedClock) -> None:
    paths = [
        blog.post(
            f"2024-05-0{n}-p{n}.html.md", {**POST, "title": f"P{n}", "date": f"2024-05-0{n}"}, BODY
        )
        for n in (1, 2)
    ]
    settings = blog.settings()
    build(settings, clock)
    clock.advance(timedelta(days=1, microseconds=1234))
    for n, path in zip((1, 2), paths, strict=True):
        blog.post(
            path.name,
            {**POST, "title": f"P{n}", "date": f"2024-05-0{n}"},
            BODY + "\n\nA new closing paragraph with news.",
        )
    build(settings, clock)
    updated = sorted(e.updated for e in entries(blog.output / "feed.xml"))
    assert updated == ["2024-06-02T12:00:00+00:00", "2024-06-02T12:00:01+00:00"]


def test_frontmatter_updated_wins(blog: Blog, clock: FixedClock) -> None:
    path = blog.post("2024-05-01-first.html.md", POST, BODY)
    settings = blog.settings()
    build(settings, clock)
    blog.post(path.name, {**POST, "updated": "2024-05-20 08:00:00 UTC"}, BODY)
    build(settings, clock)
    assert entries(blog.output / "feed.xml")[0].updated == "2024-05-20T08:00:00+00:00"


def test_mtime_alone_changes_nothing(blog: Blog, clock: FixedClock) -> None:
    path = blog.post("2024-05-01-first.html.md", POST, BODY)
    settings = blog.settings()
    build(settings, clock)
    path.touch()
    report = build(settings, clock)
    assert report.written == []
    assert report.changes == []


def test_posts_on_the_same_day_get_distinct_updated(blog: Blog, clock: FixedClock) -> None:
    for n in range(3):
        blog.post(f"2024-05-01-post-{n}.html.md", {"title": f"Post {n}", "tags": "News"})
    build(blog.settings(), clock)
    updated = [e.updated for e in entries(blog.output / "feed.xml")]
    assert len(set(updated)) == 3


def test_unpublished_draft_and_future_posts_stay_out(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-live.html.md", {**POST, "title": "Live"})
    blog.post("2024-05-02-hidden.html.md", {**POST, "title": "Hidden", "published": False})
    blog.post("2024-05-03-draft.html.md", {**POST, "title": "Draft", "draft": True})
    blog.post(
        "2024-07-01-later.html.md", {**POST, "title": "Later", "date": "2024-07-01 09:00:00 UTC"}
    )
    settings = blog.settings()
    build(settings, clock)
    assert [e.title for e in entries(blog.output / "feed.xml")] == ["Live"]
    assert [e.title for e in entries(blog.output / "tag" / "news.xml")] == ["Live"]
    clock.set(clock.now() + timedelta(days=31))
    build(settings, clock)
    assert [e.title for e in entries(blog.output / "feed.xml")] == ["Later", "Live"]


def test_a_deleted_post_leaves_its_feeds_and_its_tag_feed_empties(
    blog: Blog, clock: FixedClock
) -> None:
    blog.post("2024-05-01-first.html.md", POST, BODY)
    gone = blog.post("2024-05-02-gone.html.md", {**POST, "title": "Gone", "tags": "Rare"})
    settings = blog.settings()
    build(settings, clock)
    assert [e.title for e in entries(blog.output / "tag" / "rare.xml")] == ["Gone"]
    gone.unlink()
    report = build(settings, clock)
    assert [c.kind.value for c in report.changes] == ["deleted"]
    assert [e.title for e in entries(blog.output / "feed.xml")] == ["First"]
    assert entries(blog.output / "tag" / "rare.xml") == []


def test_a_broken_post_does_not_stop_the_others(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-good.html.md", POST, BODY)
    blog.post("2024-05-02-bad.html.md", raw="---\ntitle: [unclosed\n---\nBody\n")
    report = build(blog.settings(), clock)
    assert [e.path for e in report.errors] == ["source/blog/2024-05-02-bad.html.md"]
    assert "YAML" in report.errors[0].reason
    assert [e.title for e in entries(blog.output / "feed.xml")] == ["First"]


def test_a_post_that_breaks_later_keeps_its_last_good_version(
    blog: Blog, clock: FixedClock
) -> None:
    path = blog.post("2024-05-01-first.html.md", POST, BODY)
    settings = blog.settings()
    build(settings, clock)
    path.write_text("---\ntitle: [unclosed\ndate: 2024-05-01\n---\nBroken\n")
    report = build(settings, clock)
    assert len(report.errors) == 1
    assert "YAML" in report.errors[0].reason
    assert [e.title for e in entries(blog.output / "feed.xml")] == ["First"]


def test_only_the_feeds_a_change_touches_are_rewritten(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-a.html.md", {**POST, "title": "A", "tags": "Alpha", "author": "ana"})
    blog.post("2024-05-02-b.html.md", {**POST, "title": "B", "tags": "Beta", "author": "bo"})
    settings = blog.settings()
    build(settings, clock)
    blog.post("2024-05-03-c.html.md", {**POST, "title": "C", "tags": "Beta", "author": "bo"})
    report = build(settings, clock)
    touched = sorted({Path(p).with_suffix("").as_posix() for p in report.written})
    assert touched == ["author/bo", "feed", "tag/beta"]


def test_limit_and_byte_budget(blog: Blog, clock: FixedClock) -> None:
    for n in range(5):
        blog.post(
            f"2024-05-0{n + 1}-p{n}.html.md",
            {**POST, "title": f"P{n}", "date": f"2024-05-0{n + 1}"},
            BODY,
        )
    build(blog.settings("[feeds]\nlimit = 3"), clock)
    assert [e.title for e in entries(blog.output / "feed.xml")] == ["P4", "P3", "P2"]
    build(blog.settings("[feeds]\nlimit = 3\nmax_bytes = 4000"), clock)
    kept = entries(blog.output / "feed.xml")
    assert 1 <= len(kept) < 3
    assert (blog.output / "feed.xml").stat().st_size <= 4000 or len(kept) == 1


def test_summary_only_feeds(blog: Blog, clock: FixedClock) -> None:
    blog.post(
        "2024-05-01-first.html.md", POST, "The summary.\n\nREADMORE\n\nThe rest of the story."
    )
    build(blog.settings('[feeds]\ncontent = "summary"'), clock)
    entry = entries(blog.output / "feed.xml")[0]
    assert "content" not in entry
    assert entry.summary == "<p>The summary.</p>"
    item = json.loads((blog.output / "feed.json").read_text())["items"][0]
    assert "rest of the story" not in item["content_html"]


def test_hubs_are_announced(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-first.html.md", POST, BODY)
    build(blog.settings('[feeds]\nhubs = ["https://hub.example.org/"]'), clock)
    atom = feedparser.parse((blog.output / "feed.xml").read_bytes())
    assert {"rel": "hub", "href": "https://hub.example.org/"} in [
        {"rel": link.rel, "href": link.href} for link in atom.feed.links
    ]
    assert (
        b'<atom:link href="https://hub.example.org/" rel="hub"/>'
        in (blog.output / "feed.rss").read_bytes()
    )
    assert json.loads((blog.output / "feed.json").read_text())["hubs"] == [
        {"type": "WebSub", "url": "https://hub.example.org/"}
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_do_not_change_the_output(blog: Blog, clock: FixedClock, workers: int) -> None:
    import syndicate.pipeline.workers as pool

    for n in range(30):
        blog.post(
            f"2024-05-{n % 28 + 1:02d}-p{n}.html.md",
            {**POST, "title": f"P{n}", "tags": f"T{n % 4}"},
            BODY,
        )
    original, pool.POOL_THRESHOLD = pool.POOL_THRESHOLD, 1
    try:
        build(blog.settings(f"[build]\nworkers = {workers}"), clock)
    finally:
        pool.POOL_THRESHOLD = original
    digest = {k: len(v) for k, v in snapshot(blog.output).items()}
    assert len(digest) == 3 * (1 + 4 + 1)
    assert len(entries(blog.output / "feed.xml")) == 20


def test_the_atom_feeds_first_link_is_the_sites_page(blog: Blog, clock: FixedClock) -> None:
    """Some JavaScript feed parsers take the first <link> as the site's address."""
    blog.post("2024-05-01-first.html.md", POST, BODY)
    build(blog.settings(), clock)
    atom = "{http://www.w3.org/2005/Atom}"
    for path in [blog.output / "feed.xml", *sorted((blog.output / "tag").glob("*.xml"))]:
        feed = etree.fromstring(path.read_bytes())
        links = [(link.get("rel"), link.get("href")) for link in feed.findall(f"{atom}link")]
        assert [rel for rel, _ in links[:2]] == ["alternate", "self"], (path, links)
    first = etree.fromstring((blog.output / "feed.xml").read_bytes()).find(f"{atom}link")
    assert first is not None and first.get("href") == "https://blog.example.org/"
