"""LinkedIn: posts through the Posts API (`POST /rest/posts`) with an OAuth 2.0 bearer token
(credentials.token), as the member or organisation the account's `handle` names
(`urn:li:organization:…` or `urn:li:person:…`), with the `LinkedIn-Version` and
`X-Restli-Protocol-Version: 2.0.0` headers the versioned API requires.

The text goes as `commentary` (3,000 characters), in LinkedIn's "little text format": its
reserved characters are escaped, so a post's `(`, `#` or `@` shows as written. The post's
link goes as an article (its card); with an image, the image goes instead, uploaded through
the Images API (`initializeUpload`, then the bytes PUT to the upload URL it gives) with its
alt text (`altText`), since a LinkedIn post carries one content. The new post's id comes in
the `x-restli-id` header.

No idempotency key: after an ambiguous failure, `find()` reads the author's recent posts
(`GET /rest/posts?q=author`) for one with the same commentary.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

import httpx

from syndicate.accounts import AccountSettings
from syndicate.clock import Clock
from syndicate.errors import RejectedError, TransientError
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.httpcalls import (
    json_object,
    make_client,
    require_http_url,
    require_secret,
    retry_after,
    status_error,
    transport_error,
)
from syndicate.publish.media import Image, ImageLimits, ImageSource
from syndicate.publish.network import Network

DEFAULT_SERVER = "https://api.linkedin.com"
API_VERSION = "202405"  # LinkedIn-Version: the monthly API version this module speaks
RULES = TextRules("linkedin", 3000, "chars", None)
# Images API: JPG, GIF or PNG, under 36,152,320 pixels; alt text up to 4,086 characters.
IMAGE_LIMITS = ImageLimits(
    max_bytes=20_000_000,
    max_pixels=36_152_319,
    types=frozenset({"image/jpeg", "image/png", "image/gif"}),
    alt_limit=4086,
)
RECENT = 20
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
log = logging.getLogger(__name__)


def little_text(text: str) -> str:
    """`text` with LinkedIn's reserved characters escaped, so it shows as written."""
    return _RESERVED.sub(r"\\\1", text)


class LinkedInPublisher:
    """One author (member or organisation) on LinkedIn."""

    def __init__(self, context: Context, client: httpx.Client) -> None:
        account = context.account
        server = require_http_url(account.server or DEFAULT_SERVER, "server").rstrip("/")
        client.base_url = httpx.URL(server + "/")
        client.headers.update({
            "Authorization": f"Bearer {require_secret(context, 'token')}",
            "LinkedIn-Version": API_VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
        })  # fmt: skip
        self._client = client
        self._author = account.handle or ""
        self._clock: Clock = context.clock
        self._images = ImageSource(context, "linkedin") if account.images else None

    def rules(self) -> TextRules:
        return RULES

    def send(self, message: Message, key: str) -> Receipt:
        body: dict[str, Any] = {
            "author": self._author,
            "commentary": little_text(message.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }  # fmt: skip
        body["content"] = self._content(message)
        response = self._call("POST", "rest/posts", json=body)
        post_id = response.headers.get("x-restli-id") or str(json_object(response).get("id", ""))
        if not post_id:
            raise TransientError("linkedin answered the post without its id")
        return _receipt(post_id)

    def find(self, message: Message, key: str) -> Receipt | None:
        params = {"q": "author", "author": self._author, "count": RECENT}
        found = json_object(self._call("GET", "rest/posts", params=params))
        wanted = little_text(message.text)
        for post in found.get("elements") or []:  # type: ignore[attr-defined]
            if isinstance(post, dict) and post.get("commentary") == wanted:
                return _receipt(str(post["id"]))
        return None

    def close(self) -> None:
        self._client.close()
        if self._images is not None:
            self._images.close()

    def _content(self, message: Message) -> dict[str, Any]:
        """The image with its alt text when there is one to upload, else the article card."""
        image = self._images.image(message, IMAGE_LIMITS) if self._images else None
        urn = self._upload(image) if image is not None else None
        if image is not None and urn is not None:
            return {"media": {"id": urn, "altText": image.alt or ""}}
        article = {"source": message.url, "title": message.title}
        if message.description:
            article["description"] = message.description
        return {"article": article}

    def _upload(self, image: Image) -> str | None:
        """The image's urn once uploaded; None when LinkedIn refuses it (logged)."""
        request = {"initializeUploadRequest": {"owner": self._author}}
        try:
            action = {"action": "initializeUpload"}
            started = json_object(self._call("POST", "rest/images", params=action, json=request))
            value = started.get("value")
            if not isinstance(value, dict):
                raise TransientError("linkedin answered the image upload without a value")
            self._call("PUT", str(value["uploadUrl"]), content=image.data,
                       headers={"Content-Type": image.media_type})  # fmt: skip
        except RejectedError as refused:
            log.warning("linkedin: the image goes without: %s", refused.reason)
            return None
        return str(value["image"])

    def _call(self, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            response = self._client.request(method, url, **options)
        except httpx.HTTPError as exc:
            raise transport_error("linkedin", exc, write=method != "GET") from exc
        if response.is_success:
            return response
        raise status_error("linkedin", response, self._clock, retry_after)


def _receipt(post_id: str) -> Receipt:
    return Receipt(post_id, f"https://www.linkedin.com/feed/update/{quote(post_id, safe=':')}/")


def make(context: Context) -> Publisher:
    return LinkedInPublisher(context, make_client(context))


def _needs_an_author(account: AccountSettings) -> list[str]:
    if (account.handle or "").startswith(("urn:li:organization:", "urn:li:person:")):
        return []
    return [
        f"account {account.name!r}: a LinkedIn account needs handle = "
        '"urn:li:organization:ID" or "urn:li:person:ID" (the author it posts as)'
    ]


NETWORK = Network("linkedin", make, ("token",), RULES, check=_needs_an_author)
