"""The Mastodon publisher against mastodon-mock on 127.0.0.1 (see tests/peers/mastodon.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from msgspec.structs import replace

from syndicate import __version__
from syndicate.accounts import AccountSettings
from syndicate.clock import FixedClock
from syndicate.errors import (
    AmbiguousError,
    AuthError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from syndicate.publish.base import Context, Message, Publisher
from syndicate.publish.mastodon import ACCOUNT_KEY, DEFAULTS, RULES_KEY, carries, make
from syndicate.sections import parse
from tests.peers.mastodon import OTHER_TOKEN, TOKEN, MastodonPeer, serve_mastodon
from tests.publish.memory_state import MemoryState

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
POST_URL = "https://blog.example.org/2024/06/01/hello-world/"
STATUSES = "/api/v1/statuses"


@pytest.fixture
def peer() -> Iterator[MastodonPeer]:
    with serve_mastodon() as running:
        yield running


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def context(
    server: str,
    clock: FixedClock,
    *,
    token: str = TOKEN,
    state: MemoryState | None = None,
    visibility: str = "public",
    timeout: float = 60.0,
) -> Context:
    account = parse(
        AccountSettings,
        {
            "name": "blog-on-mastodon",
            "network": "mastodon",
            "server": server,
            "credentials": {"token": "env:MASTODON_TOKEN"},
            "visibility": visibility,
        },
    )
    return Context(
        account=account,
        secrets={"token": token} if token else {},
        clock=clock,
        state=state if state is not None else MemoryState(),
        timeout=timeout,
    )


@pytest.fixture
def state() -> MemoryState:
    return MemoryState()


@pytest.fixture
def publisher(peer: MastodonPeer, clock: FixedClock, state: MemoryState) -> Iterator[Publisher]:
    made = make(context(peer.url, clock, state=state))
    yield made
    made.close()


def message(
    text: str | None = None, *, url: str = POST_URL, language: str | None = "en"
) -> Message:
    return Message(
        text=text if text is not None else f"Hello, world: a first post {url} #Blogging",
        url=url,
        title="Hello, world",
        description="A first post.",
        language=language,
    )


# --- sending -----------------------------------------------------------------------------


def test_posts_the_exact_text_with_the_accounts_visibility(
    peer: MastodonPeer, clock: FixedClock
) -> None:
    text = f"Hello, world & friends <3\n\nA first post.\n{POST_URL} #Blogging"
    publisher = make(context(peer.url, clock, visibility="unlisted"))
    receipt = publisher.send(message(text), "delivery-1")
    publisher.close()

    [status] = peer.statuses()
    assert receipt.remote_id == status["id"]
    assert receipt.url == status["url"]
    assert peer.source(status["id"]) == text
    assert status["visibility"] == "unlisted"
    assert status["language"] == "en"
    [post] = [seen for seen in peer.relay.seen if seen.method == "POST"]
    assert post.headers["User-Agent"] == f"syndicate/{__version__}"
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"


def test_leaves_the_language_to_the_instance_when_the_post_has_none(
    peer: MastodonPeer, publisher: Publisher
) -> None:
    publisher.send(message(language=None), "delivery-1")
    [status] = peer.statuses()
    assert status["language"] is None


def test_the_same_key_twice_is_one_status(peer: MastodonPeer, publisher: Publisher) -> None:
    first = publisher.send(message(), "delivery-1")
    again = publisher.send(message(), "delivery-1")
    assert again == first
    assert len(peer.statuses()) == 1
    keys = {seen.headers["Idempotency-Key"] for seen in peer.relay.seen if seen.method == "POST"}
    assert len(keys) == 1


def test_another_key_is_another_status(peer: MastodonPeer, publisher: Publisher) -> None:
    first = publisher.send(message(), "delivery-1")
    second = publisher.send(message(), "delivery-2")
    assert second.remote_id != first.remote_id
    assert len(peer.statuses()) == 2


def test_a_key_is_the_accounts_own(peer: MastodonPeer, clock: FixedClock) -> None:
    """The instance keys idempotency per account: another account's delivery is its own."""
    ours, theirs = make(context(peer.url, clock)), make(context(peer.url, clock, token=OTHER_TOKEN))
    assert ours.send(message(), "delivery-1") != theirs.send(message(), "delivery-1")
    ours.close()
    theirs.close()


