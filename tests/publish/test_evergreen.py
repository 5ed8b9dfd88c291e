"""Re-sharing older posts: which post and when (pure rules), then through the real dispatcher
to mastodon-mock: each planned re-share goes out once, inside the account's windows, never
while new posts wait, never the same post twice within its period, and a lost answer is
found rather than posted again."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syndicate.accounts import AccountSettings, ReshareSettings
from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.model import QUEUED, Delivery, DeliveryStatus, Post, PostOverrides, Tag
from syndicate.pipeline.opening import open_builder
from syndicate.publish.dispatch import delivery_key
from syndicate.publish.evergreen import choose, reshare_due
from syndicate.publish.opening import open_publishing
from syndicate.store.ledger import Record
from tests.conftest import NOW, Blog
from tests.peers.mastodon import TOKEN, MastodonPeer, serve_mastodon


def record(pk: int, days_old: float, *tags: str, public: bool = True, skip: bool = False) -> Record:
    post = Post(
        source=f"{pk}.md",
        slug=str(pk),
        title=f"Post {pk}",
        date=NOW - timedelta(days=days_old),
        permalink=f"https://blog.example.org/{pk}/",
        tags=tuple(Tag(t.lower(), t) for t in tags),
        overrides=PostOverrides(skip=skip),
    )
    return Record(
        pk=pk, entry_id=f"tag:blog,2024:{pk}", source=post.source, declared_id=None,
        content_hash="", title_key="", source_hash="", mtime_ns=0, size=0,
        body_format="markdown", post=post, first_seen=post.date, updated=post.date,
        public=public,
    )  # fmt: skip


def delivered(pk: int, days_ago: float, reshare: int = 0, status: str = "sent") -> Delivery:
    when = NOW - timedelta(days=days_ago)
    return Delivery(
        id=pk * 10 + reshare, post_pk=pk, entry_id=f"tag:blog,2024:{pk}", account="toots",
        status=DeliveryStatus(status), published_at=when, created=when, updated=when,
        sent_at=when if status == "sent" else None, reshare=reshare,
    )  # fmt: skip


def account(**reshare: Any) -> AccountSettings:
    return AccountSettings(
        name="toots",
        network="mastodon",
        server="https://m.example",
        reshare=ReshareSettings(enabled=True, **reshare),
    )


def records(*made: Record) -> dict[int, Record]:
    return {r.pk: r for r in made}


def test_the_post_posted_longest_ago_goes_first_never_posted_before_all() -> None:
    posts = records(record(1, 400), record(2, 300), record(3, 200))
    history = [delivered(1, 250), delivered(3, 190)]
    chosen = choose(account(), posts, history, NOW)
    assert chosen is not None and (chosen.record.pk, chosen.number) == (2, 1)
    again = choose(account(), posts, [*history, delivered(2, 1, reshare=1)], NOW)
    assert again is not None and (again.record.pk, again.number) == (1, 1)


def test_age_tags_routing_skip_and_the_quiet_period_narrow_the_choice() -> None:
    posts = records(
        record(1, 10),  # too young
        record(2, 900),  # too old
        record(3, 100, "Draft", public=False),
        record(4, 100, "Other"),
        record(5, 100, "Release", skip=True),
        record(6, 100, "Release"),
        record(7, 120, "Release"),
    )
    rules = {"min_age_days": 30, "max_age_days": 365, "tags": ["release"]}
    history = [delivered(7, 100, reshare=0), delivered(7, 20, reshare=1)]  # 7: re-shared lately
    chosen = choose(account(**rules), posts, history, NOW)
    assert chosen is not None and chosen.record.pk == 6
    assert choose(account(**rules), records(record(7, 120, "Release")), history, NOW) is None
    later = NOW + timedelta(days=181)
    unbounded = account(**{**rules, "max_age_days": None})
    found = choose(unbounded, records(record(7, 120, "Release")), history, later)
    assert found is not None and found.number == 2


def test_a_reshare_waits_for_new_posts_and_for_its_interval() -> None:
    assert not reshare_due(AccountSettings(name="x", network="x"), [], NOW)
    assert reshare_due(account(), [], NOW)
    assert not reshare_due(account(), [delivered(1, 0, status="scheduled")], NOW)
    assert not reshare_due(account(), [delivered(1, 0.5, reshare=1)], NOW)
    assert reshare_due(account(), [delivered(1, 1.5, reshare=1)], NOW)
    assert reshare_due(account(every_hours=6), [delivered(1, 0.3, reshare=1)], NOW)


def test_each_reshare_has_its_own_idempotency_key() -> None:
    keys = {delivery_key(delivered(1, 0, reshare=n)) for n in range(3)}
    assert len(keys) == 3
    assert delivery_key(delivered(1, 0)) == delivery_key(delivered(1, 5))  # stable


# -- through the dispatcher ------------------------------------------------------------------


@pytest.fixture(scope="module")
def mastodon() -> Iterator[MastodonPeer]:
    with serve_mastodon() as peer:
        yield peer


CONFIG = """
[[accounts]]
name = "toots"
network = "mastodon"
server = "{server}"
credentials = {{token = "env:MASTODON_TOKEN"}}
link_query = "utm_source=mastodon&utm_campaign=evergreen"
[accounts.timing]
delay = 0
windows = ["09:00-17:00"]
[accounts.reshare]
enabled = true
every_hours = 24
min_age_days = 30
not_within_days = 60
"""


@pytest.fixture
def settings(
    mastodon: MastodonPeer, blog: Blog, monkeypatch: pytest.MonkeyPatch, request: Any
) -> Settings:
    monkeypatch.setenv("MASTODON_TOKEN", TOKEN)
    # The instance lives for the module: each test's posts are its own (the same entry id
    # would be the same idempotency key, and Mastodon would answer with the earlier status).
    test = zlib.crc32(request.node.name.encode()) % 10_000
    for day in (1, 2, 3):
        blog.post(f"2024-0{day}-1{day}-old-{day}-{test}.md", {"title": f"Old news {day} {test}"})
    return blog.settings(CONFIG.format(server=mastodon.url))


def build(settings: Settings, clock: FixedClock) -> None:
    with open_builder(settings, clock=clock) as builder:
        builder.build()


def passes(settings: Settings, clock: FixedClock, days: int) -> list[Delivery]:
    """Run the outbox every hour for `days` days; the re-shares it made."""
    with open_publishing(settings, clock) as dispatcher:
        for _ in range(days * 24):
            dispatcher.run_once()
            clock.advance(timedelta(hours=1))
        return [d for d in dispatcher.outbox.select() if d.reshare]


def test_reshares_go_out_once_a_day_in_the_window_oldest_first(
    settings: Settings, clock: FixedClock, mastodon: MastodonPeer
) -> None:
    build(settings, clock)  # the old posts: seen, never announced
    before = {s["id"] for s in mastodon.statuses()}
    reshares = passes(settings, clock, days=4)
    assert [d.status for d in reshares] == [DeliveryStatus.SENT] * 3
    assert [d.post_pk for d in sorted(reshares, key=lambda d: d.id)] == [1, 2, 3]
    assert all(d.sent_at and 9 <= d.sent_at.astimezone(UTC).hour < 17 for d in reshares)
    made = [s for s in mastodon.statuses() if s["id"] not in before]
    texts = sorted(mastodon.source(s["id"]) for s in made)
    assert len(made) == 3 and all(t.startswith("From the archive: Old news") for t in texts)
    assert all("utm_campaign=evergreen" in t for t in texts)
    assert passes(settings, clock, days=2) == reshares  # within 60 days: nothing again


def test_a_new_post_goes_before_a_reshare(
    settings: Settings, clock: FixedClock, blog: Blog
) -> None:
    build(settings, clock)
    blog.post("2024-06-01-fresh.md", {"title": "Fresh"})
    build(settings, clock)
    with open_publishing(settings, clock) as dispatcher:
        dispatcher.take_events()
        assert dispatcher.queue_reshares() == 0  # the new post waits: no re-share beside it
        clock.set(datetime(2024, 6, 2, 9, 30, tzinfo=UTC))
        dispatcher.run_once()  # the new post goes out...
        assert dispatcher.queue_reshares() == 1  # ...then a re-share may queue


def test_a_lost_answer_to_a_reshare_is_found_not_posted_again(
    settings: Settings, clock: FixedClock, mastodon: MastodonPeer
) -> None:
    build(settings, clock)
    clock.set(datetime(2024, 6, 2, 10, 0, tzinfo=UTC))
    before = {s["id"] for s in mastodon.statuses()}
    mastodon.relay.lose("POST", "/api/v1/statuses", "drop")
    with open_publishing(settings, clock) as dispatcher:
        dispatcher.run_once()  # queued, sent, the answer lost
        [reshare] = [d for d in dispatcher.outbox.select() if d.reshare]
        assert reshare.status in QUEUED and reshare.uncertain
        clock.advance(timedelta(hours=1))
        dispatcher.run_once()
        [reshare] = [d for d in dispatcher.outbox.select() if d.reshare]
    made = [s for s in mastodon.statuses() if s["id"] not in before]
    assert reshare.status is DeliveryStatus.SENT and len(made) == 1
    assert reshare.remote_id == made[0]["id"]
