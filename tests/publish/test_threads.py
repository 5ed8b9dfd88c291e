"""Threads: a post too long for one post goes out as parts, each fitted by the network's own
counting and posted as a reply to the part before; a resumed delivery never posts a part twice.

The properties run over generated summaries for X, Mastodon and Bluesky. The deliveries go
through the real dispatcher, ledger and outbox to the local X API peer (which checks the reply
chain), mastodon-mock and a real Bluesky PDS, with answers lost mid-thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.accounts import AccountSettings
from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.errors import ConfigError
from syndicate.model import DeliveryStatus, Post, PostOverrides
from syndicate.pipeline.opening import open_builder
from syndicate.publish import counting
from syndicate.publish.network import describe
from syndicate.publish.opening import open_publishing
from syndicate.publish.thread_parts import compose_thread
from syndicate.store.outbox import Outbox
from tests.conftest import Blog
from tests.peers.bluesky import Pds, running_pds, skip_unless_installed
from tests.peers.mastodon import TOKEN, MastodonPeer, serve_mastodon
from tests.peers.x_api import Fault, XApiPeer, XCredentials

USER_ID = "1501234567890123456"
NETWORKS = ("x", "mastodon", "bluesky")
_MARKER = re.compile(r" \((\d+)/(\d+)\)$")
LONG = (
    "RDO is suitable for building private, public, and hybrid clouds. Dalmatian is the 30th "
    "release from the OpenStack project, the work of more than 1,000 contributors from around "
    "the world. The release is available on the CentOS Stream mirrors now, with packages for "
    "every service. Upgrades from Caracal are tested in CI; read the notes before you start. "
    "Thanks to everyone who tested the candidates and reported what broke. See you at the "
    "next summit, where the team will show what comes in the next cycle. "
)


def account(network: str, parts: int = 4, **fields: Any) -> AccountSettings:
    return AccountSettings(
        name=f"{network}-thread",
        network=network,
        server="https://instance.example",
        thread=True,
        thread_parts=parts,
        **fields,
    )


def post(title: str = "Release of RDO Dalmatian", **fields: Any) -> Post:
    return Post(
        source="2024-06-01-dalmatian.md",
        slug="dalmatian",
        title=title,
        date=datetime(2024, 10, 1, tzinfo=UTC),
        permalink="https://blog.example.org/2024/10/01/dalmatian/",
        **fields,
    )


# -- composing -----------------------------------------------------------------------------

words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(
    network=st.sampled_from(NETWORKS),
    summary=st.lists(
        st.one_of(words, st.sampled_from(["end.", "https://example.org/a/b?c=d", "🐝", "#tag"])),
        min_size=1,
        max_size=400,
    ),
    parts=st.integers(2, 8),
)
def test_every_part_fits_by_the_networks_own_counting_and_they_read_in_order(
    network: str, summary: list[str], parts: int
) -> None:
    rules = describe(network).rules
    thread = compose_thread(post(), " ".join(summary), account(network, parts), rules)
    assert 1 <= len(thread) <= parts
    for number, part in enumerate(thread, 1):
        assert (part.part, part.parts) == (number, len(thread))
        assert counting.fits(part.text, rules), (network, part.text)
        assert part.length == counting.count(part.text, rules) <= rules.limit
    if len(thread) == 1:
        return
    assert post().permalink in thread[0].text or rules.shortens_links
    told = []
    for number, part in enumerate(thread[1:], 2):
        marker = _MARKER.search(part.text)
        assert marker is not None and marker.groups() == (str(number), str(len(thread)))
        told.append(part.text[: marker.start()])
    read = "".join(told).replace("…", "").replace(" ", "")
    whole = "".join(" ".join(summary).split()).replace("…", "")
    assert whole.startswith(read)  # in order, nothing added; only the end may be missing


def test_a_post_that_fits_is_one_post_and_threads_are_opt_in() -> None:
    rules = describe("x").rules
    assert len(compose_thread(post(), "Short.", account("x"), rules)) == 1
    plain = AccountSettings(name="x", network="x")
    assert len(compose_thread(post(), LONG, plain, rules)) == 1
    assert len(compose_thread(post(), LONG, account("x"), rules)) == 4


def test_a_posts_own_text_and_a_template_without_summary_are_never_threads() -> None:
    rules = describe("mastodon").rules
    own = post(overrides=PostOverrides(texts=(("mastodon", "Our own words " * 60),)))
    with pytest.raises(Exception, match="own text"):
        compose_thread(own, LONG * 3, account("mastodon"), rules)
    no_summary = account("mastodon", template="{title} " * 40 + "{url}")
    assert len(compose_thread(post(), LONG * 3, no_summary, rules)) == 1


def test_the_last_allowed_part_ends_with_an_ellipsis() -> None:
    thread = compose_thread(post(), LONG * 4, account("x", parts=3), describe("x").rules)
    assert len(thread) == 3
    assert thread[-1].text.endswith("… (3/3)")


def test_a_network_that_cannot_reply_refuses_thread_in_the_settings(blog: Blog) -> None:
    with pytest.raises(ConfigError, match="slack cannot post threads"):
        blog.settings(
            '[[accounts]]\nname = "chat"\nnetwork = "slack"\nthread = true\n'
            'credentials = {url = "env:HOOK"}\n'
        )


# -- delivering, through the real dispatcher and peers -----------------------------------------


@pytest.fixture
def x_peer(monkeypatch: pytest.MonkeyPatch) -> Iterator[XApiPeer]:
    credentials = XCredentials.generate(USER_ID)
    peer = XApiPeer(credentials, USER_ID, "syndicatetest")
    for name, value in credentials.secrets().items():
        monkeypatch.setenv(f"X_{name.upper()}", value)
    with peer.running():
        yield peer


def x_account(peer: XApiPeer) -> str:
    names = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
    secrets = ", ".join(f'{name} = "env:X_{name.upper()}"' for name in names)
    return (
        f'[[accounts]]\nname = "rdo-x"\nnetwork = "x"\nserver = "{peer.url}"\nthread = true\n'
        "thread_parts = 3\n"
        f"credentials = {{{secrets}}}\n[accounts.timing]\ndelay = 0\n"
    )


def announce(blog: Blog, settings: Settings, clock: FixedClock) -> None:
    """An older post (taken as seen), then the long one: only it is announced."""
    blog.post("2024-05-01-old.md", {"title": "Old news"})
    build(settings, clock)
    blog.post(
        "2024-06-01-dalmatian.md",
        {"title": "Release of RDO Dalmatian", "summary": LONG, "tags": ["RDO"]},
    )
    build(settings, clock)


def build(settings: Settings, clock: FixedClock) -> None:
    with open_builder(settings, clock=clock) as builder:
        builder.build()


def run_until_sent(settings: Settings, clock: FixedClock, rounds: int = 6) -> list[Any]:
    """Run the outbox, moving the clock past each retry, until every delivery is sent."""
    with open_publishing(settings, clock) as dispatcher:
        for _ in range(rounds):
            due = dispatcher.run_once()
            deliveries = Outbox(dispatcher.ledger.engine).select()
            if all(d.status is DeliveryStatus.SENT for d in deliveries):
                return [(d, dispatcher.outbox.parts(d.id)) for d in deliveries]
            if due is not None and due > clock.now():
                clock.set(due)
    raise AssertionError(f"not sent: {deliveries}")


def test_an_x_thread_is_a_chain_of_replies(x_peer: XApiPeer, blog: Blog, clock: FixedClock) -> None:
    settings = blog.settings(x_account(x_peer))
    announce(blog, settings, clock)
    [(delivery, parts)] = run_until_sent(settings, clock)
    tweets = x_peer.tweets
    assert [t.posted for t in tweets] == [p.text for p in parts]
    assert [t.in_reply_to for t in tweets] == [None] + [t.id for t in tweets[:-1]]
    assert delivery.remote_id == tweets[0].id and len(tweets) == 3


@pytest.mark.parametrize("lost", [1, 2, 3])
def test_an_answer_lost_mid_thread_resumes_without_repeating_a_part(
    x_peer: XApiPeer, blog: Blog, clock: FixedClock, lost: int
) -> None:
    """Part `lost` reaches X but its answer does not: the next attempt finds it and goes on."""
    settings = blog.settings(x_account(x_peer))
    announce(blog, settings, clock)
    for _ in range(lost - 1):
        x_peer.fail_next(Fault("none"))
    x_peer.fail_next(Fault("drop", apply=True))
    [(delivery, parts)] = run_until_sent(settings, clock)
    tweets = x_peer.tweets
    assert len(tweets) == len({t.posted for t in tweets}) == 3  # no part twice
    assert [t.in_reply_to for t in tweets] == [None, tweets[0].id, tweets[1].id]
    assert [p.remote_id for p in parts] == [t.id for t in tweets]
    assert delivery.attempts == 1


def test_a_failure_mid_thread_retries_from_the_part_that_failed(
    x_peer: XApiPeer, blog: Blog, clock: FixedClock
) -> None:
    settings = blog.settings(x_account(x_peer))
    announce(blog, settings, clock)
    x_peer.fail_next(Fault("none"))
    x_peer.fail_next(Fault("status", 503))
    run_until_sent(settings, clock)
    creates = x_peer.requests_to("POST", "/2/tweets")
    assert len(creates) == 4 and len(x_peer.tweets) == 3  # part 2 tried twice, posted once


@pytest.fixture(scope="module")
def mastodon() -> Iterator[MastodonPeer]:
    with serve_mastodon() as peer:
        yield peer


def test_a_mastodon_thread_answers_each_part(
    mastodon: MastodonPeer, blog: Blog, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTODON_TOKEN", TOKEN)
    settings = blog.settings(
        f'[[accounts]]\nname = "toots"\nnetwork = "mastodon"\nserver = "{mastodon.url}"\n'
        'thread = true\nthread_parts = 3\ntemplate = "{title}\\n\\n{summary}\\n\\n{url}"\n'
        'credentials = {token = "env:MASTODON_TOKEN"}\n[accounts.timing]\ndelay = 0\n'
    )
    before = {s["id"] for s in mastodon.statuses()}
    blog.post("2024-05-01-old.md", {"title": "Old news"})
    build(settings, clock)
    blog.post("2024-06-01-long.md", {"title": "A long one", "summary": LONG * 2})
    build(settings, clock)
    mastodon.relay.lose("POST", "/api/v1/statuses", "drop")  # the head's answer is lost
    [(_delivery, parts)] = run_until_sent(settings, clock)
    made = sorted((s for s in mastodon.statuses() if s["id"] not in before), key=lambda s: s["id"])
    assert [mastodon.source(s["id"]) for s in made] == [p.text for p in parts]
    assert [s["in_reply_to_id"] for s in made] == [None, made[0]["id"], made[1]["id"]]


def test_a_bluesky_thread_names_its_root_and_parent(
    blog: Blog, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_unless_installed()
    real_now = FixedClock(datetime.now(UTC))  # the PDS's sessions expire by the real clock
    with running_pds("threader.test") as pds:
        monkeypatch.setenv("BSKY_APP_PASSWORD", pds.account.app_password)
        settings = blog.settings(
            f'[[accounts]]\nname = "sky"\nnetwork = "bluesky"\nserver = "{pds.url}"\n'
            f'handle = "{pds.account.handle}"\nthread = true\n'
            'credentials = {app_password = "env:BSKY_APP_PASSWORD"}\n'
            "[accounts.timing]\ndelay = 0\n"
        )
        announce(blog, settings, real_now)
        [(_delivery, parts)] = run_until_sent(settings, real_now)
        records = [record_of(pds, part.remote_id) for part in parts]
    head = {"uri": parts[0].remote_id, "cid": records[0]["cid"]}
    assert "reply" not in records[0]["value"]
    for index, record in enumerate(records[1:], 1):
        parent = {"uri": parts[index - 1].remote_id, "cid": records[index - 1]["cid"]}
        assert record["value"]["reply"] == {"root": head, "parent": parent}
        assert record["value"]["text"] == parts[index].text


def record_of(pds: Pds, uri: str) -> dict[str, Any]:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    params = {"repo": repo, "collection": collection, "rkey": rkey}
    answer = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.getRecord", params=params)
    found: dict[str, Any] = answer.raise_for_status().json()
    return found
