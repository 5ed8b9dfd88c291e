"""A feed's bytes → the entries in them, in feedparser's shape whatever the format.

Atom and RSS (any version, malformed ones as far as they go) are feedparser's; JSON Feed, which
feedparser 6 does not read, is turned into the same shape here so the normaliser knows one.
Pure: bytes, the URL they came from and the response headers in, a mapping out.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import feedparser

from syndicate.errors import NotAFeedError

# A bozo feed with entries is still read. These "errors" mean only that the server's headers
# were imprecise (an RSS feed served as text/html, a wrong charset); not worth a warning.
_HARMLESS_BOZO = frozenset(
    {"NonXMLContentType", "CharacterEncodingOverride", "CharacterEncodingUnknown"}
)


def parse_feed(
    body: bytes, url: str, headers: Mapping[str, str] | None = None
) -> Mapping[str, Any]:
    """The feed in `body` as feedparser gives it (a JSON Feed in the same shape), fetched from
    `url` with the response `headers` (they tell the encoding). Raises NotAFeedError."""
    if not body.strip():
        raise NotAFeedError("the server sent an empty answer")
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if "json" in media_type or body.lstrip()[:1] == b"{":
        feed = _json_feed(body)
        if feed is not None:
            return feed
    # Relative links in entries resolve against the address the feed came from.
    headers["content-location"] = url
    # A BytesIO, never the bytes themselves: feedparser opens a bytes argument as a file name
    # if it can. Its sanitiser is off because ours (content/render) runs later and turns
    # embeds into links where feedparser's would delete them.
    parsed: Mapping[str, Any] = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False
    )
    if not parsed.get("entries") and not parsed.get("version"):
        reason = parsed.get("bozo_exception") if parsed.get("bozo") else None
        kind = f" (got {media_type})" if media_type and "xml" not in media_type else ""
        raise NotAFeedError(f"not a feed{kind}" + (f": {reason}" if reason else ""))
    return parsed


def bozo_warnings(feed: Mapping[str, Any]) -> list[str]:
    """What to tell the user about a feed that was read despite being malformed."""
    exc = feed.get("bozo_exception")
    if not feed.get("bozo") or exc is None or type(exc).__name__ in _HARMLESS_BOZO:
        return []
    return [f"the feed is malformed ({exc}); what could be read was taken"]


def _json_feed(data: bytes) -> dict[str, Any] | None:
    """A JSON Feed in feedparser's shape; None if `data` is not one."""
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        return None
    head = {
        "title": doc.get("title"),
        "link": doc.get("home_page_url"),
        "language": doc.get("language"),
        "authors": _json_authors(doc),
    }
    entries = [_json_item(item) for item in _json_list(doc, "items") if isinstance(item, dict)]
    return {"version": "json", "bozo": False, "feed": head, "entries": entries}


def _json_item(item: Mapping[str, Any]) -> dict[str, Any]:
    content = None
    if isinstance(item.get("content_html"), str):
        content = {"type": "text/html", "value": item["content_html"]}
    elif isinstance(item.get("content_text"), str):
        content = {"type": "text/plain", "value": item["content_text"]}
    summary = item.get("summary")
    image = item.get("image")
    return {
        "id": str(item["id"]) if item.get("id") is not None else None,
        "link": item.get("url") or item.get("external_url"),
        "title": item.get("title"),
        "published": item.get("date_published"),
        "updated": item.get("date_modified"),
        "authors": _json_authors(item),
        # A list only: iterating a string would make each of its letters a tag.
        "tags": [{"term": t} for t in _json_list(item, "tags") if isinstance(t, str)],
        "content": [content] if content else [],
        "summary_detail": (
            {"type": "text/plain", "value": summary} if isinstance(summary, str) else None
        ),
        "enclosures": [
            _json_attachment(a) for a in _json_list(item, "attachments") if isinstance(a, dict)
        ],
        "media_thumbnail": [{"url": image}] if isinstance(image, str) else [],
        "language": item.get("language"),
    }


def _json_list(node: Mapping[str, Any], name: str) -> list[Any]:
    value = node.get(name)
    return value if isinstance(value, list) else []


def _json_attachment(attachment: Mapping[str, Any]) -> dict[str, Any]:
    size = attachment.get("size_in_bytes")
    return {
        "href": attachment.get("url"),
        "type": attachment.get("mime_type"),
        "length": str(size) if isinstance(size, int) else "",
    }


def _json_authors(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    people = node.get("authors")
    if not isinstance(people, list):  # JSON Feed 1.0 had one `author`
        people = [node["author"]] if isinstance(node.get("author"), dict) else []
    return [{"name": p.get("name"), "href": p.get("url")} for p in people if isinstance(p, dict)]