def test_too_long_a_text_is_rejected_with_the_instances_words(publisher: Publisher) -> None:
    with pytest.raises(RejectedError) as caught:
        publisher.send(message("x" * 501), "delivery-1")
    assert "Text is too long" in caught.value.reason
    assert "422" in caught.value.reason


# --- credentials ---------------------------------------------------------------------------


def test_a_wrong_token_is_an_auth_error(peer: MastodonPeer, clock: FixedClock) -> None:
    publisher = make(context(peer.url, clock, token="not-the-token"))
    with pytest.raises(AuthError):
        publisher.send(message(), "delivery-1")
    with pytest.raises(AuthError):
        publisher.find(message(), "delivery-1")
    publisher.close()
    assert peer.statuses() == []


def test_a_missing_token_is_an_auth_error_before_any_request(peer: MastodonPeer) -> None:
    with pytest.raises(AuthError, match=r"credentials\.token"):
        make(context(peer.url, FixedClock(NOW), token=""))
    assert peer.relay.seen == []


# --- failures ------------------------------------------------------------------------------


def test_429_waits_until_the_instances_reset(peer: MastodonPeer, publisher: Publisher) -> None:
    reset = NOW + timedelta(minutes=4, seconds=30)
    headers = {"X-RateLimit-Reset": reset.isoformat(timespec="microseconds").replace("+00:00", "Z")}
    peer.fault("POST", STATUSES, {"type": "ratelimit", "headers": headers})
    with pytest.raises(RateLimitedError) as caught:
        publisher.send(message(), "delivery-1")
    assert caught.value.until == reset
    assert peer.statuses() == []


def test_429_in_epoch_seconds_is_read_too(
    peer: MastodonPeer, clock: FixedClock, publisher: Publisher
) -> None:
    """mastodon-mock's own rate limiter, like some compatible servers, sends epoch seconds."""
    reset = NOW + timedelta(minutes=5)
    headers = {"X-RateLimit-Reset": str(int(reset.timestamp()))}
    peer.fault("POST", STATUSES, {"type": "ratelimit", "headers": headers})
    with pytest.raises(RateLimitedError) as caught:
        publisher.send(message(), "delivery-1")
    assert caught.value.until == reset


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_server_error_may_have_posted(
    peer: MastodonPeer, publisher: Publisher, status: int
) -> None:
    peer.fault("POST", STATUSES, {"type": "status", "status": status})
    with pytest.raises(AmbiguousError):
        publisher.send(message(), "delivery-1")
    # This time the instance failed before it posted: nothing to find, and a resend is one.
    assert publisher.find(message(), "delivery-1") is None
    publisher.send(message(), "delivery-1")
    assert len(peer.statuses()) == 1


def test_an_unreadable_answer_to_a_post_may_have_posted(
    peer: MastodonPeer, publisher: Publisher
) -> None:
    peer.fault("POST", STATUSES, {"type": "malformed"})
    with pytest.raises(AmbiguousError):
        publisher.send(message(), "delivery-1")


def test_503_says_it_did_not_post(peer: MastodonPeer, publisher: Publisher) -> None:
    peer.fault("POST", STATUSES, {"type": "status", "status": 503})
    with pytest.raises(TransientError) as caught:
        publisher.send(message(), "delivery-1")
    assert not isinstance(caught.value, AmbiguousError)


def test_a_refused_connection_is_transient_not_ambiguous(clock: FixedClock) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, and nothing on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    publisher = make(context(f"http://127.0.0.1:{port}", clock))
    with pytest.raises(TransientError) as caught:
        publisher.send(message(), "delivery-1")
    assert not isinstance(caught.value, AmbiguousError)
    publisher.close()


def test_a_connection_cut_before_the_instance_saw_it(
    peer: MastodonPeer, publisher: Publisher
) -> None:
    peer.relay.lose("POST", STATUSES, "cut")
    with pytest.raises(AmbiguousError):
        publisher.send(message(), "delivery-1")
    assert publisher.find(message(), "delivery-1") is None
    publisher.send(message(), "delivery-1")
    assert len(peer.statuses()) == 1


