"""Jekyll's `smartify`, which jekyll-feed runs over every title: straight quotes to curly
ones, `--` and `---` to dashes, `...` to an ellipsis, `<<` and `>>` to guillemets.

smartypants (the Python port of SmartyPants, whose rules kramdown's SmartyPants parser also
follows) does the work and leaves code (`<code>`, backticks) as written; two of kramdown's own
rules are added: the guillemets and an apostrophe before a decade (`'90s`).
"""

from __future__ import annotations

import re

import smartypants

_ATTRS = smartypants.Attr.q | smartypants.Attr.D | smartypants.Attr.e | smartypants.Attr.u
_ENTITIES = re.compile(r"&#(8216|8217|8220|8221|8211|8212|8230);")
# kramdown closes a quote after a digit or before a decade (`5'10"`, `'90s`)
_CLOSING = re.compile(r"(?<=\d)\u2018|(?<![\w\u2019])\u2018(?=\d\ds\b)")
_GUILLEMETS = (
    (re.compile(r"<<\s+"), "«\xa0"),
    (re.compile(r"\s+>>"), "\xa0»"),
    (re.compile(r"<<"), "«"),
    (re.compile(r">>"), "»"),
)


def smartify(text: str) -> str:
    """`text` with kramdown's typographic quotes, dashes and ellipses, as plain characters."""
    if not any(c in text for c in "'\"-.<>"):
        return text
    for pattern, replacement in _GUILLEMETS:
        text = pattern.sub(replacement, text)
    out = _ENTITIES.sub(lambda m: chr(int(m.group(1))), smartypants.smartypants(text, _ATTRS))
    return _CLOSING.sub("\u2019", out)
