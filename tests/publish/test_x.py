"""The X publisher against a local X API v2 server that verifies OAuth 1.0a signatures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from requests_oauthlib import OAuth1

from syndicate.accounts import AccountSettings
from syndicate.clock import FixedClock
from syndicate.errors import (
    AmbiguousError,
    AuthError,
    DuplicateError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from syndicate.publish.base import Context, Message, Publisher, Span, StateStore
from syndicate.publish.pool import LedgerState
from syndicate.publish.x import comparable, make, message_text_with_links
from syndicate.store.ledger import Ledger
from tests.peers.x_api import Fault, XApiPeer, XCredentials, free_port

USER_ID = "1501234567890123456"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield opened
    opened.close()


@pytest.fixture
def state(ledger: Ledger) -> StateStore:
    return LedgerState(ledger.engine, "blog-x")


@pytest.fixture
def credentials() -> XCredentials:
    return XCredentials.generate(USER_ID)


@pytest.fixture
def peer(credentials: XCredentials) -> Iterator[XApiPeer]:
    server = XApiPeer(credentials, USER_ID, "syndicatetest")
    with server.running():
        yield server


def context(
    server: str,
    secrets: dict[str, str],
    state: StateStore,
    *,
    handle: str | None = None,
    timeout: float = 30.0,
) -> Context:
    account = AccountSettings(name="blog-x", network="x", server=server, handle=handle)
    return Context(account, secrets, FixedClock(NOW), state, timeout)


@pytest.fixture
def publisher(peer: XApiPeer, credentials: XCredentials, state: StateStore) -> Iterator[Publisher]:
    made = make(context(peer.url, credentials.secrets(), state))
    yield made
    made.close()


def oauth(credentials: XCredentials) -> OAuth1:
    return OAuth1(
        credentials.consumer_key,
        credentials.consumer_secret,
        credentials.access_token,
        credentials.access_token_secret,
    )


def message(text: str = "New post: Exactly once https://blog.example.org/once/") -> Message:
    return Message(
        text=text,
        url="https://blog.example.org/once/",
        title="Exactly once",
        description="How a post reaches X once.",
    )


def test_a_post_is_created_with_a_valid_signature(peer: XApiPeer, publisher: Publisher) -> None:
    receipt = publisher.send(message(), "post-1/blog-x")

    [tweet] = peer.tweets
    assert receipt.remote_id == tweet.id
    assert tweet.posted == message().text
    assert tweet.text.startswith("New post: Exactly once https://t.co/")
    assert [r.signed for r in peer.received] == [True]


def test_the_receipt_links_to_the_post_under_the_handle(
    peer: XApiPeer, credentials: XCredentials, state: StateStore
) -> None:
    publisher = make(context(peer.url, credentials.secrets(), state, handle="@syndicatetest"))
    try:
        receipt = publisher.send(message(), "post-1/blog-x")
    finally:
        publisher.close()
    assert receipt.url == f"https://x.com/syndicatetest/status/{receipt.remote_id}"


def test_a_wrong_secret_is_an_auth_error_and_posts_nothing(
    peer: XApiPeer, credentials: XCredentials, state: StateStore
) -> None:
    wrong = replace(credentials, consumer_secret=credentials.consumer_secret[::-1])
    publisher = make(context(peer.url, wrong.secrets(), state))
    try:
        with pytest.raises(AuthError, match="401"):
            publisher.send(message(), "post-1/blog-x")
    finally:
        publisher.close()
    assert peer.tweets == []
    assert [r.signed for r in peer.received] == [False]


def test_missing_credentials_are_named(
    peer: XApiPeer, credentials: XCredentials, state: StateStore
) -> None:
    secrets = credentials.secrets()
    del secrets["access_token_secret"]
    secrets["consumer_key"] = ""
    with pytest.raises(AuthError, match="consumer_key, access_token_secret"):
        make(context(peer.url, secrets, state))


def test_a_429_waits_until_xs_reset(peer: XApiPeer, publisher: Publisher) -> None:
    reset = int(datetime(2026, 3, 1, 12, 15, tzinfo=UTC).timestamp())
    peer.fail_next(Fault("rate_limit", reset=reset))

    with pytest.raises(RateLimitedError) as caught:
        publisher.send(message(), "post-1/blog-x")

    assert caught.value.until == datetime(2026, 3, 1, 12, 15, tzinfo=UTC)
    assert peer.tweets == []


def test_an_exhausted_daily_cap_waits_for_its_own_reset(
    peer: XApiPeer, publisher: Publisher
) -> None:
    window = int(datetime(2026, 3, 1, 12, 15, tzinfo=UTC).timestamp())
    daily = int(datetime(2026, 3, 2, 9, 30, tzinfo=UTC).timestamp())
    peer.fail_next(Fault("rate_limit", reset=window, daily_reset=daily))

    with pytest.raises(RateLimitedError) as caught:
        publisher.send(message(), "post-1/blog-x")

    assert caught.value.until == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_transient(peer: XApiPeer, publisher: Publisher, status: int) -> None:
    peer.fail_next(Fault("status", code=status))

    with pytest.raises(TransientError) as caught:
        publisher.send(message(), "post-1/blog-x")

    assert not isinstance(caught.value, AmbiguousError)
    assert publisher.send(message(), "post-1/blog-x").remote_id == peer.tweets[0].id


def test_a_refused_connection_is_transient_not_ambiguous(
    credentials: XCredentials, state: StateStore
) -> None:
    publisher = make(context(f"http://127.0.0.1:{free_port()}", credentials.secrets(), state))
    try:
        with pytest.raises(TransientError) as caught:
            publisher.send(message(), "post-1/blog-x")
    finally:
        publisher.close()
    assert not isinstance(caught.value, AmbiguousError)


def test_a_dropped_connection_is_ambiguous_and_find_recovers_the_post(
    peer: XApiPeer, publisher: Publisher
) -> None:
    peer.fail_next(Fault("drop", apply=True))

    with pytest.raises(AmbiguousError):
        publisher.send(message(), "post-1/blog-x")

    [tweet] = peer.tweets
    found = publisher.find(message(), "post-1/blog-x")
    assert found is not None
    assert found.remote_id == tweet.id


def test_a_dropped_connection_before_posting_finds_nothing(
    peer: XApiPeer, publisher: Publisher
) -> None:
    peer.fail_next(Fault("drop"))

    with pytest.raises(AmbiguousError):
        publisher.send(message(), "post-1/blog-x")

    assert publisher.find(message(), "post-1/blog-x") is None


def test_a_read_timeout_is_ambiguous(
    peer: XApiPeer, credentials: XCredentials, publisher: Publisher, state: StateStore
) -> None:
    impatient = make(context(peer.url, credentials.secrets(), state, timeout=1.0))
    peer.fail_next(Fault("hold"))
    try:
        with pytest.raises(AmbiguousError, match="in time"):
            impatient.send(message(), "post-1/blog-x")
    finally:
        impatient.close()
    peer.release()

    found = publisher.find(message(), "post-1/blog-x")
    assert found is not None
    assert found.remote_id == peer.tweets[0].id


def test_a_duplicate_is_reported_and_found(peer: XApiPeer, publisher: Publisher) -> None:
    first = publisher.send(message(), "post-1/blog-x")

    with pytest.raises(DuplicateError, match="duplicate content"):
        publisher.send(message(), "post-1/blog-x")

    assert len(peer.tweets) == 1
    found = publisher.find(message(), "post-1/blog-x")
    assert found is not None
    assert found.remote_id == first.remote_id


def test_find_reads_past_xs_rewriting_of_links_and_entities(
    peer: XApiPeer, publisher: Publisher
) -> None:
    text = "Q&A: <tags> & links\n\nhttps://blog.example.org/qa/?a=1&b=2 #Python"
    peer.post_tweet("An older post https://blog.example.org/older/")
    posted = peer.post_tweet(text)
    peer.post_tweet("A newer post https://blog.example.org/newer/")

    found = publisher.find(message(text), "post-2/blog-x")

    assert found is not None
    assert found.remote_id == posted.id
    assert found.url == f"https://x.com/syndicatetest/status/{posted.id}"


def test_find_returns_none_when_the_post_is_absent(peer: XApiPeer, publisher: Publisher) -> None:
    peer.post_tweet("Something else https://blog.example.org/else/")

    assert publisher.find(message(), "post-1/blog-x") is None


def test_the_user_id_is_asked_once_and_kept(
    peer: XApiPeer, credentials: XCredentials, state: StateStore
) -> None:
    for _ in range(2):
        publisher = make(context(peer.url, credentials.secrets(), state))
        try:
            publisher.find(message(), "post-1/blog-x")
        finally:
            publisher.close()

    assert len(peer.requests_to("GET", "/2/users/me")) == 1
    assert len(peer.requests_to("GET", f"/2/users/{USER_ID}/tweets")) == 2
    assert state.get("x.user_id") == USER_ID


def test_an_empty_post_is_rejected(peer: XApiPeer, publisher: Publisher) -> None:
    with pytest.raises(RejectedError, match="400"):
        publisher.send(message(" "), "post-1/blog-x")


def test_a_403_without_permission_pauses_the_account(peer: XApiPeer, publisher: Publisher) -> None:
    detail = (
        "Your client app is not configured with the appropriate oauth1 app permissions "
        "for this endpoint."
    )
    body = {
        "title": "Forbidden",
        "detail": detail,
        "type": "https://api.twitter.com/2/problems/oauth1-permissions",
        "status": 403,
    }
    peer.fail_next(Fault("status", code=403, body=body))

    with pytest.raises(AuthError, match="oauth1 app permissions"):
        publisher.send(message(), "post-1/blog-x")


def test_rules_are_xs(publisher: Publisher) -> None:
    rules = publisher.rules()
    assert (rules.network, rules.limit, rules.counting, rules.url_length) == ("x", 280, "x", 23)


def test_comparison_treats_a_bare_domain_link_like_a_url() -> None:
    text = "Read it at blog.example.org/once"
    linked = Message(
        text,
        "https://blog.example.org/once",
        "t",
        "d",
        spans=(Span(11, 32, "link", "https://blog.example.org/once"),),
    )
    assert comparable(message_text_with_links(linked)) == comparable("Read it at https://t.co/abc")


def test_the_peer_refuses_a_signature_for_another_url(
    peer: XApiPeer, credentials: XCredentials
) -> None:
    auth = oauth(credentials)
    signed = requests.Request("GET", "https://api.x.com/2/users/me", auth=auth).prepare()
    signed.url = f"{peer.url}/2/users/me"
    with requests.Session() as session:
        assert session.send(signed, timeout=30).status_code == 401


def test_the_peer_refuses_a_replayed_request(peer: XApiPeer, credentials: XCredentials) -> None:
    auth = oauth(credentials)
    signed = requests.Request("GET", f"{peer.url}/2/users/me", auth=auth).prepare()
    with requests.Session() as session:
        assert session.send(signed, timeout=30).status_code == 200
        assert session.send(signed, timeout=30).status_code == 401
