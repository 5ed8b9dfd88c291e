"""The webhook family's publishers, and the generic JSON webhook (credentials.url, optional
credentials.signing_key).

The generic webhook POSTs the message as JSON with `Idempotency-Key: <delivery key>`, so a
receiver can drop a resend; with a signing key it adds `X-Syndicate-Signature: sha256=<hex>`,
the HMAC-SHA256 of the raw body, so the receiver can check the post came from this account.
The body is the same bytes on every try. A receiver may answer JSON `{"id": ..., "url": ...}`
to name what it made.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from syndicate.clock import Clock
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.discord import make_discord
from syndicate.publish.httpcalls import (
    call,
    json_object,
    make_client,
    require_http_url,
    require_secret,
    retry_after,
)
from syndicate.publish.matrix import make_matrix
from syndicate.publish.network import CHAT_TEMPLATE, Network
from syndicate.publish.slack import make_slack

__all__ = [
    "SIGNATURE_HEADER",
    "WebhookPublisher",
    "body",
    "make_discord",
    "make_matrix",
    "make_slack",
    "make_webhook",
    "signature",
]

RULES = TextRules("webhook", 100000, "chars", None)
SIGNATURE_HEADER = "X-Syndicate-Signature"


class WebhookPublisher:
    """POSTs the message as JSON to one URL, keyed and optionally signed."""

    def __init__(
        self, url: str, *, signing_key: str | None, clock: Clock, client: httpx.Client
    ) -> None:
        self._url = require_http_url(url, "credentials.url")
        self._signing_key = signing_key
        self._clock = clock
        self._client = client

    def rules(self) -> TextRules:
        return RULES

    def send(self, message: Message, key: str) -> Receipt:
        data = body(message)
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        if self._signing_key:
            headers[SIGNATURE_HEADER] = signature(data, self._signing_key)
        request = self._client.build_request("POST", self._url, content=data, headers=headers)
        response = call(
            self._client, request, network="webhook", clock=self._clock, wait=retry_after
        )
        answer = json_object(response)
        remote_id, url = answer.get("id"), answer.get("url")
        return Receipt(
            remote_id=str(remote_id) if isinstance(remote_id, str | int) and remote_id else key,
            url=url if isinstance(url, str) and url else None,
        )

    def find(self, message: Message, key: str) -> Receipt | None:
        return None  # the receiver drops a resend by its Idempotency-Key

    def close(self) -> None:
        self._client.close()


def make_webhook(context: Context) -> Publisher:
    return WebhookPublisher(
        require_secret(context, "url"),
        signing_key=context.secrets.get("signing_key") or None,
        clock=context.clock,
        client=make_client(context),
    )


def body(message: Message) -> bytes:
    """The JSON the receiver gets: compact, keys sorted, so every try sends the same bytes."""
    fields = {
        "text": message.text,
        "url": message.url,
        "title": message.title,
        "description": message.description,
        "image": message.image,
        "language": message.language,
        "spans": [
            {"start": span.start, "end": span.end, "kind": span.kind, "target": span.target}
            for span in message.spans
        ],
    }
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(data: bytes, signing_key: str) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(signing_key.encode(), data, hashlib.sha256).hexdigest()


NETWORK = Network("webhook", make_webhook, ("url",), RULES, template=CHAT_TEMPLATE)
