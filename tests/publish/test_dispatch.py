"""The outbox worker over a real blog, ledger and outbox: events become deliveries, each sent
once at its time; failures wait, back off, pause or fail as the network says; a send cut off by
a crash is resolved by asking the network before any resend.

The network here is `Network`, a stand-in that keeps what it was sent and fails on request: the
real peers (mastodon-mock, a PDS, the X and webhook servers) have their own tests, and the
fault and crash tests drive them through the daemon.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.errors import (
    AmbiguousError,
    AuthError,
    DuplicateError,
    PublishError,
    RateLimitedError,
    TransientError,
)
from syndicate.model import DeliveryStatus
from syndicate.pipeline.opening import open_builder
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.dispatch import Dispatcher, delivery_key
from syndicate.publish.pool import PublisherPool
from syndicate.sections import replace
from syndicate.store.cache import RenderCache
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Outbox
from tests.conftest import Blog

ACCOUNTS = """
[publish]
retry_base = 60

[[accounts]]
name = "rdo-x"
network = "x"
include_tags = ["RDO", "OpenStack"]
[accounts.credentials]
consumer_key = "env:K"
consumer_secret = "env:K"
access_token = "env:K"
access_token_secret = "env:K"
[accounts.timing]
delay = 300

[[accounts]]
name = "team-chat"
network = "webhook"
credentials = {url = "env:K"}
[accounts.timing]
delay = 0
"""


@dataclass
class Network:
    """What one account's network received, and the failures it is told to answer with."""

    posts: dict[str, str] = field(default_factory=dict)  # idempotency key -> text
    failures: list[PublishError] = field(default_factory=list)
    apply_then_fail: bool = False  # the post lands, but the answer is lost

    def publisher(self, context: Context) -> Publisher:
        return _Publisher(self)


class _Publisher:
    def __init__(self, network: Network) -> None:
        self.network = network

    def rules(self) -> TextRules:
        return TextRules("webhook", 10_000, "chars", None)

    def send(self, message: Message, key: str) -> Receipt:
        if self.network.apply_then_fail:
            self.network.apply_then_fail = False
            self.network.posts[key] = message.text
            raise AmbiguousError("connection dropped after sending")
        if self.network.failures:
            raise self.network.failures.pop(0)
        if key in self.network.posts:
            raise DuplicateError("duplicate content")
        self.network.posts[key] = message.text
        return Receipt(key, f"https://social.example/{key}")

    def find(self, message: Message, key: str) -> Receipt | None:
        return Receipt(key, f"https://social.example/{key}") if key in self.network.posts else None

    def close(self) -> None:
        pass


@dataclass
class World:
    blog: Blog
    settings: Settings
    clock: FixedClock
    networks: dict[str, Network]
    ledger: Ledger
    cache: RenderCache

    def build(self) -> None:
        with open_builder(self.settings, clock=self.clock) as builder:
            builder.build()

    def dispatcher(self, owner: str = "here:1") -> Dispatcher:
        networks = self.networks
        pool = PublisherPool(
            self.ledger.engine,
            self.clock,
            {"K": "https://hooks.example/hook-secret"},
            self.settings.base_dir,
            factory=lambda network: networks["x" if network == "x" else "hook"].publisher,
        )
        return Dispatcher(
            self.settings, self.ledger, Outbox(self.ledger.engine), pool,
            clock=self.clock, cache=self.cache, owner=owner,
        )  # fmt: skip

    def outbox(self) -> Outbox:
        return Outbox(self.ledger.engine)

    def statuses(self) -> dict[tuple[str, str], str]:
        records = self.ledger.records()
        return {
            (records[d.post_pk].post.title, d.account): str(d.status)
            for d in self.outbox().select()
        }


@pytest.fixture
def world(blog: Blog, clock: FixedClock) -> Iterator[World]:
    blog.post("2024-05-01-old.html.md", {"title": "Old news", "tags": "RDO"})
    settings = blog.settings(ACCOUNTS)
    ledger = Ledger.open(settings.store_url)
    cache = RenderCache(settings.cache_path)
    w = World(blog, settings, clock, {"x": Network(), "hook": Network()}, ledger, cache)
    w.build()  # the first build takes what is there as seen: nothing to announce
    yield w
    cache.close()
    ledger.close()


