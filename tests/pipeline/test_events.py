"""Publication events: published, updated, withdrawn, each exactly once, never for old posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syndicate.clock import FixedClock
from syndicate.pipeline.opening import open_builder
from syndicate.store.ledger import Ledger
from tests.conftest import Blog, build

POST = {"title": "A post", "author": "ana", "tags": "News"}
BODY = "\n\n".join(f"Paragraph {n} with enough words in it to be a real post." for n in range(6))


def kinds(blog: Blog) -> list[tuple[str, str]]:
    ledger = Ledger.open(blog.settings().store_url)
    try:
        titles = {r.pk: r.post.title for r in ledger.records().values()}
        return [(e.kind, titles[e.post_pk]) for e in ledger.events()]
    finally:
        ledger.close()


def test_a_first_build_announces_nothing(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-old.html.md", {**POST, "title": "Old"}, BODY)
    report = build(blog.settings(), clock)
    assert report.events == []
    assert kinds(blog) == []


def test_each_change_gives_one_event(blog: Blog, clock: FixedClock) -> None:
    settings = blog.settings()
    build(settings, clock)  # the blog starts empty: nothing to take as already seen
    path = blog.post("2024-05-10-new.html.md", {**POST, "title": "New"}, BODY)
    build(settings, clock)
    build(settings, clock)  # nothing changed: nothing more
    blog.post(path.name, {**POST, "title": "New"}, BODY.replace("real", "raeal", 1))  # a typo fix
    build(settings, clock)
    clock.advance(timedelta(hours=1))
    blog.post(path.name, {**POST, "title": "New"}, BODY + "\n\nA whole new paragraph of news here.")
    build(settings, clock)
    blog.post(path.name, {**POST, "title": "New", "published": False}, BODY)
    build(settings, clock)
    blog.post(path.name, {**POST, "title": "New"}, BODY)
    build(settings, clock)
    path.unlink()
    build(settings, clock)
    assert kinds(blog) == [
        ("published", "New"),
        ("updated", "New"),
        ("withdrawn", "New"),
        ("published", "New"),
        ("withdrawn", "New"),
    ]


def test_a_rename_is_not_news(blog: Blog, clock: FixedClock) -> None:
    settings = blog.settings()
    build(settings, clock)
    path = blog.post("2024-05-10-new.html.md", POST, BODY)
    build(settings, clock)
    path.rename(path.with_name("2024-05-10-new-name.html.md"))
    build(settings, clock)
    assert kinds(blog) == [("published", "A post")]


def test_a_future_post_is_published_when_its_date_passes(blog: Blog, clock: FixedClock) -> None:
    settings = blog.settings()
    build(settings, clock)
    later = clock.now() + timedelta(days=2)
    blog.post(
        "2024-06-03-later.html.md", {**POST, "title": "Later", "date": later.isoformat()}, BODY
    )
    build(settings, clock)
    assert kinds(blog) == []
    clock.set(later + timedelta(seconds=1))
    with open_builder(settings, clock=clock) as builder:
        report = builder.build(changed=[])  # no file changed: only time did
    assert [e.kind for e in report.events] == ["published"]
    assert kinds(blog) == [("published", "Later")]


def test_an_upgraded_ledger_does_not_announce_its_posts_again(
    blog: Blog, clock: FixedClock
) -> None:
    settings = blog.settings()
    blog.post("2024-05-01-old.html.md", POST, BODY)
    build(settings, clock)
    from sqlalchemy import create_engine, text

    with create_engine(settings.store_url).begin() as conn:  # what a version-1 ledger looked like
        conn.execute(text("DROP TABLE events"))
        conn.execute(text("DROP INDEX ix_posts_source_stamp"))  # 0007's, on `public` too
        conn.execute(text("DROP INDEX ix_posts_updated"))
        conn.execute(text("CREATE INDEX ix_posts_source ON posts (source)"))
        conn.execute(text("ALTER TABLE posts DROP COLUMN public"))
        conn.execute(text("ALTER TABLE posts DROP COLUMN published_at"))
        conn.execute(text("ALTER TABLE feeds DROP COLUMN pinged"))
        conn.execute(text("UPDATE state SET value = '1' WHERE key = 'schema_version'"))
        conn.execute(text("DROP TABLE alembic_version"))  # it came before Alembic too
    report = build(settings, clock)
    assert report.events == []
    blog.post("2024-05-20-fresh.html.md", {**POST, "title": "Fresh"}, BODY)
    build(settings, clock)
    assert kinds(blog) == [("published", "Fresh")]


def test_backfill_queues_old_posts_once(blog: Blog, clock: FixedClock) -> None:
    for day in (1, 2, 3):
        blog.post(
            f"2024-05-0{day}-p{day}.html.md",
            {**POST, "title": f"P{day}", "date": f"2024-05-0{day}"},
        )
    settings = blog.settings()
    build(settings, clock)
    with open_builder(settings, clock=clock) as builder:
        queued = builder.backfill(datetime(2024, 5, 2, tzinfo=UTC))
        again = builder.backfill(datetime(2024, 5, 1, tzinfo=UTC))
    assert [e.entry_id.rsplit("/", 1)[-1] for e in queued] == ["p2.html", "p3.html"]
    assert [e.entry_id.rsplit("/", 1)[-1] for e in again] == ["p1.html"]
    ledger = Ledger.open(settings.store_url)
    assert all(e.backfill for e in ledger.events())
    ledger.close()
