"""Plain-text fields (titles, names, categories) written so that validators and readers agree.

A title such as `a < b & <b>c</b>` is text. Written as Atom's default `type="text"`, readers
are told so, yet the W3C validator warns that it looks like undeclared HTML (as some readers
take it); so a title that looks like markup (see `marked`) is written as `type="html"`, escaped
once more, which every reader shows as the same text.

RSS has no type. The RSS Profile asks for `&` and `<` in plain text as the hexadecimal
references `&#x26;` and `&#x3C;`: the same XML as `&amp;` and `&lt;`, so every reader gets the
same text, and the validator knows the publisher meant it. A field holding an end tag
(`</script>`) cannot be told from HTML in RSS at all, and readers that take it for HTML run or
strip it: its tag-like runs are dropped, as they are from a name in Atom's `<name>` (nobody is
named `</b>`).

Fields that do not look like markup are left exactly as they were: ordinary feeds keep their
bytes.
"""

from __future__ import annotations

import html
import re
from html.entities import name2codepoint
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree

# by local name: feedgen makes an entry's elements before its feed gives them a namespace
_ATOM_TEXTS = frozenset({"title", "subtitle"})
_RSS_TEXTS = frozenset({"title", "category", "creator"})
_TAG_LIKE = re.compile(r"</?[A-Za-z][^<>]*>")
_END_TAG = re.compile(r"</\w+>")
_ENTITY_LIKE = re.compile(r"&(#?\w+)")
_RSS_MARKUP = re.compile(r"&#[x0-9]|<[/a-zA-Z]")


def marked(text: str | None) -> bool:
    """Whether `text` looks like markup to a reader that treats it as HTML: an end tag
    (`</b>`) or an entity (`&amp;`, `&#38;`). Such text is written with care; other text, `<`
    and `&` included (`Fish & <chips>`), is plain enough as it is."""
    if not text or ("<" not in text and "&" not in text):
        return False
    return bool(_END_TAG.search(text)) or any(
        name in name2codepoint or name == "apos" or not name.isalpha()
        for name in _ENTITY_LIKE.findall(text)
    )


def rss_marked(text: str | None) -> bool:
    """`marked`, or a start tag or a character reference (`<b`, `&#`), which RSS readers
    also take for markup."""
    return marked(text) or bool(text and _RSS_MARKUP.search(text))


def plain_name(name: str) -> str:
    """A person's or a category's name with tag-like runs removed and entities decoded (as
    often as they were escaped: `&amp;amp;`)."""
    if "<" in name:
        name = " ".join(_TAG_LIKE.sub(" ", name).split())
    for _ in range(4):
        if not marked(name):
            break
        name = html.unescape(name)
    return name


def atom_texts(element: etree._Element) -> None:
    """Declare as HTML (escaped) every Atom title or subtitle under `element` that needs it."""
    for child in element.iter():
        if (
            _local(child) in _ATOM_TEXTS
            and child.get("type", "text") == "text"
            and marked(child.text)
        ):
            child.set("type", "html")
            child.text = html.escape(child.text or "", quote=False)


def rss_texts(element: etree._Element) -> bool:
    """Encode `&` and `<` as hexadecimal references in every RSS plain-text field under
    `element` (the channel's description is one; an item's is HTML); whether any was. The
    serialised bytes then need `rss_bytes`."""
    changed = False
    for child in element.iter():
        parent = child.getparent()
        channel_text = (
            _local(child) == "description" and parent is not None and parent.tag == "channel"
        )
        if (_local(child) in _RSS_TEXTS or channel_text) and rss_marked(child.text):
            text = child.text or ""
            child.text = plain_name(text) if _END_TAG.search(text) else text
            changed = True
    return changed


def rss_bytes(data: bytes) -> bytes:
    """Serialised RSS with `&` and `<` as hexadecimal references: the same XML."""
    return data.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")


def _local(element: etree._Element | None) -> str:
    tag = element.tag if element is not None else None
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
