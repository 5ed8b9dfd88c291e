"""Matrix through the client-server API: one `m.room.message` in one room, as the account's
user (account `server` = homeserver URL, `room` = room id, credentials.access_token).

Exactly once: the transaction id is derived from the delivery key, so a resend of the same
delivery is answered by the homeserver with the event it already made, not a second message.
`find()` therefore stays read-only and returns None: after an ambiguous failure, sending again
*is* the lookup. Homeservers remember transaction ids for the access token's device, and
Synapse only for about half an hour, so a resend long after a crash may post again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import quote

import httpx

from syndicate.accounts import AccountSettings
from syndicate.clock import Clock
from syndicate.errors import AmbiguousError, AuthError
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.httpcalls import (
    call,
    json_object,
    make_client,
    number,
    require_http_url,
    require_secret,
    retry_after,
)
from syndicate.publish.markup import matrix_html
from syndicate.publish.network import CHAT_TEMPLATE, Network

RULES = TextRules("matrix", 16000, "chars", None)


class MatrixPublisher:
    """Sends the text with an HTML rendering (links as anchors) to one room."""

    def __init__(
        self, server: str, room: str, token: str, *, clock: Clock, client: httpx.Client
    ) -> None:
        base = require_http_url(server, "the Matrix server").rstrip("/")
        self._room = room
        self._rooms = f"{base}/_matrix/client/v3/rooms/{quote(room, safe='')}"
        self._token = token
        self._clock = clock
        self._client = client

    def rules(self) -> TextRules:
        return RULES

    def send(self, message: Message, key: str) -> Receipt:
        url = f"{self._rooms}/send/m.room.message/{transaction_id(key)}"
        request = self._client.build_request(
            "PUT", url, json=content(message), headers={"Authorization": f"Bearer {self._token}"}
        )
        response = call(self._client, request, network="matrix", clock=self._clock, wait=_wait)
        event_id = json_object(response).get("event_id")
        if not isinstance(event_id, str) or not event_id:
            # Sent, but unnamed: the same transaction id will name it on the next try.
            raise AmbiguousError("matrix answered without an event_id")
        return Receipt(remote_id=event_id, url=_permalink(self._room, event_id))

    def find(self, message: Message, key: str) -> Receipt | None:
        return None  # a resend with the same transaction id returns the existing event

    def close(self) -> None:
        self._client.close()


def make_matrix(context: Context) -> Publisher:
    account = context.account
    if not account.server or not account.room:
        raise AuthError(f"account {account.name!r}: a Matrix account needs server and room")
    return MatrixPublisher(
        account.server,
        account.room,
        require_secret(context, "access_token"),
        clock=context.clock,
        client=make_client(context),
    )


def transaction_id(key: str) -> str:
    """The delivery's transaction id: stable for the key, and safe in a URL path."""
    return "syndicate-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def content(message: Message) -> dict[str, object]:
    """An m.text event's content: plain body, escaped HTML, and an explicit empty mention
    list, so "@room" in a title pings nobody."""
    return {
        "msgtype": "m.text",
        "body": message.text,
        "format": "org.matrix.custom.html",
        "formatted_body": matrix_html(message),
        "m.mentions": {},
    }


def _wait(response: httpx.Response, now: datetime) -> float | None:
    milliseconds = number(json_object(response).get("retry_after_ms"))
    return milliseconds / 1000 if milliseconds is not None else retry_after(response, now)


def _permalink(room: str, event_id: str) -> str:
    return f"https://matrix.to/#/{quote(room, safe='')}/{quote(event_id, safe='')}"


def _needs_room(account: AccountSettings) -> list[str]:
    if account.server and account.room:
        return []
    return [f"account {account.name!r}: a Matrix account needs server and room"]


NETWORK = Network(
    "matrix", make_matrix, ("access_token",), RULES, template=CHAT_TEMPLATE, check=_needs_room
)