def publish(world: World, title: str, tags: str = "RDO", when: str = "2024-06-01") -> None:
    slug = title.lower().replace(" ", "-")
    world.blog.post(f"{when}-{slug}.html.md", {"title": title, "tags": tags})
    world.build()


def test_a_new_post_goes_to_each_account_that_takes_it_once_at_its_time(world: World) -> None:
    dispatcher = world.dispatcher()
    assert dispatcher.run_once() is None  # the existing post is not announced
    publish(world, "Fresh release", tags="RDO, Release")
    publish(world, "Cooking tips", tags="Food")
    upcoming = dispatcher.run_once()
    assert world.statuses() == {
        ("Fresh release", "rdo-x"): "scheduled",
        ("Fresh release", "team-chat"): "sent",
        ("Cooking tips", "team-chat"): "sent",
    }
    assert upcoming == world.clock.now() + timedelta(seconds=300)
    world.clock.advance(timedelta(seconds=300))
    assert dispatcher.run_once() is None
    assert len(world.networks["x"].posts) == 1 and len(world.networks["hook"].posts) == 2
    sent = world.outbox().select(account="rdo-x")[0]
    assert sent.text is not None and "Fresh release" in sent.text
    assert sent.remote_url == f"https://social.example/{delivery_key(sent)}"
    world.clock.advance(timedelta(days=1))
    assert dispatcher.run_once() is None
    assert len(world.networks["x"].posts) == 1


def test_an_edit_never_makes_a_second_delivery(world: World) -> None:
    dispatcher = world.dispatcher()
    publish(world, "Fresh release")
    world.clock.advance(timedelta(minutes=10))
    dispatcher.run_once()
    world.blog.post(
        "2024-06-01-fresh-release.html.md",
        {"title": "Fresh release", "tags": "RDO"},
        "A much longer text now, rewritten from the first word to the last one, twice over.",
    )
    world.build()
    world.clock.advance(timedelta(minutes=10))
    dispatcher.run_once()
    assert len(world.outbox().select()) == 2
    assert len(world.networks["x"].posts) == 1


def test_a_withdrawn_post_cancels_what_has_not_gone_out_and_comes_back_if_republished(
    world: World,
) -> None:
    dispatcher = world.dispatcher()
    publish(world, "Too early")
    path = world.blog.posts / "2024-06-01-too-early.html.md"
    world.blog.post(path.name, {"title": "Too early", "tags": "RDO", "published": False})
    world.build()
    dispatcher.run_once()
    assert world.statuses()[("Too early", "rdo-x")] == "skipped"
    world.blog.post(path.name, {"title": "Too early", "tags": "RDO"})
    world.build()
    world.clock.advance(timedelta(minutes=10))
    dispatcher.run_once()
    assert world.statuses()[("Too early", "rdo-x")] == "sent"


def test_skip_in_the_frontmatter_is_shown_as_skipped(world: World) -> None:
    world.blog.post(
        "2024-06-01-quiet.html.md", {"title": "Quiet", "tags": "RDO", "syndicate": {"skip": True}}
    )
    world.build()
    world.dispatcher().run_once()
    assert world.statuses() == {("Quiet", "rdo-x"): "skipped", ("Quiet", "team-chat"): "skipped"}


def test_a_rate_limit_holds_the_account_until_its_reset(world: World) -> None:
    reset = world.clock.now() + timedelta(minutes=30)
    world.networks["hook"].failures.append(RateLimitedError("429", reset))
    dispatcher = world.dispatcher()
    publish(world, "One", tags="Food")
    publish(world, "Two", tags="Food", when="2024-06-01-b")
    assert dispatcher.run_once() == reset
    assert world.networks["hook"].posts == {}
    world.clock.set(reset)
    dispatcher.run_once()
    assert len(world.networks["hook"].posts) == 2


