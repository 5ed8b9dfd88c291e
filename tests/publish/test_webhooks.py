"""The webhook publishers against receivers on 127.0.0.1: Slack and Discord as they answer,
a signing receiver for the generic webhook, and a real Synapse for Matrix."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from syndicate import __version__
from syndicate.accounts import AccountSettings
from syndicate.clock import FixedClock
from syndicate.errors import (
    AmbiguousError,
    AuthError,
    PublishError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from syndicate.publish.base import Context, Message, Receipt, Span
from syndicate.publish.discord import DiscordPublisher
from syndicate.publish.markup import discord_markdown, matrix_html, pieces, slack_mrkdwn
from syndicate.publish.matrix import transaction_id
from syndicate.publish.network import factory
from syndicate.publish.slack import SlackPublisher
from syndicate.publish.webhooks import (
    make_discord,
    make_matrix,
    make_slack,
    make_webhook,
)
from tests.peers.webhooks import (
    Answer,
    DiscordHook,
    Fault,
    Proxy,
    Receiver,
    SigningReceiver,
    SlackHook,
    Synapse,
)
from tests.publish.memory_state import MemoryState

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
POST_URL = "https://blog.example.org/2024/06/fish-and-chips/"
TEXT = f"New post: Fish & <Chips> *now* {POST_URL} #Cooking"
MESSAGE = Message(
    text=TEXT,
    url=POST_URL,
    title="Fish & <Chips>",
    description="How to fry fish, and why the batter matters.",
    image="https://blog.example.org/images/fish.jpg",
    language="en",
    spans=(
        Span(TEXT.index(POST_URL), TEXT.index(POST_URL) + len(POST_URL), "link", POST_URL),
        Span(TEXT.index("#Cooking"), len(TEXT), "tag", "Cooking"),
    ),
    length=len(TEXT),
    limit=2000,
)
KEY = "post:2024/fish-and-chips@team"


def context(
    network: str, secrets: dict[str, str], *, server: str | None = None, room: str | None = None
) -> Context:
    account = AccountSettings(
        name="team",
        network=network,
        server=server,
        room=room,
        credentials={name: f"env:TEAM_{name.upper()}" for name in secrets},
    )
    return Context(account, secrets, FixedClock(NOW), MemoryState(), timeout=30.0)


def impatient() -> httpx.Client:
    """A client that gives up reading an answer after half a second (connecting may be slow)."""
    return httpx.Client(timeout=httpx.Timeout(30.0, read=0.5))


def fails_with(send: Callable[[Message, str], Receipt], kind: type[PublishError]) -> PublishError:
    with pytest.raises(kind) as raised:
        send(MESSAGE, KEY)
    return raised.value


# Slack


@pytest.fixture
def slack() -> Iterator[SlackHook]:
    with SlackHook() as hook:
        yield hook


def test_the_registry_finds_every_factory() -> None:
    made = {network: factory(network) for network in ("slack", "discord", "matrix", "webhook")}
    assert made == {
        "slack": make_slack,
        "discord": make_discord,
        "matrix": make_matrix,
        "webhook": make_webhook,
    }


def test_slack_posts_escaped_mrkdwn_with_the_link(slack: SlackHook) -> None:
    publisher = make_slack(context("slack", {"url": slack.url}))
    receipt = publisher.send(MESSAGE, KEY)
    publisher.close()

    assert slack.posted == [
        {
            "text": f"New post: Fish &amp; &lt;Chips&gt; *now* <{POST_URL}> #Cooking",
            "unfurl_links": True,
        }
    ]
    assert slack.requests[0].headers["user-agent"] == f"syndicate/{__version__}"
    assert receipt == Receipt(remote_id=KEY)
    assert publisher.find(MESSAGE, KEY) is None
    assert publisher.rules().limit == 4000


def test_slack_rate_limit_waits_for_retry_after(slack: SlackHook) -> None:
    slack.inject(Answer.of_text(429, "rate_limited", {"Retry-After": "30"}))
    publisher = make_slack(context("slack", {"url": slack.url}))
    error = fails_with(publisher.send, RateLimitedError)
    assert isinstance(error, RateLimitedError)
    assert error.until == NOW + timedelta(seconds=30)
    assert slack.posted == []


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (Answer.of_text(403, "invalid_token"), AuthError),
        (Answer.of_text(410, "channel_is_archived"), AuthError),
        (Answer.of_text(400, "invalid_blocks"), RejectedError),
        (Answer.of_text(503, "service unavailable"), TransientError),
        (Answer.of_text(500, "internal error"), AmbiguousError),
    ],
)
def test_slack_failures_classify(
    slack: SlackHook, answer: Answer, kind: type[PublishError]
) -> None:
    slack.inject(answer)
    error = fails_with(make_slack(context("slack", {"url": slack.url})).send, kind)
    assert str(answer.status) in error.reason
    if kind is TransientError:
        assert not isinstance(error, AmbiguousError)


def test_slack_unknown_hook_is_no_service_and_pauses_the_account(slack: SlackHook) -> None:
    gone = slack.url.replace("hooksecret", "revoked")
    error = fails_with(make_slack(context("slack", {"url": gone})).send, AuthError)
    assert "no_service" in error.reason
    assert "revoked" not in error.reason  # the hook's URL is a secret


def test_slack_dropped_answer_is_ambiguous(slack: SlackHook) -> None:
    slack.inject(Fault.DROP_AFTER)
    fails_with(make_slack(context("slack", {"url": slack.url})).send, AmbiguousError)
    assert len(slack.posted) == 1  # it did land: the one network that cannot tell


def test_slack_stalled_answer_is_ambiguous(slack: SlackHook) -> None:
    slack.inject(Fault.STALL)
    publisher = SlackPublisher(slack.url, clock=FixedClock(NOW), client=impatient())
    fails_with(publisher.send, AmbiguousError)
    publisher.close()


def test_refused_connection_is_transient_not_ambiguous() -> None:
    with SlackHook() as hook:
        url = hook.url
    error = fails_with(make_slack(context("slack", {"url": url})).send, TransientError)
    assert not isinstance(error, AmbiguousError)


@pytest.mark.parametrize(
    ("secrets", "words"),
    [({}, "credentials.url"), ({"url": "ftp://hooks.example/secret-path"}, "http")],
)
def test_slack_needs_an_http_url(secrets: dict[str, str], words: str) -> None:
    with pytest.raises(AuthError) as raised:
        make_slack(context("slack", secrets))
    assert words in raised.value.reason
    assert "secret-path" not in raised.value.reason


# Discord


@pytest.fixture
def discord() -> Iterator[DiscordHook]:
    with DiscordHook() as hook:
        yield hook


def test_discord_posts_content_and_embed_and_waits_for_the_message(discord: DiscordHook) -> None:
    publisher = make_discord(context("discord", {"url": discord.url}))
    receipt = publisher.send(MESSAGE, KEY)
    publisher.close()

    assert discord.posted == [
        {
            "content": rf"New post: Fish & \<Chips> \*now\* <{POST_URL}> #Cooking",
            "embeds": [
                {
                    "title": "Fish & <Chips>",
                    "url": POST_URL,
                    "description": "How to fry fish, and why the batter matters.",
                    "thumbnail": {"url": "https://blog.example.org/images/fish.jpg"},
                }
            ],
            "allowed_mentions": {"parse": []},
        }
    ]
    assert discord.requests[0].query == {"wait": "true"}
    assert receipt == Receipt(remote_id="1300000000000000001")
    assert publisher.find(MESSAGE, KEY) is None


def test_discord_rate_limit_prefers_the_reset_header(discord: DiscordHook) -> None:
    discord.inject(
        Answer.of_json(
            429,
            {"message": "You are being rate limited.", "retry_after": 2500, "global": False},
            {"X-RateLimit-Reset-After": "2.5", "Retry-After": "3"},
        ),
        Answer.of_json(429, {"message": "You are being rate limited.", "retry_after": 1.25}),
    )
    publisher = make_discord(context("discord", {"url": discord.url}))
    first = fails_with(publisher.send, RateLimitedError)
    second = fails_with(publisher.send, RateLimitedError)
    assert isinstance(first, RateLimitedError) and isinstance(second, RateLimitedError)
    assert first.until == NOW + timedelta(seconds=2.5)
    assert second.until == NOW + timedelta(seconds=1.25)


def test_discord_wrong_token_or_deleted_hook_pauses_the_account(discord: DiscordHook) -> None:
    for url in (discord.url + "x", discord.url.replace(DiscordHook.ID, "1")):
        error = fails_with(make_discord(context("discord", {"url": url})).send, AuthError)
        assert "Invalid Webhook Token" in error.reason or "Unknown Webhook" in error.reason
    assert discord.posted == []


def test_discord_refuses_what_its_form_refuses(discord: DiscordHook) -> None:
    long_title = Message(text="x", url=POST_URL, title="", description="")
    publisher = make_discord(context("discord", {"url": discord.url}))
    assert publisher.send(long_title, KEY).remote_id  # an empty title is fine
    too_long = Message(text="*" * 1001, url=POST_URL, title="t", description="d")
    with pytest.raises(RejectedError, match="once escaped"):
        publisher.send(too_long, KEY)
    discord.inject(Answer.of_json(400, {"message": "Invalid Form Body", "code": 50035}))
    assert "Invalid Form Body" in fails_with(publisher.send, RejectedError).reason


def test_discord_stall_and_server_errors(discord: DiscordHook) -> None:
    discord.inject(Fault.STALL)
    patient_no_more = DiscordPublisher(discord.url, clock=FixedClock(NOW), client=impatient())
    fails_with(patient_no_more.send, AmbiguousError)
    patient_no_more.close()
    discord.inject(Answer.of_json(502, {"message": "Bad Gateway"}), Fault.DROP_BEFORE)
    publisher = make_discord(context("discord", {"url": discord.url}))
    fails_with(publisher.send, AmbiguousError)
    fails_with(publisher.send, AmbiguousError)


# Generic webhook


def test_webhook_posts_signed_json_with_the_idempotency_key() -> None:
    with SigningReceiver("s3cret") as receiver:
        secrets = {"url": receiver.url, "signing_key": "s3cret"}
        publisher = make_webhook(context("webhook", secrets))
        first = publisher.send(MESSAGE, KEY)
        again = publisher.send(MESSAGE, KEY)
        publisher.close()

    assert receiver.stored == {
        KEY: {
            "text": TEXT,
            "url": POST_URL,
            "title": "Fish & <Chips>",
            "description": "How to fry fish, and why the batter matters.",
            "image": "https://blog.example.org/images/fish.jpg",
            "language": "en",
            "spans": [
                {"start": 31, "end": 31 + len(POST_URL), "kind": "link", "target": POST_URL},
                {"start": len(TEXT) - 8, "end": len(TEXT), "kind": "tag", "target": "Cooking"},
            ],
        }
    }
    assert first == again == Receipt("item-1", f"{receiver.base}/items/1")
    bodies = {request.body for request in receiver.requests}
    assert len(bodies) == 1  # a resend is the same bytes, so the same signature
    assert receiver.requests[0].headers["idempotency-key"] == KEY


@pytest.mark.parametrize("signing_key", ["wrong", None])
def test_webhook_bad_or_missing_signature_is_refused(signing_key: str | None) -> None:
    with SigningReceiver("s3cret") as receiver:
        secrets = {"url": receiver.url} | ({"signing_key": signing_key} if signing_key else {})
        publisher = make_webhook(context("webhook", secrets))
        fails_with(publisher.send, AuthError)
        assert receiver.stored == {}
        if signing_key is None:
            assert "x-syndicate-signature" not in receiver.requests[0].headers


def test_webhook_unsigned_receiver_and_http_date_retry_after() -> None:
    with SigningReceiver(None) as receiver:
        receiver.inject(Answer(429, headers={"Retry-After": "Sat, 01 Jun 2024 12:02:00 GMT"}))
        publisher = make_webhook(context("webhook", {"url": receiver.url}))
        error = fails_with(publisher.send, RateLimitedError)
        assert isinstance(error, RateLimitedError)
        assert error.until == NOW + timedelta(minutes=2)
        assert publisher.send(MESSAGE, KEY).remote_id == "item-1"


def test_webhook_receiver_without_an_id_gets_the_key() -> None:
    class Plain(Receiver):
        def respond(self, request: object) -> Answer:
            return Answer(204)

    with Plain() as receiver:
        publisher = make_webhook(context("webhook", {"url": receiver.base}))
        assert publisher.send(MESSAGE, KEY) == Receipt(remote_id=KEY)


# Matrix, on a real Synapse


@pytest.fixture(scope="module")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    pytest.importorskip("synapse", reason="matrix-synapse is a test dependency")
    with Synapse(Path(tmp_path_factory.mktemp("synapse"))) as server:
        yield server


def test_matrix_sends_html_and_a_resend_is_the_same_event(synapse: Synapse) -> None:
    _, token = synapse.register()
    room = synapse.create_room(token)
    publisher = make_matrix(
        context("matrix", {"access_token": token}, server=synapse.base + "/", room=room)
    )
    first = publisher.send(MESSAGE, KEY)
    again = publisher.send(MESSAGE, KEY)
    publisher.close()

    events = synapse.messages(token, room)
    assert [event["event_id"] for event in events] == [first.remote_id]
    assert again == first
    assert events[0]["content"] == {
        "msgtype": "m.text",
        "body": TEXT,
        "format": "org.matrix.custom.html",
        "formatted_body": (
            f'New post: Fish &amp; &lt;Chips&gt; *now* <a href="{POST_URL}">{POST_URL}</a> #Cooking'
        ),
        "m.mentions": {},
    }
    assert events[0]["unsigned"]["transaction_id"] == transaction_id(KEY)
    assert first.url is not None and first.url.startswith("https://matrix.to/#/%21")


def test_matrix_lost_answer_then_resend_posts_once(synapse: Synapse, tmp_path: Path) -> None:
    _, token = synapse.register()
    room = synapse.create_room(token)
    with Proxy(synapse.base) as proxy:
        proxy.inject(Fault.DROP_AFTER)
        publisher = make_matrix(
            context("matrix", {"access_token": token}, server=proxy.base, room=room)
        )
        fails_with(publisher.send, AmbiguousError)
        assert publisher.find(MESSAGE, KEY) is None
        receipt = publisher.send(MESSAGE, KEY)
        publisher.close()

    assert [event["event_id"] for event in synapse.messages(token, room)] == [receipt.remote_id]


def test_matrix_other_keys_are_other_messages(synapse: Synapse) -> None:
    _, token = synapse.register()
    room = synapse.create_room(token)
    publisher = make_matrix(
        context("matrix", {"access_token": token}, server=synapse.base, room=room)
    )
    ids = {publisher.send(MESSAGE, key).remote_id for key in ("one", "two")}
    assert len(ids) == 2
    assert len(synapse.messages(token, room)) == 2


def test_matrix_bad_token_or_not_in_the_room_pauses_the_account(synapse: Synapse) -> None:
    _, token = synapse.register()
    room = synapse.create_room(token)
    _, stranger = synapse.register()
    for wrong in ("syt_not_a_token", stranger):
        publisher = make_matrix(
            context("matrix", {"access_token": wrong}, server=synapse.base, room=room)
        )
        error = fails_with(publisher.send, AuthError)
        assert "M_UNKNOWN_TOKEN" in error.reason or "M_FORBIDDEN" in error.reason
    assert synapse.messages(token, room) == []


def test_matrix_rate_limit_gives_until_from_retry_after_ms(synapse: Synapse) -> None:
    _, token = synapse.register()
    room = synapse.create_room(token)
    with Proxy(synapse.base) as proxy:
        publisher = make_matrix(
            context("matrix", {"access_token": token}, server=proxy.base, room=room)
        )
        sent = 0
        with pytest.raises(RateLimitedError) as raised:
            for number in range(20):  # Synapse is set to allow a burst of a few
                publisher.send(MESSAGE, f"burst-{number}")
                sent += 1
        publisher.close()
        limit = json.loads(proxy.answers[-1].body)

    assert sent > 0  # the first messages went out
    assert limit["errcode"] == "M_LIMIT_EXCEEDED"
    assert raised.value.until == NOW + timedelta(milliseconds=limit["retry_after_ms"])


# Markup


def linked(text: str, shown: str, target: str) -> Message:
    start = text.index(shown)
    span = Span(start, start + len(shown), "link", target)
    return Message(text=text, url=target, title="", description="", spans=(span,))


def test_shortened_links_show_their_text_and_point_at_the_target() -> None:
    target = "https://blog.example.org/a|b?x=1&y=2"
    message = linked("Read blog.example.org/a… now", "blog.example.org/a…", target)
    assert slack_mrkdwn(message) == (
        "Read <https://blog.example.org/a%7Cb?x=1&amp;y=2|blog.example.org/a…> now"
    )
    assert discord_markdown(message) == f"Read [blog.example.org/a…](<{target}>) now"
    assert matrix_html(message) == (
        'Read <a href="https://blog.example.org/a|b?x=1&amp;y=2">blog.example.org/a…</a> now'
    )


def test_discord_escapes_formatting_pings_and_line_starts() -> None:
    text = "# Big\n> quote\n- item <@123> `code` [x](y) ~~s~~ |sp| a_b\\"
    message = Message(text=text, url="", title="", description="")
    lines = [r"\# Big", r"\> quote", r"\- item \<@123> \`code\` \[x\](y) \~\~s\~\~ \|sp\| a\_b\\"]
    assert discord_markdown(message) == "\n".join(lines)


def test_matrix_html_keeps_lines_and_escapes_quotes_in_links() -> None:
    message = linked(
        'One\nTwo "x" https://e.org/?q="a"', 'https://e.org/?q="a"', 'https://e.org/?q="a"'
    )
    assert matrix_html(message) == (
        'One<br>Two "x" <a href="https://e.org/?q=&quot;a&quot;">https://e.org/?q="a"</a>'
    )


def test_overlapping_or_outside_spans_read_as_plain_text() -> None:
    spans = (Span(0, 4, "link", "https://a.example/"), Span(2, 6, "link", "https://b.example/"),
             Span(5, 99, "link", "https://c.example/"))  # fmt: skip
    message = Message(text="abcdefgh", url="", title="", description="", spans=spans)
    assert [(stretch, span is not None) for stretch, span in pieces(message)] == [
        ("abcd", True),
        ("efgh", False),
    ]