def test_a_reply_lost_after_posting_is_ambiguous_and_resending_is_safe(
    peer: MastodonPeer, publisher: Publisher
) -> None:
    peer.relay.lose("POST", STATUSES, "drop")
    with pytest.raises(AmbiguousError):
        publisher.send(message(), "delivery-1")
    [status] = peer.statuses()
    assert publisher.send(message(), "delivery-1").remote_id == status["id"]
    assert len(peer.statuses()) == 1


def test_a_reply_that_never_comes_times_out_as_ambiguous(
    peer: MastodonPeer, clock: FixedClock
) -> None:
    # The stall lasts until the peer stops: only the client's own timeout ends the wait.
    publisher = make(context(peer.url, clock, timeout=0.5))
    peer.relay.lose("POST", STATUSES, "stall")
    with pytest.raises(AmbiguousError):
        publisher.send(message(), "delivery-1")
    publisher.close()
    assert len(peer.statuses()) == 1


# --- find ----------------------------------------------------------------------------------


def test_find_after_a_crash_finds_the_status(peer: MastodonPeer, clock: FixedClock) -> None:
    """The process posted, then died before recording it: a new process, with nothing in
    memory or state, finds the status."""
    before = make(context(peer.url, clock))
    peer.relay.lose("POST", STATUSES, "drop")
    with pytest.raises(AmbiguousError):
        before.send(message(), "delivery-1")
    before.close()

    after = make(context(peer.url, clock))
    found = after.find(message(), "delivery-1")
    after.close()
    [status] = peer.statuses()
    assert found is not None
    assert (found.remote_id, found.url) == (status["id"], status["url"])


def test_find_reads_the_html_mastodon_renders(peer: MastodonPeer, publisher: Publisher) -> None:
    url = "https://blog.example.org/2024/06/01/caf%C3%A9-&-more/?lang=en&x=1"
    text = f"Café & more\n\n<b>Not bold</b> by @reader@mock.local\n{url}\n#Blogging #Python"
    receipt = publisher.send(message(text, url=url), "delivery-1")
    assert "<p>" in peer.statuses()[0]["content"]
    assert publisher.find(message(text, url=url), "delivery-1") == receipt


def test_a_status_as_mastodon_renders_it_carries_the_message() -> None:
    """Mastodon shortens a link's text in spans, links hashtags and mentions (showing
    `@name` for `@name@host`) and breaks paragraphs; the reader's text is still the message."""
    text = f"Hello, world\n\nA first post by @ada@example.social\n{POST_URL} #Blogging"
    content = (
        "<p>Hello, world</p><p>A first post by "
        '<span class="h-card" translate="no"><a href="https://example.social/@ada" '
        'class="u-url mention">@<span>ada</span></a></span><br />'
        f'<a href="{POST_URL}" target="_blank" rel="nofollow noopener" translate="no">'
        '<span class="invisible">https://</span><span class="ellipsis">'
        'blog.example.org/2024/06/01/hel</span><span class="invisible">lo-world/</span></a> '
        '<a href="https://example.social/tags/Blogging" class="mention hashtag" rel="tag">'
        "#<span>Blogging</span></a></p>"
    )
    status = {"id": "1", "content": content}
    assert carries(status, message(text))
    assert not carries(status, message(text.replace("first", "second")))
    assert not carries(status, message(text, url="https://blog.example.org/other/"))


def test_find_wants_the_link_and_the_text(peer: MastodonPeer, publisher: Publisher) -> None:
    publisher.send(message("Same words, another link https://blog.example.org/other/"), "a")
    publisher.send(message(f"Other words, the same link {POST_URL}"), "b")
    publisher.send(message(f"Same words, no link {POST_URL.replace('https://', '')}"), "c")
    assert publisher.find(message(f"Same words, the link {POST_URL}"), "d") is None


def test_find_looks_past_the_newest_page(peer: MastodonPeer, publisher: Publisher) -> None:
    ours = publisher.send(message(), "delivery-1")
    with peer.api() as api:
        for number in range(45):
            api.post(STATUSES, json={"status": f"Later note {number}"}).raise_for_status()
    assert publisher.find(message(), "delivery-1") == ours