def test_transient_failures_back_off_then_fail_and_retry_requeues(world: World) -> None:
    settings = world.settings
    world.settings = replace(settings, publish=replace(settings.publish, max_attempts=3))
    world.networks["hook"].failures += [TransientError("502")] * 3
    dispatcher = world.dispatcher()
    publish(world, "Flaky", tags="Food")
    waits = []
    for _ in range(3):
        upcoming = dispatcher.run_once()
        if upcoming is not None:
            waits.append(upcoming - world.clock.now())
            world.clock.set(upcoming)
    (delivery,) = world.outbox().select()
    assert delivery.status is DeliveryStatus.FAILED and "502 (after 3 tries)" in str(
        delivery.last_error
    )
    # Exponential: 60 s then 120 s, each with jitter of ±50 %.
    assert timedelta(seconds=30) <= waits[0] <= timedelta(seconds=90)
    assert timedelta(seconds=60) <= waits[1] <= timedelta(seconds=180)
    assert world.outbox().retry(delivery.id, world.clock.now())
    dispatcher.run_once()
    assert world.statuses()[("Flaky", "team-chat")] == "sent"


def test_refused_credentials_pause_the_account_until_resumed(world: World) -> None:
    world.networks["hook"].failures.append(AuthError("401 bad token"))
    dispatcher = world.dispatcher()
    publish(world, "Held", tags="Food")
    publish(world, "Also held", tags="Food", when="2024-06-01-b")
    dispatcher.run_once()
    assert set(world.statuses().values()) == {"paused"}
    state = world.outbox().accounts()["team-chat"]
    assert state.paused and state.reason == "401 bad token"
    world.outbox().resume("team-chat", world.clock.now())
    dispatcher.run_once()
    assert set(world.statuses().values()) == {"sent"}
    assert len(world.networks["hook"].posts) == 2


def test_missing_credentials_pause_the_account_and_say_which(world: World) -> None:
    dispatcher = world.dispatcher()
    dispatcher.pool = PublisherPool(
        world.ledger.engine, world.clock, {}, world.settings.base_dir,
        factory=lambda network: world.networks["hook"].publisher,
    )  # fmt: skip
    publish(world, "No keys", tags="Food")
    dispatcher.run_once()
    reason = world.outbox().accounts()["team-chat"].reason
    assert reason == "account 'team-chat': credentials.url: $K is not set"


def test_an_answer_lost_after_the_post_landed_is_not_posted_twice(world: World) -> None:
    world.networks["hook"].apply_then_fail = True
    dispatcher = world.dispatcher()
    publish(world, "Lost answer", tags="Food")
    upcoming = dispatcher.run_once()
    assert upcoming is not None
    world.clock.set(upcoming)
    dispatcher.run_once()
    assert world.statuses()[("Lost answer", "team-chat")] == "sent"
    assert len(world.networks["hook"].posts) == 1


def test_a_send_cut_off_by_a_crash_is_looked_up_before_any_resend(world: World) -> None:
    publish(world, "Crash one", tags="Food")
    publish(world, "Crash two", tags="Food", when="2024-06-01-b")
    crashed = world.dispatcher(owner="here:1")
    crashed.take_events()
    crashed.replan()
    first, second = crashed.due()
    now = world.clock.now()
    lease = now + timedelta(minutes=5)
    outbox = world.outbox()
    # The crashed worker claimed both; the first had reached the network, the second had not.
    assert outbox.claim(first, "here:1", now, lease) and outbox.claim(second, "here:1", now, lease)
    world.networks["hook"].posts[delivery_key(first)] = "Crash one https://..."
    restarted = world.dispatcher(owner="here:2")
    assert restarted.due() == []  # leases still run: the other worker may be alive
    world.clock.set(lease)
    restarted.run_once()
    assert set(world.statuses().values()) == {"sent"}
    assert len(world.networks["hook"].posts) == 2


def test_two_workers_never_send_the_same_delivery(world: World) -> None:
    publish(world, "Contended", tags="Food")
    one, two = world.dispatcher(owner="a:1"), world.dispatcher(owner="b:2")
    one.take_events()
    one.replan()
    (seen,) = one.due()
    results = [one.attempt(seen).result, two.attempt(seen).result]
    assert sorted(results) == ["lost", "sent"]
    assert len(world.networks["hook"].posts) == 1


def test_a_duplicate_the_network_has_counts_as_sent(world: World) -> None:
    publish(world, "Twice", tags="Food")
    dispatcher = world.dispatcher()
    dispatcher.take_events()
    dispatcher.replan()
    (due,) = dispatcher.due()
    world.networks["hook"].posts[delivery_key(due)] = "posted by hand"
    outcome = dispatcher.attempt(due)
    assert (outcome.result, outcome.detail) == ("sent", "the network already had it")
