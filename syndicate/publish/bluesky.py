"""Bluesky: posts as `app.bsky.feed.post` records created over XRPC in the account's repository
on its PDS, logged in with the account's handle and an app password.

Exactly once: the record key is derived from the delivery key, so the post a delivery makes
always has the same `at://` URI. After a failure that may have created it, or a create the PDS
refuses because the record exists (it answers 500), `getRecord` with that key tells.

Each post carries facets for its links, hashtags and mentions (byte offsets: see
bluesky_records) and a link card to the blog post, with the post's image as its thumbnail when
the image can be fetched, is an image and fits the lexicon's size limit. The image's URL may
come from a remote source's entry, so it is fetched through the guarded client of
httpcalls.content_client: public addresses and the blog's own host only, within one timeout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from syndicate import __version__
from syndicate.errors import AddressRefusedError, AmbiguousError, PublishError
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.bluesky_records import (
    POST,
    JsonObject,
    facets,
    handle_of,
    link_card,
    mentioned_handles,
    post_record,
    record_key,
)
from syndicate.publish.bluesky_xrpc import Login, Xrpc, error_name, json_object, status_error
from syndicate.publish.handles import bluesky_handle
from syndicate.publish.httpcalls import content_client
from syndicate.publish.network import Network
from syndicate.watch.transport import DEADLINE

DEFAULT_SERVER = "https://bsky.social"
THUMB_LIMIT = 1_000_000  # bytes: app.bsky.embed.external's thumb maxSize
APP_URL = "https://bsky.app/profile/{handle}/post/{rkey}"
NOT_FOUND = "RecordNotFound"

log = logging.getLogger(__name__)


def make(context: Context) -> Publisher:
    """The factory for `network = "bluesky"` accounts."""
    return BlueskyPublisher(context)


class BlueskyPublisher:
    """One Bluesky account. `client` (the PDS's) is for tests; by default the publisher makes
    its own. Images are fetched with a separate, guarded client."""

    def __init__(self, context: Context, client: httpx.Client | None = None) -> None:
        self._context = context
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=context.timeout, headers={"User-Agent": f"syndicate/{__version__}"}
        )
        self._images = content_client(context)
        account = context.account
        login = Login(
            server=(account.server or DEFAULT_SERVER).rstrip("/"),
            identifier=handle_of(account.handle or ""),
            password=context.secrets.get("app_password", "").strip() or None,
        )
        self._xrpc = Xrpc(self._client, login, context.state, context.clock)

    def rules(self) -> TextRules:
        return NETWORK.rules

    def send(self, message: Message, key: str) -> Receipt:
        rkey = record_key(key)
        body = {
            "repo": self._xrpc.session().did,
            "collection": POST,
            "rkey": rkey,
            "record": self._record(message),
        }
        try:
            created = self._xrpc.procedure("com.atproto.repo.createRecord", body=body, write=True)
        except AmbiguousError:
            # Lost answers, and a create over an existing record (the PDS answers 500): the
            # record this key names tells whether the post exists.
            existing = self._existing(rkey)
            if existing is None:
                raise
            return existing
        return self._receipt(str(created["uri"]), rkey)

    def find(self, message: Message, key: str) -> Receipt | None:
        return self._lookup(record_key(key))

    def close(self) -> None:
        self._images.close()
        if self._owns_client:
            self._client.close()

    def _record(self, message: Message) -> JsonObject:
        """The post record: mentions resolved to DIDs, the image uploaded as the card's thumb."""
        dids = {handle: did for handle in mentioned_handles(message.spans)
                if (did := self._resolve(handle)) is not None}  # fmt: skip
        post_facets = facets(message.text, message.spans, dids)
        embed = link_card(message, self._thumb(message.image))
        return post_record(message, self._context.clock.now(), post_facets, embed)

    def _existing(self, rkey: str) -> Receipt | None:
        """The record at `rkey` if it can be seen now; None when it cannot (yet)."""
        try:
            return self._lookup(rkey)
        except PublishError:
            return None

    def _lookup(self, rkey: str) -> Receipt | None:
        nsid = "com.atproto.repo.getRecord"
        params = {"repo": self._xrpc.session().did, "collection": POST, "rkey": rkey}
        response = self._xrpc.query(nsid, params)
        if response.is_success:
            return self._receipt(str(json_object(nsid, response)["uri"]), rkey)
        if error_name(response) == NOT_FOUND:
            return None
        raise status_error(nsid, response, self._context.clock, write=False)

    def _resolve(self, handle: str) -> str | None:
        """The DID of `handle`, or None when no such handle exists."""
        nsid = "com.atproto.identity.resolveHandle"
        response = self._xrpc.query(nsid, {"handle": handle})
        if response.is_success:
            did = json_object(nsid, response).get("did")
            return did if isinstance(did, str) else None
        if response.status_code == 400:  # HandleNotFound, or not a handle at all
            log.warning("bluesky: cannot mention %s: no such handle", handle)
            return None
        raise status_error(nsid, response, self._context.clock, write=False)

    def _thumb(self, url: str | None) -> Mapping[str, Any] | None:
        """The uploaded blob of the post's image, or None when there is no usable image."""
        image = self._download(url) if url else None
        if image is None:
            return None
        data, media_type = image
        uploaded = self._xrpc.procedure(
            "com.atproto.repo.uploadBlob", content=data, content_type=media_type
        )
        blob = uploaded.get("blob")
        return blob if isinstance(blob, dict) else None

    def _download(self, url: str) -> tuple[bytes, str] | None:
        """The image at `url` and its media type; None (logged) when it is not a usable image:
        a card without a thumbnail beats no post. The whole download takes at most the
        context's timeout, however slowly the server sends it."""
        deadline = time.monotonic() + self._context.timeout
        try:
            with self._images.stream("GET", url, extensions={DEADLINE: deadline}) as response:
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                if response.status_code != 200 or not media_type.startswith("image/"):
                    log.warning("bluesky: no thumbnail: %s answered %s %s",
                                url, response.status_code, media_type)  # fmt: skip
                    return None
                data = _read_at_most(response, THUMB_LIMIT)
        except (httpx.HTTPError, httpx.InvalidURL, AddressRefusedError) as exc:
            log.warning("bluesky: no thumbnail: %s: %s", url, exc)
            return None
        if data is None:
            log.warning("bluesky: no thumbnail: %s is larger than %d bytes", url, THUMB_LIMIT)
            return None
        return data, media_type

    def _receipt(self, uri: str, rkey: str) -> Receipt:
        handle = self._xrpc.session().handle
        return Receipt(remote_id=uri, url=APP_URL.format(handle=handle, rkey=rkey))


def _read_at_most(response: httpx.Response, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes (without reading the rest)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


NETWORK = Network(
    "bluesky",
    make,
    ("app_password",),
    TextRules("bluesky", 300, "graphemes", None, shortens_links=True, byte_limit=3000),
    handle=bluesky_handle,
)
