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
# smartypants reads `\"` as an escaped plain quote; kramdown's SmartyPants (and so Jekyll) keeps
# the backslash and curls the quote. So a mark that the title does not use, and that kramdown's
# quote rules class with the backslash (punctuation, never before a closing quote), stands in.
_STAND_INS = "[{(\ue000"
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
    stand_in = next((c for c in _STAND_INS if c not in text), "")
    if stand_in:
        text = text.replace("\\", stand_in)
    out = _ENTITIES.sub(lambda m: chr(int(m.group(1))), smartypants.smartypants(text, _ATTRS))
    if stand_in:
        out = out.replace(stand_in, "\\")
    return _CLOSING.sub("\u2019", out)
