"""Telegram: a bot posts to a channel or group (the account's `room`: `@channelname` or the
chat's numeric id) through the Bot API, with the bot's token (credentials.token).

Text goes with `sendMessage` in HTML parse mode (the text escaped, so nothing in a post is
taken for markup), with the post's link preview. With an image, `sendPhoto` uploads it with
the text as its caption; a caption holds 1,024 characters against a message's 4,096, so an
account that sends images is fitted to 1,024 (Bot API reference: sendMessage, sendPhoto,
"Sending files": photos to 10 MB, width plus height at most 10,000).

A bot can neither give a message an idempotency key nor read a channel's history: `find()`
cannot know, so a crash exactly mid-send (or an answer lost on the way back) may post one
message twice, as with Slack and Discord. Errors come as `{"ok": false, "error_code",
"description"}`; a 429 names its wait in `parameters.retry_after`.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import datetime

import httpx

from syndicate.accounts import AccountSettings
from syndicate.clock import Clock
from syndicate.errors import AuthError, PublishError, RejectedError, TransientError
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.httpcalls import (
    WaitHint,
    json_object,
    make_client,
    number,
    require_http_url,
    require_secret,
    status_error,
    transport_error,
)
from syndicate.publish.media import Image, ImageLimits, ImageSource
from syndicate.publish.network import CHAT_TEMPLATE, Network

DEFAULT_SERVER = "https://api.telegram.org"
MESSAGE_RULES = TextRules("telegram", 4096, "chars", None)
CAPTION_RULES = TextRules("telegram", 1024, "chars", None)
IMAGE_LIMITS = ImageLimits(max_bytes=10_000_000, max_side=5000, alt_limit=0)
log = logging.getLogger(__name__)


class TelegramPublisher:
    """One bot posting to one chat."""

    def __init__(self, context: Context, client: httpx.Client) -> None:
        account = context.account
        server = require_http_url(account.server or DEFAULT_SERVER, "server").rstrip("/")
        # The token is part of every method's URL: kept in the client, never in a message.
        client.base_url = httpx.URL(f"{server}/bot{require_secret(context, 'token')}/")
        self._client = client
        self._chat = account.room or ""
        self._clock: Clock = context.clock
        self._images = ImageSource(context, "telegram") if account.images else None

    def rules(self) -> TextRules:
        return CAPTION_RULES if self._images is not None else MESSAGE_RULES

    def send(self, message: Message, key: str) -> Receipt:
        text = html.escape(message.text, quote=False)
        image = self._images.image(message, IMAGE_LIMITS) if self._images else None
        if image is not None:
            sent = self._photo(image, text)
            if sent is not None:
                return sent
        body = {
            "chat_id": self._chat,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"url": message.url},
        }
        return self._receipt(self._call("sendMessage", json=body))

    def find(self, message: Message, key: str) -> Receipt | None:
        return None  # a bot cannot read a channel's history

    def close(self) -> None:
        self._client.close()
        if self._images is not None:
            self._images.close()

    def _photo(self, image: Image, caption: str) -> Receipt | None:
        """The photo with its caption; None when Telegram refuses the photo (the text then
        goes as a message)."""
        data = {"chat_id": self._chat, "caption": caption, "parse_mode": "HTML"}
        files = {"photo": (f"image.{image.extension}", image.data, image.media_type)}
        try:
            return self._receipt(self._call("sendPhoto", data=data, files=files))
        except RejectedError as refused:
            log.warning("telegram: the photo goes without: %s", refused.reason)
            return None

    def _receipt(self, result: dict[str, object]) -> Receipt:
        message_id = result.get("message_id")
        chat = result.get("chat")
        username = chat.get("username") if isinstance(chat, dict) else None
        url = f"https://t.me/{username}/{message_id}" if username else None
        return Receipt(str(message_id), url)

    def _call(self, method: str, **options: object) -> dict[str, object]:
        """One Bot API method; its `result`, or the PublishError its answer means."""
        try:
            response = self._client.post(method, **options)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise transport_error("telegram", exc) from exc
        answer = json_object(response)
        result = answer.get("result")
        if response.is_success and answer.get("ok") is True and isinstance(result, dict):
            return result
        raise _error(response, answer, self._clock)


def _error(
    response: httpx.Response, answer: dict[str, object] | object, clock: Clock
) -> PublishError:
    found = answer if isinstance(answer, dict) else {}
    reason = f"telegram answered {response.status_code}: {found.get('description') or '?'}"
    if response.status_code in {401, 403, 404}:  # a wrong token, or a bot not in the chat
        return AuthError(reason)
    if response.status_code == 429:
        return status_error("telegram", response, clock, _retry_after_of(found))
    if response.status_code >= 500:
        return TransientError(reason)
    if response.is_success:  # a 2xx that is not Telegram's own answer
        return TransientError(f"telegram answered {json.dumps(found)[:200]}")
    return RejectedError(reason)


def _retry_after_of(answer: dict[str, object]) -> WaitHint:
    parameters = answer.get("parameters")
    wait = number(parameters.get("retry_after")) if isinstance(parameters, dict) else None

    def hint(response: httpx.Response, now: datetime) -> float | None:
        return wait

    return hint


def make(context: Context) -> Publisher:
    return TelegramPublisher(context, make_client(context))


def _needs_a_chat(account: AccountSettings) -> list[str]:
    if account.room:
        return []
    return [f"account {account.name!r}: a Telegram account needs room = @channel or chat id"]


NETWORK = Network(
    "telegram", make, ("token",), MESSAGE_RULES, template=CHAT_TEMPLATE, check=_needs_a_chat
)
