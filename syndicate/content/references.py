"""Reference-style links whose definition is missing, made plain text.

`[#1037][]` or `[the notes][notes]` link only when a `[#1037]: url` line defines the label;
without one, Markdown shows the brackets as written. That happens when the definitions came from
template syntax that could not be expanded (a loop over a list the feed cannot know). The link
text is kept, the brackets go, and a warning names each such link. Code (fenced, indented,
inline), raw `<pre>` blocks and math are left exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DEFINITION = re.compile(r"^(?:>\s?)*[ ]{0,3}\[((?:[^\[\]\\]|\\.)+)\]:", re.MULTILINE)
_TEXT = r"(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*"
_REFERENCE = re.compile(rf"(?<![\\\]])(!?)\[({_TEXT})\]\[((?:[^\[\]\\]|\\.)*)\]")
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_CODE_LINE = re.compile(r"^(?: {4}|\t)")
_RAW_OPEN = re.compile(r"^\s*<(pre|script|style|textarea)\b", re.IGNORECASE)
_PROTECTED = re.compile(r"(`+).+?\1|\$\$.+?\$\$|\$[^$\n]+\$")


def has_references(body: str) -> bool:
    return "][" in body


def normalise_label(label: str) -> str:
    """CommonMark's label matching: case-folded, inner whitespace collapsed."""
    return " ".join(label.split()).casefold()


def unlink_dangling(body: str) -> tuple[str, list[str]]:
    """`body` with each reference link that has no definition replaced by its text; and a
    warning per such link."""
    prose = list(_prose_lines(body.split("\n")))
    defined = {
        normalise_label(m.group(1))
        for line, is_prose in prose
        if is_prose
        for m in _DEFINITION.finditer(line)
    }
    warnings: list[str] = []

    def replace(match: re.Match[str]) -> str:
        _image, text, label = match.groups()
        if normalise_label(label or text) in defined or not text.strip():
            return match.group(0)
        warnings.append(
            f"the link {match.group(0)} has no definition of [{label or text}]: "
            "shown as its text, without a link"
        )
        return text

    out = [_outside_protected(line, replace) if is_prose else line for line, is_prose in prose]
    return "\n".join(out), warnings


def _outside_protected(line: str, replace: Callable[[re.Match[str]], str]) -> str:
    pieces: list[str] = []
    last = 0
    for match in _PROTECTED.finditer(line):
        pieces.append(_REFERENCE.sub(replace, line[last : match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(_REFERENCE.sub(replace, line[last:]))
    return "".join(pieces)


def _prose_lines(lines: list[str]) -> list[tuple[str, bool]]:
    """Each line, and whether it is prose (not code, raw HTML blocks or math blocks)."""
    marked: list[tuple[str, bool]] = []
    fence: str | None = None
    raw_end: str | None = None
    math = False
    for line in lines:
        if fence is not None:
            marked.append((line, False))
            if line.strip().startswith(fence):
                fence = None
            continue
        if raw_end is not None:
            marked.append((line, False))
            if raw_end in line.lower():
                raw_end = None
            continue
        opened = _FENCE.match(line)
        raw = _RAW_OPEN.match(line)
        if opened:
            fence = opened.group(1)
        elif raw and f"</{raw.group(1).lower()}>" not in line.lower():
            raw_end = f"</{raw.group(1).lower()}>"
        elif line.strip() == "$$" or (math and "$$" in line):
            math = not math
        elif not (math or _CODE_LINE.match(line)):
            marked.append((line, True))
            continue
        marked.append((line, False))
    return marked
