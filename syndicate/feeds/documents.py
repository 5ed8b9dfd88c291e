"""Whole feed documents: a head made by feedgen (or the JSON Feed fields), then the entries.

Documents are deterministic: nothing in them depends on when or where the build ran, so the
same posts always give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate import __version__
from syndicate.feeds.entries import utc
from syndicate.feeds.plaintext import (
    atom_texts,
    marked,
    plain_name,
    rss_bytes,
    rss_marked,
    rss_texts,
)
from syndicate.model import FeedFormat, FeedOutput, FeedSpec, History

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005


@dataclass(frozen=True, slots=True)
class FeedHead:
    """Feed-level facts shared by every format of one feed."""

    spec: FeedSpec
    feed_id: str
    updated: datetime
    author: str
    language: str | None
    hubs: tuple[str, ...]
    icon: str | None
    logo: str | None


@dataclass(frozen=True, slots=True)
class Shell:
    """A document with no entries, and where the entries go."""

    before: bytes
    after: bytes
    separator: bytes

    def __len__(self) -> int:
        return len(self.before) + len(self.after)

    def fill(self, entries: Sequence[bytes]) -> bytes:
        return self.before + self.separator.join(entries) + self.after


def shell(head: FeedHead, output: FeedOutput) -> Shell:
    """The empty document for one output of a feed, ready to take serialised entries."""
    if output.format is FeedFormat.ATOM:
        return _split(_atom_head(head, output), b"</feed>")
    if output.format is FeedFormat.RSS:
        hubs = b"".join(f'<atom:link href="{_attr(h)}" rel="hub"/>'.encode() for h in head.hubs)
        empty = _split(_rss_head(head, output), b"</channel>")
        return Shell(empty.before + hubs, empty.after, b"")
    return _split(_json_document(head, output), b"]}", separator=b",")


def assemble(head: FeedHead, output: FeedOutput, entries: Sequence[bytes]) -> bytes:
    """The document for one output of a feed, with its already-serialised entries."""
    return shell(head, output).fill(entries)


def _split(document: bytes, closing: bytes, separator: bytes = b"") -> Shell:
    at = document.rindex(closing)
    return Shell(document[:at], document[at:], separator)


def _generator(head: FeedHead, output: FeedOutput, *, page_first: bool) -> FeedGenerator:
    spec = head.spec
    fg = FeedGenerator()
    fg.id(head.feed_id)
    fg.title(spec.title)
    fg.updated(utc(head.updated))
    page = {"href": spec.page_url, "rel": "alternate", "type": "text/html"}
    own = {"href": output.url, "rel": "self", "type": output.format.media_type}
    # Atom: the site's page first, as some JavaScript parsers take the first <link> for the
    # site. RSS: feedgen makes the channel's <link> of the last one given, which must be it.
    for link in (page, own) if page_first else (own, page):
        fg.link(**link)
    fg.author({"name": plain_name(head.author)})
    fg.generator("syndicate", version=__version__)
    if head.language:
        fg.language(head.language)
    if head.icon:
        fg.icon(head.icon)
    if head.logo:
        fg.logo(head.logo)
    return fg


def _atom_head(head: FeedHead, output: FeedOutput) -> bytes:
    fg = _generator(head, output, page_first=True)
    if head.spec.description and head.spec.description != head.spec.title:
        fg.subtitle(head.spec.description)
    for hub in head.hubs:
        fg.link(href=hub, rel="hub")
    data = bytes(fg.atom_str(pretty=False))
    history = output.history
    if not (marked(head.spec.title) or marked(head.spec.description) or history):
        return data
    root = etree.fromstring(data)
    atom_texts(root)
    if history:
        _mark_history(root, f"{{{ATOM_NS}}}link", history)
    return _serialise(root)


def _rss_head(head: FeedHead, output: FeedOutput) -> bytes:
    fg = _generator(head, output, page_first=False)
    fg.load_extension("dc", atom=False, rss=True)  # declares dc: for the items' dc:creator
    fg.description(head.spec.description or head.spec.title)
    if head.logo:
        fg.image(url=head.logo, title=head.spec.title, link=head.spec.page_url)
    data = bytes(fg.rss_str(pretty=False))
    history = output.history
    if not (rss_marked(head.spec.title) or rss_marked(head.spec.description) or history):
        return data
    root = etree.fromstring(data)
    rss_texts(root)
    if history:
        _mark_history(root[0], f"{{{ATOM_NS}}}link", history)
    return rss_bytes(_serialise(root))


def _mark_history(parent: etree._Element, link: str, history: History) -> None:
    """RFC 5005's links and markers, at the end of the feed's (or channel's) head."""
    for rel, href in (
        ("current", history.current),
        ("prev-archive", history.prev_archive),
        ("next-archive", history.next_archive),
    ):
        if href:
            etree.SubElement(parent, link, rel=rel, href=href)
    for marker, on in (("archive", history.archive), ("complete", history.complete)):
        if on:
            etree.SubElement(parent, f"{{{HISTORY_NS}}}{marker}", nsmap={"fh": HISTORY_NS})


def _serialise(root: etree._Element) -> bytes:
    """As feedgen serialises a document."""
    return bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=True))


def _json_document(head: FeedHead, output: FeedOutput) -> bytes:
    spec = head.spec
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": spec.title,
        "home_page_url": spec.page_url,
        "feed_url": output.url,
    }
    if spec.description and spec.description != spec.title:
        document["description"] = spec.description
    if head.icon:
        document["favicon"] = head.icon
    if head.logo:
        document["icon"] = head.logo
    document["authors"] = [{"name": head.author}]
    if head.language:
        document["language"] = head.language
    if head.hubs:
        document["hubs"] = [{"type": "WebSub", "url": hub} for hub in head.hubs]
    if output.history and output.history.prev_archive:
        document["next_url"] = output.history.prev_archive  # JSON Feed's link to older items
    document["items"] = []
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
