"""Threads (Meta): posts through the Threads API with the account's access token
(credentials.access_token), as the user `handle` names (its Threads user id; `me` by default).

Posting is two steps (Threads API reference, "Posts"): a media container is created
(`POST /v1.0/{user}/threads`, `media_type` TEXT or IMAGE, `text`, `image_url`, `alt_text`,
`reply_to_id` for a thread's next part), then published (`POST /{user}/threads_publish`
with its `creation_id`). Text holds 500 characters, an emoji counted as its UTF-8 bytes
(counting.py's "emoji-bytes"). Threads fetches an image from its URL itself, so the image is
the post's own, as the blog serves it: it cannot be resized here (Threads takes JPEG and PNG
to 8 MB), and one Threads cannot fetch fails the container, which is then made without it.

There is no idempotency key. A container never published is harmless, so the step that may
post twice is the publish: after an ambiguous failure, `find()` reads the account's recent
posts (or replies, for a thread's later part) for one with the message's text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx

from syndicate.clock import Clock
from syndicate.errors import (
    AuthError,
    PublishError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.httpcalls import (
    json_object,
    make_client,
    require_http_url,
    require_secret,
    retry_after,
    transport_error,
    wait_until,
)
from syndicate.publish.network import Network

DEFAULT_SERVER = "https://graph.threads.net"
VERSION = "v1.0"
RULES = TextRules("threads", 500, "emoji-bytes", None)
RECENT = 50  # posts find() reads back
AUTH_CODES = {102, 190, 200, 10}  # Graph API: session, token, permission errors
RATE_CODES = {4, 17, 32, 613}  # Graph API: call-rate and posting limits
log = logging.getLogger(__name__)


class ThreadsPublisher:
    """One Threads profile."""

    def __init__(self, context: Context, client: httpx.Client) -> None:
        account = context.account
        server = require_http_url(account.server or DEFAULT_SERVER, "server").rstrip("/")
        client.base_url = httpx.URL(f"{server}/{VERSION}/")
        self._client = client
        self._token = require_secret(context, "access_token")
        self._user = (account.handle or "me").lstrip("@")
        self._images = account.images
        self._clock: Clock = context.clock

    def rules(self) -> TextRules:
        return RULES

    def send(self, message: Message, key: str) -> Receipt:
        container = self._container(message)
        published = self._call("POST", f"{self._user}/threads_publish", {"creation_id": container})
        return Receipt(_id(published), self._permalink(_id(published)))

    def find(self, message: Message, key: str) -> Receipt | None:
        listing = "replies" if message.reply_to else "threads"
        fields = "id,text,permalink,replied_to"
        found = self._call("GET", f"{self._user}/{listing}", {"fields": fields, "limit": RECENT})
        wanted = _comparable(message.text)
        answering = message.reply_to.remote_id if message.reply_to else None
        for post in found.get("data") or []:
            if not isinstance(post, dict) or _comparable(str(post.get("text", ""))) != wanted:
                continue
            replied = post.get("replied_to")
            if answering is None or (isinstance(replied, dict) and replied.get("id") == answering):
                return self._receipt(post)
        return None

    def close(self) -> None:
        self._client.close()

    def _container(self, message: Message) -> str:
        """The media container for `message`: with its image when Threads can fetch it."""
        fields: dict[str, str] = {"media_type": "TEXT", "text": message.text}
        if message.reply_to is not None:
            fields["reply_to_id"] = message.reply_to.remote_id
        if self._images and message.image:
            pictured = fields | {"media_type": "IMAGE", "image_url": message.image}
            if message.image_alt:
                pictured["alt_text"] = message.image_alt
            try:
                return _id(self._call("POST", f"{self._user}/threads", pictured))
            except RejectedError as refused:
                log.warning("threads: the image goes without: %s", refused.reason)
        return _id(self._call("POST", f"{self._user}/threads", fields))

    def _permalink(self, post_id: str) -> str | None:
        """The post's address, for the outbox; None when Threads does not say (it is posted)."""
        try:
            found = self._call("GET", post_id, {"fields": "permalink"})
        except PublishError:
            return None
        permalink = found.get("permalink")
        return permalink if isinstance(permalink, str) else None

    def _receipt(self, post: Mapping[str, Any]) -> Receipt:
        permalink = post.get("permalink")
        return Receipt(str(post["id"]), permalink if isinstance(permalink, str) else None)

    def _call(self, method: str, path: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """One Graph API call with the token; its JSON, or the PublishError it means."""
        query = {**params, "access_token": self._token}
        try:
            response = self._client.request(method, path, params=query)
        except httpx.HTTPError as exc:
            raise transport_error("threads", exc, write=method == "POST") from exc
        answer = json_object(response)
        if (response.is_success and "id" in answer) or "data" in answer:
            return answer
        raise _error(response, answer, self._clock)


def _error(response: httpx.Response, answer: Mapping[str, object], clock: Clock) -> PublishError:
    details = answer.get("error")
    error = details if isinstance(details, dict) else {}
    code = error.get("code")
    reason = f"threads answered {response.status_code}: {error.get('message') or '?'}"
    if code in AUTH_CODES or response.status_code in {401, 403}:
        return AuthError(reason)
    if code in RATE_CODES or response.status_code == 429:
        return RateLimitedError(reason, until=wait_until(response, clock, retry_after))
    if response.is_success:
        return TransientError(f"threads answered {response.status_code} without an id")
    if response.status_code >= 500 or error.get("is_transient"):
        return TransientError(reason)
    return RejectedError(reason)


def _id(answer: Mapping[str, Any]) -> str:
    return str(answer["id"])


def _comparable(text: str) -> str:
    return " ".join(re.sub(r"\s+", " ", text).split())


def make(context: Context) -> Publisher:
    return ThreadsPublisher(context, make_client(context))


NETWORK = Network("threads", make, ("access_token",), RULES, replies=True)
