"""Writing XML text as lxml serialises it, for the parts of feeds written without a tree.

Building an lxml tree (through feedgen) per entry and per document head cost more than the
rest of writing them. What is written directly must have the bytes the tree would give
(tests/feeds/test_documents.py and test_entries.py compare the two), and values lxml would
refuse (`writable` is false) still go through the tree, for its errors.
"""

from __future__ import annotations

import re
from datetime import datetime

# What lxml refuses in text or attributes (control characters, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# The same, in ASCII: bytes.translate checks an ASCII text (most entries' HTML) in a fifth of
# the time the expression takes.
_ASCII_NOT_XML = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def writable(*values: str | None) -> bool:
    """Whether lxml would take every one of `values` (None stands for an absent one). Each
    character is judged alone, so they are checked joined, in one pass."""
    return not _refused("".join(value for value in values if value))


def _refused(value: str) -> bool:
    if value.isascii():
        data = value.encode("ascii")
        return len(data.translate(None, _ASCII_NOT_XML)) != len(data)
    return _NOT_XML.search(value) is not None


def text(value: str) -> str:
    """Element text escaped as lxml escapes it."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def attribute(value: str) -> str:
    """An attribute value escaped as lxml escapes it."""
    return text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def rfc2822(moment: datetime) -> str:
    """As feedgen writes RSS dates (strftime in the C locale), without switching locales:
    only the day's and the month's names depend on the locale."""
    day, month = _DAYS[moment.weekday()], _MONTHS[moment.month - 1]
    return f"{day}, {moment.strftime('%d')} {month} {moment.strftime('%Y %H:%M:%S %z')}"
