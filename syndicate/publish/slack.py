"""Slack through an incoming webhook (credentials.url).

Slack answers a plain `ok` and gives the message no id, and incoming webhooks have no
idempotency mechanism nor a way to read the channel: `find()` cannot know, so a crash exactly
mid-send (or an answer lost on the way back) may post one message twice. Discord's webhooks
share this; every other network dedupes by the delivery key.
"""

from __future__ import annotations

import httpx

from syndicate.clock import Clock
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.httpcalls import (
    call,
    make_client,
    require_http_url,
    require_secret,
    retry_after,
)
from syndicate.publish.markup import slack_mrkdwn
from syndicate.publish.network import CHAT_TEMPLATE, Network

RULES = TextRules("slack", 4000, "chars", None)


class SlackPublisher:
    """Posts mrkdwn text to one incoming webhook; Slack unfurls the post's link as its card."""

    def __init__(self, url: str, *, clock: Clock, client: httpx.Client) -> None:
        self._url = require_http_url(url, "credentials.url")
        self._clock = clock
        self._client = client

    def rules(self) -> TextRules:
        return RULES

    def send(self, message: Message, key: str) -> Receipt:
        payload = {"text": slack_mrkdwn(message), "unfurl_links": True}
        request = self._client.build_request("POST", self._url, json=payload)
        call(self._client, request, network="slack", clock=self._clock, wait=retry_after)
        # No id comes back: the delivery key is the only name this post will have.
        return Receipt(remote_id=key)

    def find(self, message: Message, key: str) -> Receipt | None:
        return None  # a webhook cannot read the channel back

    def close(self) -> None:
        self._client.close()


def make_slack(context: Context) -> Publisher:
    return SlackPublisher(
        require_secret(context, "url"), clock=context.clock, client=make_client(context)
    )


NETWORK = Network("slack", make_slack, ("url",), RULES, template=CHAT_TEMPLATE)
