"""A network that exists only in the tests: what a contributor writes to add one. It posts the
message as JSON to the account's `credentials.url` (a receiver on 127.0.0.1), keyed by the
delivery, and finds a post it made by that key. Registered by one line in the test that uses
it (tests/test_add_a_network.py); nothing in syndicate/ names it."""

from __future__ import annotations

import json

import httpx

from syndicate.accounts import AccountSettings
from syndicate.clock import Clock
from syndicate.model import Author
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.httpcalls import call, json_object, make_client, require_secret, retry_after
from syndicate.publish.network import CHAT_TEMPLATE, Network

RULES = TextRules("echo", 120, "chars", None)


class EchoPublisher:
    def __init__(self, url: str, client: httpx.Client, clock: Clock) -> None:
        self._url, self._client, self._clock = url, client, clock

    def rules(self) -> TextRules:
        return RULES

    def send(self, message: Message, key: str) -> Receipt:
        data = json.dumps({"text": message.text, "key": key}).encode()
        request = self._client.build_request("POST", self._url, content=data)
        answer = json_object(self._call(request))
        return Receipt(str(answer["id"]), str(answer["url"]))

    def find(self, message: Message, key: str) -> Receipt | None:
        request = self._client.build_request("GET", self._url, params={"key": key})
        found = json_object(self._call(request))
        return Receipt(str(found["id"]), str(found["url"])) if found else None

    def _call(self, request: httpx.Request) -> httpx.Response:
        return call(self._client, request, network="echo", clock=self._clock, wait=retry_after)

    def close(self) -> None:
        self._client.close()


def make_echo(context: Context) -> Publisher:
    return EchoPublisher(require_secret(context, "url"), make_client(context), context.clock)


def _handle(author: Author) -> str | None:
    return author.name.replace(" ", "").lower() or None


def _needs_a_room(account: AccountSettings) -> list[str]:
    return [] if account.room else [f"account {account.name!r}: echo needs a room"]


NETWORK = Network(
    "echo",
    make_echo,
    credentials=("url",),
    rules=RULES,
    template=CHAT_TEMPLATE,
    handle=_handle,
    check=_needs_a_room,
)
