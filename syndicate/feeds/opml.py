"""OPML 2.0 documents: lists of feeds, written the same way for the site's own feeds
(/feeds.opml) and for `syndicate sources export`. The bytes are deterministic (no creation
date), so a list that did not change keeps its ETag."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from lxml import etree

MEDIA_TYPE = "text/x-opml"


class Outline(msgspec.Struct, frozen=True):
    """One feed in a list: its name, its address, its page, the section it is listed under."""

    text: str
    xml_url: str
    html_url: str | None = None
    title: str | None = None
    section: str | None = None


def opml_document(title: str, outlines: Sequence[Outline]) -> bytes:
    """OPML 2.0: the outlines in order, those of one `section` under an outline of its name."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    sections: dict[str, etree._Element] = {}
    for outline in outlines:
        parent = body
        if outline.section:
            if outline.section not in sections:
                sections[outline.section] = etree.SubElement(body, "outline", text=outline.section)
            parent = sections[outline.section]
        _outline(parent, outline)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _outline(parent: etree._Element, outline: Outline) -> None:
    element = etree.SubElement(parent, "outline", type="rss", text=outline.text)
    if outline.title:
        element.set("title", outline.title)
    element.set("xmlUrl", outline.xml_url)
    if outline.html_url:
        element.set("htmlUrl", outline.html_url)
