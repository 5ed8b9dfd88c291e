"""The ledger round-trips records and feed records, and refuses a newer schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from msgspec.structs import replace
from sqlalchemy import create_engine, text

from syndicate.errors import StoreError
from syndicate.model import Author, Post, PostOverrides, Tag, Visibility
from syndicate.store.cache import RenderCache
from syndicate.store.codec import dump_post, load_post
from syndicate.store.ledger import Event, FeedRecord, Ledger, Record

WHEN = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
POST = Post(
    source="source/blog/2024-05-01-a.html.md",
    slug="a",
    title="A & B",
    date=WHEN,
    permalink="https://x.org/blog/2024/05/a.html",
    authors=(Author("ana", "Ana", twitter="ana"),),
    tags=(Tag("rdo", "RDO"),),
    visibility=Visibility.DRAFT,
    summary="Short.",
    overrides=PostOverrides(skip=True, text="Hi"),
)


def record(pk: int = 1, source: str | None = POST.source) -> Record:
    return Record(
        pk,
        f"tag:x.org,2024-05-01:/{pk}",
        source,
        None,
        "c",
        "a & b",
        "s",
        1,
        2,
        "markdown",
        POST,
        WHEN,
        WHEN,
    )


def test_posts_survive_json() -> None:
    assert load_post(dump_post(POST)) == POST
    published_ahead = replace(POST, waits_for_date=False)
    assert load_post(dump_post(published_ahead)) == published_ahead


@given(st.text(st.characters(codec="utf-8"), max_size=30))
def test_posts_are_stored_as_the_standard_library_writes_json(text: str) -> None:
    """msgspec reads and writes the ledger's JSON; the text is json.dumps's, as it always was."""
    post = replace(POST, title=text, summary=text or None, tags=(Tag("t", text),))
    stored = dump_post(post)
    assert stored == json.dumps(json.loads(stored), ensure_ascii=False, separators=(",", ":"))
    assert load_post(stored) == post


def test_records_and_feeds_round_trip(tmp_path: Path) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'deep' / 'ledger.db'}")
    feed = FeedRecord("feed.xml", "site", "", "X", "tag:x", "sig", "dig", 10, 1)
    ledger.save([record(1), record(2, None)], [feed], {"k": "v"})
    again = Ledger.open(f"sqlite:///{tmp_path / 'deep' / 'ledger.db'}")
    records = again.records()
    assert records[1].post == POST and records[2].source is None
    assert records[1].entry_id == "tag:x.org,2024-05-01:/1"
    assert again.feeds() == {"feed.xml": feed}
    assert again.state()["k"] == "v"


def test_a_feeds_members_are_read_when_asked_for(tmp_path: Path) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    feed = FeedRecord("feed.xml", "site", "", "X", "tag:x", "sig", "dig", 10, 1, members='["a"]')
    ledger.save([record(1), record(2, None)], [feed])
    assert ledger.feeds(members=True) == {"feed.xml": feed}
    assert ledger.feeds()["feed.xml"] == replace(feed, members=None)
    assert list(ledger.deleted_records()) == [2]
    assert list(ledger.records_by_entry(["tag:x.org,2024-05-01:/1"])) == [1]


def test_a_quick_build_reads_the_files_stamps_and_asks_for_ids_and_instants(
    tmp_path: Path,
) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.save([record(1), record(2, None)])
    first = record(1)
    assert [tuple(row) for row in ledger.file_stamps()] == [(POST.source, 1, 2, 1)]
    assert ledger.next_pk() == 3
    assert ledger.holds_entry_id(first.entry_id) and not ledger.holds_entry_id("tag:x.org,1:/1")
    # An instant is the same whatever its zone, as it is stored: in UTC.
    assert ledger.holds_updated(first.updated.astimezone(timezone(timedelta(hours=2))))
    assert not ledger.holds_updated(first.updated + timedelta(seconds=1))


def test_saving_twice_updates_in_place(tmp_path: Path) -> None:
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.save([record(1)])
    ledger.save([record(1, "source/blog/renamed.html.md")])
    assert ledger.records()[1].source == "source/blog/renamed.html.md"


def test_a_ledger_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    Ledger.open(url)
    with create_engine(url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999_from_the_future'"))
    with pytest.raises(StoreError, match="newer syndicate"):
        Ledger.open(url)


def test_a_damaged_cache_is_started_afresh(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    cache = RenderCache(path)
    assert cache.get_many([1]) == {}
    cache.close()


def test_the_ledger_names_the_columns_schema_py_declares() -> None:
    from syndicate.store import ledger, schema

    assert tuple(c.name for c in schema.posts.columns) == ledger.POST_COLUMNS
    assert tuple(c.name for c in schema.feeds.columns) == ledger.FEED_COLUMNS


def test_every_statement_of_the_ledger_runs_on_its_database(ledger_url: str) -> None:
    """Records, feeds, state, events, bodies and sources through the driver, in chunks past
    SQLite's parameter cap, on SQLite and PostgreSQL alike."""
    ledger = Ledger.open(ledger_url)
    try:
        feed = FeedRecord("feed.xml", "site", "", "X", "tag:x", "sig", "dig", 10, 1, "old")
        many = [record(pk, f"source/blog/{pk}.md") for pk in range(1, 1203)]
        bodies = {f"remote:{i}": f"<p>{i}% done</p>" for i in range(700)}
        events = [Event(1, "tag:x,1", "published", WHEN), Event(2, "tag:x,2", "updated", WHEN)]
        ledger.save(many, [feed], {"k": "v"}, events, {"planet": "{}"}, bodies)
        ledger.save(feeds=[replace(feed, pinged="ignored", digest="new")])
        assert len(ledger.records()) == 1202
        assert sorted(ledger.records_of(range(600, 1300))) == list(range(600, 1203))
        assert ledger.feeds()["feed.xml"].pinged == "old"  # only mark_pinged writes it
        assert ledger.mark_pinged({"feed.xml": "new", "gone.xml": "x"}) == 1
        assert ledger.feeds()["feed.xml"].pinged == "new"
        assert ledger.bodies([*list(bodies), "remote:none"]) == bodies
        stored = ledger.events()
        assert [(e.post_pk, e.kind, e.at) for e in stored] == [(1, "published", WHEN),
                                                              (2, "updated", WHEN)]  # fmt: skip
        assert ledger.events(after=stored[0].seq or 0, limit=5) == stored[1:]
        assert ledger.announced() == {1}
        assert ledger.source_states() == {"planet": "{}"}
        assert ledger.state() == {"k": "v", "schema_version": "3"}
    finally:
        ledger.close()