def test_find_keeps_the_account_id_in_state(
    peer: MastodonPeer, clock: FixedClock, state: MemoryState
) -> None:
    first = make(context(peer.url, clock, state=state))
    ours = first.send(message(), "delivery-1")
    assert first.find(message(), "delivery-1") == ours
    first.close()
    assert ACCOUNT_KEY in state.values

    peer.fault("GET", "/api/v1/accounts/verify_credentials", {"status": 500}, count=None)
    second = make(context(peer.url, clock, state=state))
    assert second.find(message(), "delivery-1") == ours
    second.close()


def test_find_asks_again_for_another_token(peer: MastodonPeer, clock: FixedClock) -> None:
    """A token changed to another account's must not reuse the old account's id."""
    state = MemoryState()
    ours = make(context(peer.url, clock, state=state))
    sent = ours.send(message(), "delivery-1")
    assert ours.find(message(), "delivery-1") == sent
    ours.close()
    theirs = make(context(peer.url, clock, state=state, token=OTHER_TOKEN))
    assert theirs.find(message(), "delivery-1") is None
    theirs.close()


# --- instance limits -----------------------------------------------------------------------


def test_reads_the_instances_limits(peer: MastodonPeer, publisher: Publisher) -> None:
    assert publisher.rules() == DEFAULTS
    assert any(seen.path == "/api/v2/instance" for seen in peer.relay.seen)


def test_reads_limits_an_instance_changed(peer: MastodonPeer, publisher: Publisher) -> None:
    peer.relay.limits = (5000, 30)
    assert publisher.rules() == replace(DEFAULTS, limit=5000, url_length=30)


def test_falls_back_to_the_v1_instance(peer: MastodonPeer, publisher: Publisher) -> None:
    peer.relay.limits = (1000, 23)
    peer.fault("GET", "/api/v2/instance", {"status": 404})
    assert publisher.rules().limit == 1000


def test_defaults_when_the_instance_cannot_say(
    peer: MastodonPeer, clock: FixedClock, publisher: Publisher
) -> None:
    peer.relay.limits = (5000, 23)
    for path in ("/api/v2/instance", "/api/v1/instance"):
        peer.fault("GET", path, {"status": 500})
    assert publisher.rules() == DEFAULTS
    asked = len(peer.relay.seen)
    assert publisher.rules().limit == 500  # not asked again at once
    assert len(peer.relay.seen) == asked
    clock.advance(timedelta(hours=2))
    assert publisher.rules().limit == 5000


def test_limits_are_kept_a_day(peer: MastodonPeer, clock: FixedClock, state: MemoryState) -> None:
    peer.relay.limits = (5000, 23)
    first = make(context(peer.url, clock, state=state))
    assert first.rules().limit == 5000
    first.close()
    assert RULES_KEY in state.values

    peer.relay.limits = (1000, 23)
    restarted = make(context(peer.url, clock, state=state))
    assert restarted.rules().limit == 5000  # from state: the instance is not asked
    clock.advance(timedelta(days=1, seconds=1))
    assert restarted.rules().limit == 1000
    restarted.close()


def test_limits_kept_are_the_servers_own(
    peer: MastodonPeer, clock: FixedClock, state: MemoryState
) -> None:
    peer.relay.limits = (5000, 23)
    first = make(context(peer.url, clock, state=state))
    assert first.rules().limit == 5000
    first.close()
    moved = make(context(peer.instance, clock, state=state))  # the same account, moved
    assert moved.rules().limit == 500
    moved.close()


def test_last_known_limits_outlive_an_instance_that_cannot_say(
    peer: MastodonPeer, clock: FixedClock, state: MemoryState
) -> None:
    peer.relay.limits = (5000, 23)
    publisher = make(context(peer.url, clock, state=state))
    assert publisher.rules().limit == 5000
    clock.advance(timedelta(days=2))
    for path in ("/api/v2/instance", "/api/v1/instance"):
        peer.fault("GET", path, {"status": 503}, count=None)
    assert publisher.rules().limit == 5000
    publisher.close()
