"""Bluesky: posts as `app.bsky.feed.post` records created over XRPC in the account's repository
on its PDS, logged in with the account's handle and an app password.

Exactly once: the record key is derived from the delivery key, so the post a delivery makes
always has the same `at://` URI. After a failure that may have created it, or a create the PDS
refuses because the record exists (it answers 500), `getRecord` with that key tells.

Each post carries facets for its links, hashtags and mentions (byte offsets: see
bluesky_records) and one embed, as the lexicon allows one:
- the post's image with its alt text (`app.bsky.embed.images`) when it has alt text: the
  timeline shows it whole and screen readers read it; the link stays the text's link facet;
- otherwise a link card to the blog post, with the image (if any) as its thumbnail: a card's
  thumbnail is decoration, which an image without alt text can only be.
Images are fetched and fitted to the lexicon's 1,000,000 bytes by publish/media.py (the URL
may come from a remote source's entry: public addresses and the blog's own host only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from syndicate import __version__
from syndicate.errors import AmbiguousError, PublishError
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.bluesky_records import (
    POST,
    JsonObject,
    facets,
    handle_of,
    image_embed,
    link_card,
    mentioned_handles,
    post_record,
    record_key,
)
from syndicate.publish.bluesky_xrpc import Login, Xrpc, error_name, json_object, status_error
from syndicate.publish.handles import bluesky_handle
from syndicate.publish.media import Image, ImageLimits, ImageSource
from syndicate.publish.network import Network

DEFAULT_SERVER = "https://bsky.social"
# app.bsky.embed.images and external's thumb: maxSize 1,000,000 bytes; alt has no set limit,
# the app cuts it at 2,000 characters.
IMAGE_LIMITS = ImageLimits(max_bytes=1_000_000, max_side=2000, alt_limit=2000)
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
        self._images = ImageSource(context, "bluesky")
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
        """The post record: mentions resolved to DIDs, the image uploaded with its alt text,
        else as the link card's thumbnail."""
        dids = {handle: did for handle in mentioned_handles(message.spans)
                if (did := self._resolve(handle)) is not None}  # fmt: skip
        post_facets = facets(message.text, message.spans, dids)
        image = self._images.image(message, IMAGE_LIMITS) if self._context.account.images else None
        blob = self._upload(image) if image is not None else None
        if image is not None and image.alt and blob is not None:
            embed = image_embed(blob, image.alt, image.width, image.height)
        else:
            embed = link_card(message, blob)
        reply = self._reply(message)
        return post_record(message, self._context.clock.now(), post_facets, embed, reply)

    def _reply(self, message: Message) -> JsonObject | None:
        """The thread's root and parent as strong references, for a thread's later part."""
        if message.reply_to is None:
            return None
        root = message.thread_root or message.reply_to
        return {"root": self._strong_ref(root.remote_id),
                "parent": self._strong_ref(message.reply_to.remote_id)}  # fmt: skip

    def _strong_ref(self, uri: str) -> JsonObject:
        """`{uri, cid}` of one of the account's records, read back from the PDS."""
        repo, collection, rkey = uri.removeprefix("at://").split("/", 2)
        nsid = "com.atproto.repo.getRecord"
        params = {"repo": repo, "collection": collection, "rkey": rkey}
        response = self._xrpc.query(nsid, params)
        if not response.is_success:
            raise status_error(nsid, response, self._context.clock, write=False)
        found = json_object(nsid, response)
        return {"uri": str(found["uri"]), "cid": str(found["cid"])}

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

    def _upload(self, image: Image) -> Mapping[str, Any] | None:
        """The uploaded blob of `image`."""
        uploaded = self._xrpc.procedure(
            "com.atproto.repo.uploadBlob", content=image.data, content_type=image.media_type
        )
        blob = uploaded.get("blob")
        return blob if isinstance(blob, dict) else None

    def _receipt(self, uri: str, rkey: str) -> Receipt:
        handle = self._xrpc.session().handle
        return Receipt(remote_id=uri, url=APP_URL.format(handle=handle, rkey=rkey))


NETWORK = Network(
    "bluesky",
    make,
    ("app_password",),
    TextRules("bluesky", 300, "graphemes", None, shortens_links=True, byte_limit=3000),
    handle=bluesky_handle,
    replies=True,
)
