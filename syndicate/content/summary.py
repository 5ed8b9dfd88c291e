"""The summary when a post marks none: its opening paragraph(s)."""

from __future__ import annotations

import re

from syndicate.content.text import html_to_text

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr"}


def lead_paragraphs(html: str, *, min_chars: int = 150, max_paragraphs: int = 3) -> str:
    """The top-level paragraphs that open `html`, until they hold `min_chars` of text.

    Images alone in a paragraph come along. A post with no paragraph at all (a list, a table)
    is summarised by its first block.
    """
    depth = 0
    start: int | None = None
    first_block: str | None = None
    block_start = 0
    pieces: list[str] = []
    chars = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or self_closing:
            continue
        if not closing:
            if depth == 0:
                block_start = match.start()
                start = match.start() if name == "p" else None
            depth += 1
            continue
        depth = max(depth - 1, 0)
        if depth:
            continue
        block = html[block_start : match.end()]
        first_block = first_block or block
        if name == "p" and start is not None:
            pieces.append(block)
            chars += len(html_to_text(block))
            if chars >= min_chars or len(pieces) >= max_paragraphs:
                break
    return "".join(pieces) or first_block or html


def is_balanced(html: str) -> bool:
    """Whether every element opened in `html` is also closed in it."""
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or self_closing:
            continue
        depth += -1 if closing else 1
    return depth == 0
