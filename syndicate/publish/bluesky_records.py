"""The records a Bluesky post is made of, as plain data: the post, its facets, its link card and
its record key. No I/O here: the publisher resolves mentions and uploads the thumbnail first.

Facets index the text in UTF-8 bytes (the lexicon's byteStart/byteEnd), while a Message's
spans count code points, so every offset is converted; a span before non-ASCII text shifts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from syndicate.publish.base import Message, Span

JsonObject = dict[str, Any]

POST = "app.bsky.feed.post"
LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"
MENTION = "app.bsky.richtext.facet#mention"
IMAGES = "app.bsky.embed.images"
EXTERNAL = "app.bsky.embed.external"
# The base32 alphabet of TIDs, sorted so that strings sort as the numbers they encode.
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_LENGTH = 13


def record_key(key: str) -> str:
    """The post's record key for delivery `key`: the same key always names the same record, so
    a resend cannot make a second post. A post's key must be a TID (13 sortable-base32 chars of
    a 64-bit number with the top bit clear); this one is a hash of `key`, not a time."""
    value = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") >> 1
    chars = []
    for _ in range(_TID_LENGTH):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def timestamp(moment: datetime) -> str:
    """`createdAt` as the lexicon's datetime: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def handle_of(target: str) -> str:
    """A mention span's target as a bare handle: no `@`, lower case."""
    return target.strip().removeprefix("@").casefold()


def mentioned_handles(spans: Iterable[Span]) -> set[str]:
    """The handles the message mentions, to resolve to DIDs before building facets."""
    return {handle_of(span.target) for span in spans if span.kind == "mention"}


def facets(text: str, spans: Iterable[Span], dids: Mapping[str, str]) -> list[JsonObject]:
    """One facet per link, tag and resolved mention, in text order, at UTF-8 byte offsets.
    A mention whose handle has no DID in `dids` stays plain text."""
    made = []
    for span in sorted(spans, key=lambda span: span.start):
        feature = _feature(span, dids)
        if feature is not None:
            index = {
                "byteStart": _bytes_before(text, span.start),
                "byteEnd": _bytes_before(text, span.end),
            }
            made.append({"index": index, "features": [feature]})
    return made


def link_card(message: Message, thumb: Mapping[str, Any] | None) -> JsonObject:
    """The post's link card: its permalink, title and summary, and the uploaded image blob."""
    external: JsonObject = {
        "uri": message.url,
        "title": message.title,
        "description": message.description,
    }
    if thumb is not None:
        external["thumb"] = dict(thumb)
    return {"$type": EXTERNAL, "external": external}


def image_embed(blob: Mapping[str, Any], alt: str, width: int, height: int) -> JsonObject:
    """The post's image as Bluesky shows it in the timeline, with its alt text."""
    image = {"image": dict(blob), "alt": alt, "aspectRatio": {"width": width, "height": height}}
    return {"$type": IMAGES, "images": [image]}


def post_record(
    message: Message,
    created_at: datetime,
    post_facets: list[JsonObject],
    embed: JsonObject | None,
    reply: JsonObject | None = None,
) -> JsonObject:
    """The `app.bsky.feed.post` record for `message`; `reply` holds the strong references
    (`{uri, cid}`) of the thread's `root` and `parent` for a thread's later part."""
    record: JsonObject = {"$type": POST, "text": message.text, "createdAt": timestamp(created_at)}
    if reply is not None:
        record["reply"] = reply
    if post_facets:
        record["facets"] = post_facets
    if message.language:
        record["langs"] = [message.language]
    if embed is not None:
        record["embed"] = embed
    return record


def _feature(span: Span, dids: Mapping[str, str]) -> JsonObject | None:
    if span.kind == "link":
        return {"$type": LINK, "uri": span.target}
    if span.kind == "tag":
        return {"$type": TAG, "tag": span.target.removeprefix("#")}
    if span.kind == "mention":
        did = dids.get(handle_of(span.target))
        return None if did is None else {"$type": MENTION, "did": did}
    return None


def _bytes_before(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))
