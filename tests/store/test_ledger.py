"""The ledger round-trips records and feed records, and refuses a newer schema."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from syndicate.errors import StoreError
from syndicate.model import Author, Post, PostOverrides, Tag, Visibility
from syndicate.store.cache import RenderCache
from syndicate.store.codec import dump_post, load_post
from syndicate.store.ledger import FeedRecord, Ledger, Record

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
