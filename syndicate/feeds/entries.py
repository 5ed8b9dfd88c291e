"""One post as an Atom entry, an RSS item and a JSON Feed item, each serialised once.

feedgen builds every element. A post usually appears in several feeds (the site's, its tags',
its author's), so its serialised bytes are made once per build and spliced into each document
that lists it; see documents.py.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec

from syndicate.feeds import xmltext
from syndicate.feeds.budget import BRIEF_OVER
from syndicate.feeds.plaintext import atom_texts, plain_name, rss_bytes, rss_marked, rss_texts
from syndicate.model import Entry, FeedFormat, Post, Rendered

if TYPE_CHECKING:
    from feedgen.entry import FeedEntry

BRIEF_CHARS = 600  # of the summary's text, in an entry's brief form
_encode_json = msgspec.json.Encoder().encode

ATOM_NS = "http://www.w3.org/2005/Atom"
NAMESPACES = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "atom": ATOM_NS,
}
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# An RSS item serialised inside a channel carries these declarations, which its document root
# already makes; they are cut so each item does not repeat them.
_ITEM_DECLARATIONS = (
    b"<item " + b" ".join(f'xmlns:{p}="{u}"'.encode() for p, u in NAMESPACES.items()) + b">"
)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def feed_entry(entry: Entry, rendered: Rendered, *, full: bool) -> FeedEntry:
    """The feedgen entry both the Atom and the RSS serialisations are made from (for what
    the direct writer cannot write: feedgen and lxml load only then, 15 ms of a start)."""
    from feedgen.entry import FeedEntry

    post = entry.post
    fe = FeedEntry()
    fe.id(entry.id)
    fe.guid(entry.id, permalink=entry.id == post.permalink)
    fe.title(post.title)
    fe.link(href=post.permalink, rel="alternate", type="text/html")
    fe.updated(utc(entry.updated))
    fe.published(utc(post.date))
    for author in post.authors:
        if plain_name(author.name):  # a name that was only markup names nobody
            fe.author(_atom_author(author.name, author.uri, author.email))
    for name in category_names(post):
        fe.category(term=name)
    # A post with no body has no text: Atom wants some, and an empty element is no better.
    summary = rendered.summary_html or rendered.content_html or html.escape(post.title)
    fe.summary(summary, type="html")
    if full and rendered.content_html:
        fe.content(rendered.content_html, type="html")
    return fe


def category_names(post: Post) -> list[str]:
    """What an entry lists as its categories: the post's categories, then its tags, as
    jekyll-feed lists them, then the terms of the blog's other taxonomies."""
    return (
        [c.name for c in post.categories]
        + [t.name for t in post.tags]
        + [t.name for t in post.terms]
    )


def atom_entry(fe: FeedEntry, entry: Entry, rendered: Rendered, *, full: bool) -> bytes:
    post = entry.post
    element = fe.atom_entry()
    atom_texts(element)
    if post.language:
        element.set(_XML_LANG, post.language)
    redundant = (
        full
        and bool(rendered.content_html)
        and rendered.summary_html in ("", rendered.content_html)
    )
    for child in list(element):
        if child.tag == "summary" and redundant:
            element.remove(child)  # the content says it all; readers show it
        elif child.tag in ("content", "summary"):
            child.set(_XML_BASE, post.permalink)
    from lxml import etree  # loaded by feed_entry already

    return bytes(etree.tostring(element, encoding="utf-8"))


def _atom_author(name: str, uri: str | None, email: str | None) -> dict[str, str]:
    author = {"name": plain_name(name)}
    if uri:
        author["uri"] = uri
    if email:
        author["email"] = email
    return author


