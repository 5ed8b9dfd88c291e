"""One post as an Atom entry, an RSS item and a JSON Feed item, each serialised once.

feedgen builds every element. A post usually appears in several feeds (the site's, its tags',
its author's), so its serialised bytes are made once per build and spliced into each document
that lists it; see documents.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from feedgen.entry import FeedEntry
from lxml import etree

from syndicate.model import Entry, Rendered

ATOM_NS = "http://www.w3.org/2005/Atom"
NAMESPACES = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "atom": ATOM_NS,
}
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# An RSS item serialised inside a channel carries these declarations, which its document root
# already makes; they are cut so each item does not repeat them.
_ITEM_DECLARATIONS = (
    b"<item " + b" ".join(f'xmlns:{p}="{u}"'.encode() for p, u in NAMESPACES.items()) + b">"
)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def atom_entry(entry: Entry, rendered: Rendered, *, full: bool) -> bytes:
    post = entry.post
    fe = FeedEntry()
    fe.id(entry.id)
    fe.title(post.title)
    fe.updated(utc(entry.updated))
    fe.published(utc(post.date))
    fe.link(href=post.permalink, rel="alternate", type="text/html")
    for author in post.authors:
        fe.author(_atom_author(author.name, author.uri, author.email))
    for tag in post.tags:
        fe.category(term=tag.name)
    has_summary = bool(rendered.summary_html) and rendered.summary_html != rendered.content_html
    if has_summary or not full:
        fe.summary(rendered.summary_html or rendered.content_html, type="html")
    if full:
        fe.content(rendered.content_html, type="html")
    element = fe.atom_entry()
    if post.language:
        element.set(_XML_LANG, post.language)
    for child in element:
        if child.tag in ("content", "summary"):
            child.set(_XML_BASE, post.permalink)
    return bytes(etree.tostring(element, encoding="utf-8"))


def _atom_author(name: str, uri: str | None, email: str | None) -> dict[str, str]:
    author = {"name": name}
    if uri:
        author["uri"] = uri
    if email:
        author["email"] = email
    return author


def rss_item(entry: Entry, rendered: Rendered, *, full: bool) -> bytes:
    post = entry.post
    fe = FeedEntry()
    fe.load_extension("dc", atom=False, rss=True)
    fe.title(post.title)
    fe.link(href=post.permalink)
    fe.description(rendered.summary_html or rendered.content_html)
    if full:
        fe.content(rendered.content_html, type="html")
    fe.guid(entry.id, permalink=entry.id == post.permalink)
    fe.pubDate(utc(post.date))
    for tag in post.tags:
        fe.category(term=tag.name)
    for author in post.authors:
        fe.dc.dc_creator(author.name)
    root = etree.Element("rss", nsmap=NAMESPACES)
    item = fe.rss_entry()
    root.append(item)
    data = bytes(etree.tostring(item, encoding="utf-8"))
    return b"<item>" + data[len(_ITEM_DECLARATIONS):] if data.startswith(_ITEM_DECLARATIONS) else data


def json_item(entry: Entry, rendered: Rendered, *, full: bool) -> dict[str, Any]:
    post = entry.post
    item: dict[str, Any] = {"id": entry.id, "url": post.permalink, "title": post.title}
    if full:
        item["content_html"] = rendered.content_html
    else:
        item["content_html"] = rendered.summary_html or rendered.content_html
    if rendered.summary_text:
        item["summary"] = rendered.summary_text
    if post.image:
        item["image"] = post.image
    item["date_published"] = utc(post.date).isoformat()
    item["date_modified"] = utc(entry.updated).isoformat()
    if post.authors:
        item["authors"] = [_json_author(a.name, a.uri) for a in post.authors]
    if post.tags:
        item["tags"] = [t.name for t in post.tags]
    if post.language:
        item["language"] = post.language
    return item


def json_item_bytes(entry: Entry, rendered: Rendered, *, full: bool) -> bytes:
    return json.dumps(json_item(entry, rendered, full=full), ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _json_author(name: str, uri: str | None) -> dict[str, str]:
    return {"name": name, "url": uri} if uri else {"name": name}
