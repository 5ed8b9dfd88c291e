"""A send resumed where the post's rendering is not at hand: the message is composed again from
the node's own render cache, so a replica that never built the post (or a node whose cache was
lost, as a cache may be) composes it without the rendered summary, and its text differs from
what the interrupted attempt posted. Found by the cluster's chaos test: X, which tells a resend
only by its text, held the post twice. The lookup before any resend also asks for the text the
interrupted attempt stored, so the post is found, not posted again.

Through the real dispatcher, ledger and outbox to the local X API peer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.model import DeliveryStatus
from syndicate.publish.dispatch import Dispatcher
from syndicate.publish.opening import make_dispatcher, open_publishing
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Outbox
from tests.conftest import Blog, build
from tests.peers.x_api import Fault, XApiPeer, XCredentials

USER_ID = "1501234567890123456"
NAMES = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
BODY = "A body long enough to give the post a summary of its own, rendered by the build."


@pytest.fixture
def x_peer(monkeypatch: pytest.MonkeyPatch) -> Iterator[XApiPeer]:
    credentials = XCredentials.generate(USER_ID)
    for name, value in credentials.secrets().items():
        monkeypatch.setenv(f"RESUMED_X_{name.upper()}", value)
    with XApiPeer(credentials, USER_ID, "syndicatetest").running() as peer:
        yield peer


def x_account(peer: XApiPeer) -> str:
    secrets = ", ".join(f'{name} = "env:RESUMED_X_{name.upper()}"' for name in NAMES)
    return (
        f'[[accounts]]\nname = "x"\nnetwork = "x"\nserver = "{peer.url}"\n'
        f"credentials = {{{secrets}}}\n[accounts.timing]\ndelay = 0\n"
    )


def run_until_sent(dispatcher: Dispatcher, clock: FixedClock) -> None:
    for _ in range(6):
        due = dispatcher.run_once()
        if all(d.status is DeliveryStatus.SENT for d in dispatcher.outbox.select()):
            return
        if due is not None and due > clock.now():
            clock.set(due)
    raise AssertionError(f"not sent: {dispatcher.outbox.select()}")


def test_a_send_resumed_without_the_posts_rendering_finds_what_was_posted(
    x_peer: XApiPeer, blog: Blog, clock: FixedClock
) -> None:
    settings: Settings = blog.settings(x_account(x_peer))
    blog.post("2024-05-01-old.md", {"title": "Old news"})
    build(settings, clock)  # taken as seen
    blog.post("2024-06-01-release.md", {"title": "A release"}, BODY)
    build(settings, clock)  # rendered into this node's cache
    # The tweet lands, its answer never arrives: the delivery is left uncertain.
    x_peer.fail_next(Fault("drop", apply=True))
    with open_publishing(settings, clock) as first:
        first.run_once()
    (posted,) = x_peer.tweets
    assert BODY in posted.posted  # the summary, from the render cache
    # Another replica, which never built the post, takes the delivery over.
    ledger = Ledger.open(settings.store_url)
    try:
        second = make_dispatcher(settings, ledger, None, clock)
        try:
            run_until_sent(second, clock)
        finally:
            second.pool.close()
        (delivery,) = Outbox(ledger.engine).select()
    finally:
        ledger.close()
    assert x_peer.tweets == [posted]  # found, not posted again without its summary
    assert delivery.remote_id == posted.id and delivery.attempts == 1
