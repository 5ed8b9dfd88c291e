"""Small text helpers shared by loading and rendering."""

from __future__ import annotations

import html
import re
from typing import Any

try:  # hashlib's BLAKE2 is this module's: taken here, OpenSSL is not loaded (3 ms of each start)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

# XML 1.0 forbids C0 controls except tab/newline/return, surrogates and U+FFFE/U+FFFF; we also
# drop DEL, C1 controls and the non-characters, which XML discourages and readers choke on.
# (U+FDD0..U+FDEF and the last two code points of every plane).
_XML_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
    + "]"
)
# The same, within the Basic Multilingual Plane: many times quicker to scan with, and all that
# needs scanning for in a text without astral characters (most texts).
_BMP_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
# The ASCII part of the same set, for bytes.translate: an ASCII text (most posts) is checked
# in one pass of C at a fifth of a regular expression's time.
_ASCII_UNSAFE = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_TAG = re.compile(r"<[^>]*>")
_BLOCK_BREAK = re.compile(
    r"</?(?:p|div|li|h[1-6]|br|tr|td|th|blockquote|ul|ol|pre|table|dd|dt|hr|section|figure|figcaption)\b[^>]*>",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def strip_xml_unsafe(text: str) -> str:
    """Remove the characters that XML 1.0 forbids or discourages."""
    if text.isascii():
        data = text.encode("ascii")
        kept = data.translate(None, _ASCII_UNSAFE)
        return text if len(kept) == len(data) else kept.decode("ascii")
    if _in_bmp(text):
        return _BMP_UNSAFE.sub("", text)
    return _XML_UNSAFE.sub("", text)


def _in_bmp(text: str) -> bool:
    """Whether `text` has no character beyond U+FFFF: each then takes two bytes in UTF-16.
    (`max(text)` made a string per character: 6 times slower on a 10 KB post.)"""
    return len(text.encode("utf-16-le", "surrogatepass")) == 2 * len(text)


def strip_unreadable(text: str) -> str:
    """`strip_xml_unsafe`, and U+FFFD too: it only says that something was lost on the way,
    and the W3C validator flags it as it does C1 controls. (Not done to a whole file before
    its frontmatter is parsed: a YAML value can start with U+FFFD, not with what follows it.)"""
    if text.isascii():
        return strip_xml_unsafe(text)  # no U+FFFD in it
    return strip_xml_unsafe(text).replace("\ufffd", "")


def xml_safe_values(value: Any) -> Any:
    """`value` (parsed frontmatter: mappings, lists, strings) with every string XML-safe. YAML
    escapes (`"\\x01"`) make characters that the file's own bytes did not hold."""
    if isinstance(value, str):
        return strip_unreadable(value)
    if isinstance(value, dict):
        return {xml_safe_values(k): xml_safe_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [xml_safe_values(v) for v in value]
    return value


def html_to_text(fragment: str) -> str:
    """Plain text of a sanitised HTML fragment: tags dropped, entities decoded, spaces collapsed."""
    spaced = _BLOCK_BREAK.sub(" ", fragment)
    return _SPACE.sub(" ", strip_unreadable(html.unescape(_TAG.sub("", spaced)))).strip()


def collapse_space(text: str) -> str:
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Case-folded words: what the significance check compares."""
    return _WORD.findall(text.casefold())


def digest(text: str) -> str:
    """A short stable hash of some text."""
    return digest_bytes(text.encode("utf-8"))


def digest_bytes(data: bytes) -> str:
    """A short stable hash of some bytes: 16 bytes of BLAKE2b, in hex."""
    return blake2b(data, digest_size=16).hexdigest()


# Generators print titles unescaped, so `<code>yum</code>` in a title is markup to drop, while
# `<news>` or `a < b` are words the author meant.
_TITLE_TAG = re.compile(
    r"</?(?:a|abbr|b|br|cite|code|del|dfn|em|i|ins|kbd|mark|q|s|samp|small|span|strong|sub|"
    r"sup|time|u|var)\b[^<>]*>",
    re.IGNORECASE,
)
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")


def plain_title(raw: str) -> str:
    """A title as plain text: inline HTML tags removed, entities decoded, spaces collapsed."""
    if "<" in raw:
        raw = _TITLE_TAG.sub("", raw)
    if "&" in raw and _ENTITY.search(raw):
        raw = html.unescape(raw)
    return collapse_space(strip_unreadable(raw))
