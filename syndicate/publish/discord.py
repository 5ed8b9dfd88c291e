"""Discord through a channel webhook (credentials.url).

`?wait=true` makes Discord answer with the message it created, so the receipt carries its id.
Webhooks have no idempotency key and cannot list the channel, so `find()` returns None.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import httpx

from syndicate.clock import Clock
from syndicate.errors import RejectedError
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.httpcalls import (
    call,
    json_object,
    make_client,
    number,
    require_http_url,
    require_secret,
)
from syndicate.publish.markup import discord_markdown
from syndicate.publish.network import CHAT_TEMPLATE, Network

CONTENT_LIMIT = 2000  # characters of message content
TITLE_LIMIT = 256  # an embed's title
DESCRIPTION_LIMIT = 4096  # an embed's description
RULES = TextRules("discord", 2000, "chars", None)


class DiscordPublisher:
    """Posts markdown content and one link embed (title, description, thumbnail)."""

    def __init__(self, url: str, *, clock: Clock, client: httpx.Client) -> None:
        self._url = httpx.URL(require_http_url(url, "credentials.url")).copy_merge_params(
            {"wait": "true"}
        )
        self._clock = clock
        self._client = client

    def rules(self) -> TextRules:
        return RULES

    def send(self, message: Message, key: str) -> Receipt:
        request = self._client.build_request("POST", self._url, json=payload(message))
        response = call(self._client, request, network="discord", clock=self._clock, wait=_wait)
        created = json_object(response)
        remote_id = created.get("id")
        if not isinstance(remote_id, str) or not remote_id:  # posted all the same: a 2xx
            return Receipt(remote_id=key)
        return Receipt(remote_id=remote_id, url=_message_url(created, remote_id))

    def find(self, message: Message, key: str) -> Receipt | None:
        return None  # a webhook has no idempotency key and cannot search the channel

    def close(self) -> None:
        self._client.close()


def make_discord(context: Context) -> Publisher:
    return DiscordPublisher(
        require_secret(context, "url"), clock=context.clock, client=make_client(context)
    )


def payload(message: Message) -> dict[str, object]:
    """The webhook body: content, the post's card as an embed, and no pings from the text."""
    content = discord_markdown(message)
    if len(content) > CONTENT_LIMIT:  # escaping made a fitting text too long
        raise RejectedError(
            f"discord content is {len(content)} characters once escaped; the limit is "
            f"{CONTENT_LIMIT}"
        )
    embed: dict[str, object] = {
        "title": _clip(message.title, TITLE_LIMIT),
        "url": message.url,
        "description": _clip(message.description, DESCRIPTION_LIMIT),
    }
    if message.image:
        embed["thumbnail"] = {"url": message.image}
    # A post that quotes "@everyone" must not ping the whole server.
    return {"content": content, "embeds": [embed], "allowed_mentions": {"parse": []}}


def _wait(response: httpx.Response, _now: datetime) -> float | None:
    # Headers first: the body's retry_after has been seen in milliseconds on unversioned
    # webhook URLs, though documented in seconds.
    for header in ("X-RateLimit-Reset-After", "Retry-After"):
        value = _float(response.headers.get(header))
        if value is not None:
            return value
    return number(json_object(response).get("retry_after"))


def _message_url(created: Mapping[str, object], remote_id: str) -> str | None:
    guild, channel = created.get("guild_id"), created.get("channel_id")
    if isinstance(guild, str) and isinstance(channel, str):
        return f"https://discord.com/channels/{guild}/{channel}/{remote_id}"
    return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


NETWORK = Network("discord", make_discord, ("url",), RULES, template=CHAT_TEMPLATE)