def rss_item(fe: FeedEntry, entry: Entry, site_author: str | None = None) -> bytes:
    """The RSS item; a post naming no author credits `site_author`, since RSS items, unlike
    Atom entries and JSON Feed items, inherit no author from their feed."""
    from lxml import etree  # loaded by feed_entry already

    root = etree.Element("rss", nsmap=NAMESPACES)
    item = fe.rss_entry()
    names = [a.name for a in entry.post.authors] or ([site_author] if site_author else [])
    for name in names:  # Dublin Core's creator: RSS's own <author> wants an email
        etree.SubElement(item, _DC_CREATOR).text = name
    root.append(item)
    encoded = rss_texts(item)
    data = bytes(etree.tostring(item, encoding="utf-8"))
    data = rss_bytes(data) if encoded else data
    return (
        b"<item>" + data[len(_ITEM_DECLARATIONS) :] if data.startswith(_ITEM_DECLARATIONS) else data
    )


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
    categories = category_names(post)
    if categories:
        item["tags"] = categories
    if post.language:
        item["language"] = post.language
    return item


def json_item_bytes(entry: Entry, rendered: Rendered, *, full: bool) -> bytes:
    """The item as json.dumps(..., ensure_ascii=False, separators=(",", ":")) writes it, in
    UTF-8: msgspec writes the same bytes (tests/feeds/test_entries.py) five times quicker."""
    return _encode_json(json_item(entry, rendered, full=full))


def _json_author(name: str, uri: str | None) -> dict[str, str]:
    return {"name": name, "url": uri} if uri else {"name": name}


def serialise(
    variants: Iterable[tuple[FeedFormat, bool]],
    entry: Entry,
    rendered: Rendered,
    site_author: str | None = None,
) -> dict[tuple[FeedFormat, bool], bytes]:
    """The entry in each (format, full content) variant, as bytes for documents of that format.

    `site_author` is credited in RSS items of posts that name no author."""
    out: dict[tuple[FeedFormat, bool], bytes] = {}
    entries: dict[bool, FeedEntry] = {}
    direct: bool | None = None  # whether the XML can be written without a tree (xmltext.py)
    for fmt, full in variants:
        if fmt is FeedFormat.JSON:
            out[(fmt, full)] = json_item_bytes(entry, rendered, full=full)
            continue
        if direct is None:
            direct = _writable(entry, rendered, site_author)
        if direct:
            write = plain_atom_entry if fmt is FeedFormat.ATOM else plain_rss_item
            out[(fmt, full)] = write(entry, rendered, full, site_author)
            continue
        fe = entries.get(full) or entries.setdefault(full, feed_entry(entry, rendered, full=full))
        if fmt is FeedFormat.ATOM:
            out[(fmt, full)] = atom_entry(fe, entry, rendered, full=full)
        else:
            out[(fmt, full)] = rss_item(fe, entry, site_author)
    return out


def _writable(entry: Entry, rendered: Rendered, site_author: str | None) -> bool:
    """Whether feedgen and lxml would write the entry's values as they are: no required one
    empty, no character lxml refuses, no text that plaintext.py rewrites."""
    post = entry.post
    names = [a.name for a in post.authors]
    categories = category_names(post)
    return (
        bool(entry.id and post.title and post.permalink)
        and not any(rss_marked(t) for t in (post.title, site_author, *names, *categories))
        and all(categories)
        and xmltext.writable(
            entry.id,
            post.title,
            post.permalink,
            post.language,
            site_author,
            rendered.summary_html,
            rendered.content_html,
            *names,
            *categories,
            *(a.uri for a in post.authors),
            *(a.email for a in post.authors),
        )
    )


def _summary(entry: Entry, rendered: Rendered) -> str:
    return rendered.summary_html or rendered.content_html or html.escape(entry.post.title)


def _people(post: Post) -> list[tuple[str, str | None, str | None]]:
    """(name, uri, email) of the authors an entry names, as feed_entry gives them."""
    return [(n, a.uri, a.email) for a in post.authors if (n := plain_name(a.name))]


