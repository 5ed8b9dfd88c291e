"""OPML 2.0 reading lists: remote sources in (`syndicate sources import`, and the OPML reading
lists a Planet Venus configuration points to) and out (`syndicate sources export`, and the
list of the site's own feeds at /feeds.opml).

Reading: every `<outline>` with an `xmlUrl`, however deeply nested in categories, is a source.
Its `text` (else its `title`, else the feed's host) names it; a `title` also stands for the
author of entries that name none, as a feed's `name` does in a planet. The XML is parsed
without DTDs, entities or network access: a list from elsewhere cannot read local files or
expand itself. Writing: deterministic bytes (no creation date), so a list that did not change
keeps its ETag.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from syndicate.config import SourceSettings
from syndicate.content.tags import slugify
from syndicate.errors import ConfigError
from syndicate.feeds.opml import Outline, opml_document
from syndicate.watch.imported import Imported, make_source, url_key

MAX_BYTES = 20_000_000  # a reading list of 100,000 feeds is about 15 MB


def read_opml(data: bytes, origin: str) -> Imported:
    """The sources an OPML document lists; ConfigError naming `origin` when it is not OPML."""
    root = _parse(data, origin)
    warnings: list[str] = []
    sources: list[SourceSettings] = []
    taken: set[str] = set()
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not url:
            continue
        if url_key(url) in seen:
            continue
        title = (outline.get("title") or "").strip() or None
        name = (outline.get("text") or "").strip() or title
        source = make_source(url, name, title, taken, warnings)
        if source is None:
            continue
        seen.add(url_key(url))
        taken.add(slugify(source.name))
        sources.append(source)
    heading = root.findtext("head/title")
    name = heading.strip() if heading else None
    return Imported(name, tuple(sources), tuple(warnings), origin=origin.rsplit("/", 1)[-1])


def is_opml(data: bytes) -> bool:
    """Whether `data` looks like XML (an OPML list) rather than a planet's INI file."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def sources_opml(sources: Iterable[SourceSettings], title: str) -> bytes:
    """`syndicate sources export`: the sources as OPML 2.0. A source's `author` is written as
    the outline's `title`, so a list read back gives the same sources."""
    return opml_document(title, [Outline(s.name, s.url, title=s.author) for s in sources])


def _parse(data: bytes, origin: str) -> etree._Element:
    if len(data) > MAX_BYTES:
        raise ConfigError(f"over {MAX_BYTES:,} bytes: not a reading list", file=origin)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"not OPML: {exc}", file=origin) from None
    if not isinstance(root.tag, str) or etree.QName(root).localname.casefold() != "opml":
        raise ConfigError(f"not OPML: the document is <{root.tag}>, not <opml>", file=origin)
    return root
