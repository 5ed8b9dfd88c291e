"""Embeds (iframes, scripts, Flash objects) replaced by what a feed reader can show: a link,
with the video's thumbnail where the provider publishes one at a predictable address.

Readers strip iframes and scripts, so an embedded video would otherwise vanish silently.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urljoin, urlsplit

import msgspec

if TYPE_CHECKING:  # the tree is render.py's, parsed only for a body that needs it
    from lxml import html as lxml_html

_EMBED_TAGS = ("iframe", "object", "embed", "script", "noscript", "style")
_TRIGGER = re.compile(r"<(?:iframe|object|embed|script|noscript|style)\b", re.IGNORECASE)
_YOUTUBE = re.compile(r"(?:youtube(?:-nocookie)?\.com/(?:embed|v)/|youtu\.be/)([\w-]{6,})")
_VIMEO = re.compile(r"player\.vimeo\.com/video/(\d+)")
_FLICKR = re.compile(r"(flickr\.com/photos/[^/]+/\d+)")
_GIST = re.compile(r"(gist\.github\.com/[\w.-]+/[0-9a-f]+)\.js")


class Replacement(msgspec.Struct, frozen=True):
    url: str
    label: str
    thumbnail: str | None = None


def needs_fixing(html: str) -> bool:
    return bool(_TRIGGER.search(html))


def replace(root: lxml_html.HtmlElement, page_url: str) -> None:
    """Turn every embed under `root` into a link (or nothing, when it has no address)."""
    for element in list(root.iter(*_EMBED_TAGS)):
        if element.getparent() is None:
            continue  # already removed along with an enclosing embed
        if element.tag == "noscript":
            element.drop_tag()  # its content is the fallback meant for readers without scripts
            continue
        found = identify(element, page_url)
        if found is None:
            _remove(element)
        else:
            _swap(element, found)


def identify(element: lxml_html.HtmlElement, page_url: str) -> Replacement | None:
    """What an embed element points at, if anything worth linking to."""
    source = _source_of(element)
    if not source:
        return None
    url = urljoin(page_url, source.strip())
    if url.startswith("//"):
        url = "https:" + url
    if element.tag == "script":
        gist = _GIST.search(url)
        return Replacement(f"https://{gist.group(1)}", "View the code on GitHub") if gist else None
    if element.tag == "style":
        return None
    title = (element.get("title") or "").strip()
    youtube = _YOUTUBE.search(url)
    if youtube:
        video = youtube.group(1)
        if video == "videoseries":
            playlist = parse_qs(urlsplit(url).query).get("list", [""])[0]
            return Replacement(
                f"https://www.youtube.com/playlist?list={playlist}", "Watch the playlist on YouTube"
            )
        return Replacement(
            f"https://www.youtube.com/watch?v={video}",
            f"Watch “{title}” on YouTube" if title else "Watch the video on YouTube",
            f"https://i.ytimg.com/vi/{video}/hqdefault.jpg",
        )
    vimeo = _VIMEO.search(url)
    if vimeo:
        return Replacement(
            f"https://vimeo.com/{vimeo.group(1)}",
            f"Watch “{title}” on Vimeo" if title else "Watch the video on Vimeo",
        )
    flickr = _FLICKR.search(url)
    if flickr:
        return Replacement(f"https://www.{flickr.group(1)}/", "View on Flickr")
    if "soundcloud.com/player" in url:
        target = parse_qs(urlsplit(url).query).get("url", [url])[0]
        return Replacement(target, "Listen on SoundCloud")
    host = urlsplit(url).hostname or "another site"
    return Replacement(url, title or f"View the embedded content on {host.removeprefix('www.')}")


def _source_of(element: lxml_html.HtmlElement) -> str | None:
    if element.tag == "object":
        data = element.get("data")
        if data:
            return str(data)
        for param in element.iter("param"):
            value = param.get("value")
            if (param.get("name") or "").lower() in {"movie", "src"} and value:
                return str(value)
        return None
    src = element.get("src")
    return str(src) if src else None


def _swap(element: lxml_html.HtmlElement, found: Replacement) -> None:
    from lxml.html import builder as html_builder  # loaded with the tree already

    pieces: list[lxml_html.HtmlElement] = []
    if found.thumbnail:
        pieces.append(
            html_builder.A(html_builder.IMG(src=found.thumbnail, alt=found.label), href=found.url)
        )
        pieces.append(html_builder.BR())
    pieces.append(html_builder.A(found.label, href=found.url))
    parent = element.getparent()
    assert parent is not None
    block = parent.tag == "div" and parent.getparent() is None  # top level of the fragment
    link = html_builder.P(*pieces) if block else html_builder.SPAN(*pieces)
    link.tail = element.tail
    parent.replace(element, link)


def _remove(element: lxml_html.HtmlElement) -> None:
    element.drop_tree()  # keeps the tail text
