"""The Telegram publisher against a Bot API server written from Telegram's reference
(tests/peers/telegram.py): text in HTML mode, the photo with its caption, and every failure
classified as the outbox needs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syndicate.accounts import AccountSettings
from syndicate.clock import FixedClock
from syndicate.errors import AmbiguousError, AuthError, RateLimitedError, RejectedError
from syndicate.publish.base import Context, Message, Publisher
from syndicate.publish.telegram import make
from tests.peers.bluesky import FileServer
from tests.peers.telegram import CHANNEL, READ_ONLY, TOKEN, TelegramBotApi, rate_limited
from tests.peers.webhooks import Answer, Fault
from tests.publish.memory_state import MemoryState
from tests.publish.test_images import SMALL

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
URL = "https://blog.example.org/2024/06/01/fresh/"


@pytest.fixture
def bot() -> Iterator[TelegramBotApi]:
    with TelegramBotApi() as server:
        yield server


@pytest.fixture(scope="module")
def images() -> Iterator[FileServer]:
    with FileServer({"/small.png": ("image/png", SMALL)}).running() as server:
        yield server


def publisher(bot: TelegramBotApi, site: str = "", token: str = TOKEN, **fields: Any) -> Publisher:
    account = AccountSettings(
        name="channel", network="telegram", server=bot.base, **{"room": CHANNEL, **fields}
    )
    return make(Context(account, {"token": token}, FixedClock(NOW), MemoryState(), 10.0, site))


def message(text: str, image: str | None = None) -> Message:
    return Message(text, URL, "Fresh", "A summary.", image, "A red square")


def test_text_goes_in_html_mode_escaped_with_the_posts_link_preview(bot: TelegramBotApi) -> None:
    text = "Fresh release <b>not bold</b> & more\nhttps://blog.example.org/2024/06/01/fresh/"
    receipt = publisher(bot, images=False).send(message(text), "k")
    [sent] = bot.sent
    assert sent["text"] == text  # what readers see: the markup shown as typed
    assert sent["preview"] == {"url": URL}
    assert receipt.url == f"https://t.me/{CHANNEL.lstrip('@')}/1"


def test_the_image_goes_as_a_photo_with_the_text_as_caption(
    bot: TelegramBotApi, images: FileServer
) -> None:
    made = publisher(bot, site=images.url)
    assert made.rules().limit == 1024  # a caption's limit, as photos may go
    made.send(message("With a picture", images.url + "/small.png"), "k")
    [sent] = bot.sent
    assert (sent["caption"], sent["photo"]) == ("With a picture", SMALL)
    assert publisher(bot, images=False).rules().limit == 4096


def test_a_refused_photo_leaves_the_text_to_go_as_a_message(
    bot: TelegramBotApi, images: FileServer
) -> None:
    refused = {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: PHOTO_INVALID_DIMENSIONS",
    }
    bot.inject(Answer.of_json(400, refused))
    publisher(bot, site=images.url).send(message("Photo refused", images.url + "/small.png"), "k")
    assert [m.get("text") for m in bot.sent] == ["Photo refused"]


@pytest.mark.parametrize(
    ("setup", "error", "words"),
    [
        ({"token": "0:wrong"}, AuthError, "Unauthorized"),
        ({"room": READ_ONLY}, AuthError, "not a member"),
        ({"room": "@nowhere"}, RejectedError, "chat not found"),
    ],
)
def test_refusals_are_classified(
    bot: TelegramBotApi, setup: dict[str, str], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        publisher(bot, images=False, **setup).send(message("Hello"), "k")


def test_a_429_waits_as_long_as_telegram_says(bot: TelegramBotApi) -> None:
    bot.inject(rate_limited(42))
    with pytest.raises(RateLimitedError) as raised:
        publisher(bot, images=False).send(message("Hello"), "k")
    assert raised.value.until == NOW + timedelta(seconds=42)


def test_a_lost_answer_may_have_posted_and_find_cannot_tell(bot: TelegramBotApi) -> None:
    bot.inject(Fault.DROP_AFTER)
    made = publisher(bot, images=False)
    with pytest.raises(AmbiguousError):
        made.send(message("Hello"), "k")
    assert len(bot.sent) == 1 and made.find(message("Hello"), "k") is None