def plain_atom_entry(
    entry: Entry, rendered: Rendered, full: bool, site_author: str | None = None
) -> bytes:
    """What atom_entry makes of feed_entry, written directly (see xmltext.py)."""
    post = entry.post
    base = xmltext.attribute(post.permalink)
    lang = f' xml:lang="{xmltext.attribute(post.language)}"' if post.language else ""
    parts = [
        f"<entry{lang}><id>{xmltext.text(entry.id)}</id>",
        f"<title>{xmltext.text(post.title)}</title>",
        f"<updated>{utc(entry.updated).isoformat()}</updated>",
    ]
    for name, uri, email in _people(post):
        parts.append(f"<author><name>{xmltext.text(name)}</name>")
        if email:
            parts.append(f"<email>{xmltext.text(email)}</email>")
        if uri:
            parts.append(f"<uri>{xmltext.text(uri)}</uri>")
        parts.append("</author>")
    content = full and bool(rendered.content_html)
    if content:
        html_text = xmltext.text(rendered.content_html)
        parts.append(f'<content type="html" xml:base="{base}">{html_text}</content>')
    parts.append(f'<link href="{base}"/>')  # feedgen drops an entry link's rel and type
    if not (content and rendered.summary_html in ("", rendered.content_html)):
        summary = xmltext.text(_summary(entry, rendered))
        parts.append(f'<summary type="html" xml:base="{base}">{summary}</summary>')
    parts += [f'<category term="{xmltext.attribute(c)}"/>' for c in category_names(post)]
    parts.append(f"<published>{utc(post.date).isoformat()}</published></entry>")
    return "".join(parts).encode("utf-8")


def plain_rss_item(
    entry: Entry, rendered: Rendered, full: bool, site_author: str | None = None
) -> bytes:
    """What rss_item makes of feed_entry, written directly (see xmltext.py)."""
    post = entry.post
    parts = [
        f"<item><title>{xmltext.text(post.title)}</title>",
        f"<link>{xmltext.text(post.permalink)}</link>",
        f"<description>{xmltext.text(_summary(entry, rendered))}</description>",
    ]
    if full and rendered.content_html:
        parts.append(f"<content:encoded>{xmltext.text(rendered.content_html)}</content:encoded>")
    for name, _uri, email in _people(post):
        if email:
            parts.append(f"<author>{xmltext.text(f'{email} ({name})')}</author>")
    permalink = "true" if entry.id == post.permalink else "false"
    parts.append(f'<guid isPermaLink="{permalink}">{xmltext.text(entry.id)}</guid>')
    parts += [f"<category>{xmltext.text(c)}</category>" for c in category_names(post)]
    parts.append(f"<pubDate>{xmltext.rfc2822(utc(post.date))}</pubDate>")
    names = [a.name for a in post.authors] or ([site_author] if site_author else [])
    parts += [f"<dc:creator>{xmltext.text(n)}</dc:creator>" for n in names]
    parts.append("</item>")
    return "".join(parts).encode("utf-8")


def serialise_briefs(
    pieces: Mapping[tuple[FeedFormat, bool], bytes],
    entry: Entry,
    rendered: Rendered,
    site_author: str | None = None,
) -> dict[tuple[FeedFormat, bool], bytes]:
    """The brief form (see budget.py) of each of `pieces` that is over BRIEF_OVER bytes."""
    large = [variant for variant, data in pieces.items() if len(data) > BRIEF_OVER]
    if not large:
        return {}
    short = brief(entry, rendered)
    return {
        (fmt, full): serialise([(fmt, False)], entry, short, site_author)[(fmt, False)]
        for fmt, full in large
    }


def brief(entry: Entry, rendered: Rendered) -> Rendered:
    """The entry's summary, cut to BRIEF_CHARS, and a link to the post in place of its text."""
    text = rendered.summary_text
    if len(text) > BRIEF_CHARS:
        text = text[:BRIEF_CHARS].rsplit(None, 1)[0].rstrip() + "\u2026"
    link = html.escape(entry.post.permalink)
    parts = [f"<p>{html.escape(text, quote=False)}</p>"] if text else []
    parts.append(f'<p><a href="{link}">{link}</a></p>')
    short = "".join(parts)
    return Rendered(content_html=short, summary_html=short, summary_text=text)