def test_a_quick_build_reads_only_the_feeds_its_posts_join(ledger_url: str) -> None:
    """Every feed's path, and whole records (members too) only for the groups asked for (not
    another kind's feed with the same key), on SQLite and PostgreSQL alike."""
    ledger = Ledger.open(ledger_url)
    try:
        site = FeedRecord("feed.xml", "site", "", "X", "tag:x", "s", "d", 1, 1, members='["a"]')
        tags = [
            FeedRecord(f"tag/t{i}.{ext}", "tag", f"t{i}", f"T{i}", "id", "s", "d", 1, 1, '["b"]')
            for i in range(300)
            for ext in ("xml", "rss")
        ]
        ledger.save(feeds=[site, *tags])
        assert ledger.feed_paths() == {"feed.xml", *(t.path for t in tags)}
        asked = [("site", ""), ("tag", "t7"), ("tag", "unknown"), ("author", "t7")]
        asked += [("tag", f"t{i}") for i in range(100, 400)]  # 304 groups
        found = ledger.feeds_of(asked)
        wanted = [site, *(t for t in tags if t.key == "t7" or int(t.key[1:]) >= 100)]
        assert found == {f.path: f for f in wanted}
        assert ledger.feeds_of([]) == {}
    finally:
        ledger.close()


def test_a_failed_save_writes_nothing(ledger_url: str) -> None:
    ledger = Ledger.open(ledger_url)
    try:
        ledger.save([record(1)])
        clash = replace(record(2), entry_id=record(1).entry_id)  # entry ids are unique
        with pytest.raises(StoreError, match="cannot write the ledger"):
            ledger.save([record(3, "source/blog/3.md"), clash], state={"k": "v"})
        assert sorted(ledger.records()) == [1] and "k" not in ledger.state()
    finally:
        ledger.close()


def test_a_ledger_that_cannot_be_reached_is_a_clear_error() -> None:
    """No server listens there: the command says so, with no traceback and no password."""
    url = "postgresql+psycopg://syndicate:s3cret@127.0.0.1:9/ledger?connect_timeout=2"
    with pytest.raises(StoreError) as raised:
        Ledger.open(url)
    assert "s3cret" not in str(raised.value)
