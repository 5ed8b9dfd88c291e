"""Whole feed documents: a head made by feedgen (or the JSON Feed fields), then the entries.

Documents are deterministic: nothing in them depends on when or where the build ran, so the
same posts always give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from syndicate import __version__
from syndicate.feeds import xmltext
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

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator
    from lxml import etree

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005


class FeedHead(msgspec.Struct, frozen=True):
    """Feed-level facts shared by every format of one feed."""

    spec: FeedSpec
    feed_id: str
    updated: datetime
    author: str
    language: str | None
    hubs: tuple[str, ...]
    icon: str | None
    logo: str | None


class Shell(msgspec.Struct, frozen=True):
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
    from feedgen.feed import FeedGenerator  # for what xmltext.py cannot write (see entries.py)

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
    data = (
        _plain_atom_head(head, output) if _writable(head, output) else _feedgen_atom(head, output)
    )
    history = output.history
    if not (marked(head.spec.title) or marked(head.spec.description) or history):
        return data
    from lxml import etree  # for the rewrites and archive links alone (see entries.py)

    root = etree.fromstring(data)
    atom_texts(root)
    if history:
        _mark_history(root, f"{{{ATOM_NS}}}link", history)
    return _serialise(root)


def _rss_head(head: FeedHead, output: FeedOutput) -> bytes:
    data = _plain_rss_head(head, output) if _writable(head, output) else _feedgen_rss(head, output)
    history = output.history
    if not (rss_marked(head.spec.title) or rss_marked(head.spec.description) or history):
        return data
    from lxml import etree  # for the rewrites and archive links alone (see entries.py)

    root = etree.fromstring(data)
    rss_texts(root)
    if history:
        _mark_history(root[0], f"{{{ATOM_NS}}}link", history)
    return rss_bytes(_serialise(root))


def _feedgen_atom(head: FeedHead, output: FeedOutput) -> bytes:
    fg = _generator(head, output, page_first=True)
    if head.spec.description and head.spec.description != head.spec.title:
        fg.subtitle(head.spec.description)
    for hub in head.hubs:
        fg.link(href=hub, rel="hub")
    return bytes(fg.atom_str(pretty=False))


def _feedgen_rss(head: FeedHead, output: FeedOutput) -> bytes:
    fg = _generator(head, output, page_first=False)
    fg.load_extension("dc", atom=False, rss=True)  # declares dc: for the items' dc:creator
    fg.description(head.spec.description or head.spec.title)
    if head.logo:
        fg.image(url=head.logo, title=head.spec.title, link=head.spec.page_url)
    return bytes(fg.rss_str(pretty=False))


# The heads feedgen makes, written directly (see xmltext.py): a FeedGenerator per document
# cost more than the rest of writing it.
_XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
_RSS_OPEN = (
    '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"'
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0"><channel>'
)
_RSS_DOCS = "<docs>http://www.rssboard.org/rss-specification</docs>"


def _writable(head: FeedHead, output: FeedOutput) -> bool:
    """Whether the head's values are ones feedgen takes and writes as they are."""
    spec = head.spec
    values = (head.feed_id, spec.title, spec.description, spec.page_url, output.url, head.author)
    optional = (head.language, head.icon, head.logo, *head.hubs)
    return bool(head.feed_id and spec.title and spec.page_url and output.url) and (
        xmltext.writable(*values, *optional)
    )


def _plain_atom_head(head: FeedHead, output: FeedOutput) -> bytes:
    spec = head.spec
    lang = f' xml:lang="{xmltext.attribute(head.language)}"' if head.language else ""
    parts = [
        f'{_XML_DECLARATION}<feed xmlns="{ATOM_NS}"{lang}>',
        f"<id>{xmltext.text(head.feed_id)}</id><title>{xmltext.text(spec.title)}</title>",
        f"<updated>{utc(head.updated).isoformat()}</updated>",
    ]
    author = plain_name(head.author)
    if author:
        parts.append(f"<author><name>{xmltext.text(author)}</name></author>")
    parts.append(_link(spec.page_url, "alternate", "text/html"))
    parts.append(_link(output.url, "self", output.format.media_type))
    parts += [_link(hub, "hub") for hub in head.hubs]
    parts.append(f'<generator version="{xmltext.attribute(__version__)}">syndicate</generator>')
    if head.icon:
        parts.append(f"<icon>{xmltext.text(head.icon)}</icon>")
    if head.logo:
        parts.append(f"<logo>{xmltext.text(head.logo)}</logo>")
    if spec.description and spec.description != spec.title:
        parts.append(f"<subtitle>{xmltext.text(spec.description)}</subtitle>")
    parts.append("</feed>")
    return "".join(parts).encode("utf-8")


def _plain_rss_head(head: FeedHead, output: FeedOutput) -> bytes:
    spec = head.spec
    title, page = xmltext.text(spec.title), xmltext.text(spec.page_url)
    parts = [
        _XML_DECLARATION,
        _RSS_OPEN,
        f"<title>{title}</title><link>{page}</link>",
        f"<description>{xmltext.text(spec.description or spec.title)}</description>",
        _link(output.url, "self", output.format.media_type, prefix="atom:"),
        _RSS_DOCS,
        "<generator>syndicate</generator>",
    ]
    if head.logo:
        parts.append(f"<image><url>{xmltext.text(head.logo)}</url><title>{title}</title>")
        parts.append(f"<link>{page}</link></image>")
    if head.language:
        parts.append(f"<language>{xmltext.text(head.language)}</language>")
    parts.append(f"<lastBuildDate>{xmltext.rfc2822(utc(head.updated))}</lastBuildDate>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def _link(href: str, rel: str, media_type: str | None = None, *, prefix: str = "") -> str:
    kind = f' type="{xmltext.attribute(media_type)}"' if media_type else ""
    return f'<{prefix}link href="{xmltext.attribute(href)}" rel="{rel}"{kind}/>'


def _mark_history(parent: etree._Element, link: str, history: History) -> None:
    """RFC 5005's links and markers, at the end of the feed's (or channel's) head."""
    from lxml import etree  # loaded by the caller already

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
    from lxml import etree  # loaded by the caller already

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
