"""Markdown to HTML: CommonMark with GitHub's tables, strikethrough, autolinks, task lists and
footnotes, through markdown-it-pyrs (Rust). See docs/design.md for why this engine.

The native engine can be brought down by a post: it recurses once per level of nesting (a
100 KB run of `>` overflows its stack and kills the process) and it panics on some inputs
(`` [` ``). So a body nested deeper than MAX_NESTING levels on one line, and any body the
native engine panics on, is rendered by markdown-it-py instead: the same CommonMark rules in
pure Python, which stops nesting at a fixed depth (what is deeper stays text).

Raw HTML is passed through here on purpose: embeds become links and everything unsafe is
removed later, by the sanitiser, whatever produced the HTML.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from markdown_it_pyrs import MarkdownIt

if TYPE_CHECKING:
    import markdown_it

_ENGINE = MarkdownIt("commonmark").enable_many(
    ["table", "strikethrough", "autolink_ext", "tasklist", "footnote"]
)
MAX_NESTING = 32
# a line opening MAX_NESTING block quotes or list items: `> > > …`, `- - - …`, `1. 1. …`,
# searched for in "\n" + the text. The same as `^…` with re.MULTILINE, in a fifth of the time:
# a pattern opening with a literal "\n" skips from line to line, where `^` is tried at every
# character (20 us of every post).
_DEEP = re.compile(
    rf"\n[ \t]*(?:(?:>|[*+-](?=[ \t])|\d{{1,9}}[.)](?=[ \t]))[ \t]*){{{MAX_NESTING}}}"
)
MORE = "<!--syndicate-more-->"
_ALIGN_STYLE = re.compile(r'style="text-align:\s*(left|right|center)"')
_FOOTNOTE_REF = re.compile(
    r'<sup class="footnote-ref"><a href="#fn\d+" id="fnref[\d:]+">\[(\d+)\]</a></sup>'
)
_FOOTNOTE_BACK = re.compile(r'\s*<a href="#fnref[\d:]+" class="footnote-backref">\u21a9\ufe0e</a>')
_TASK_BOX = re.compile(r'<input class="task-list-item-checkbox"([^>]*)/?>\s*')


def to_html(markdown: str) -> str:
    """Render Markdown, then adapt what feed readers would lose:

    - task-list checkboxes (form controls readers drop) become ☐/☑;
    - table column alignment (a style attribute readers and the sanitiser drop) becomes `align`;
    - footnote references and back-links point at ids that readers strip, so they become plain
      superscript numbers; the notes stay, numbered, at the end.
    """
    html = _render(markdown)
    if "task-list-item-checkbox" in html:
        html = _TASK_BOX.sub(lambda m: "☑ " if "checked" in m.group(1) else "☐ ", html)
    if 'style="text-align:' in html:
        html = _ALIGN_STYLE.sub(r'align="\1"', html)
    if "footnote-ref" in html:
        html = _FOOTNOTE_REF.sub(r"<sup>\1</sup>", html)
        html = _FOOTNOTE_BACK.sub("", html)
    return html


def mark_summary(markdown: str, markers: Sequence[str]) -> str:
    """Replace the first summary separator (READMORE, <!--more-->) with a marker that survives
    rendering as its own block, so the rendered HTML can be split there.

    A comment marker counts anywhere; a word marker only on a line of its own. Neither counts
    inside code: a post that shows `<!--more-->` in a code sample keeps its sample."""
    for marker in markers:
        if marker not in markdown:
            continue
        for match in _marker_pattern(marker).finditer(markdown):
            # Only the text up to the marker's line end can put it inside code: an open fence
            # runs on, and a code span closes on its own line.
            line_end = markdown.find("\n", match.end())
            head = markdown if line_end < 0 else markdown[:line_end]
            if any(start <= match.start() < end for start, end in _code_ranges(head)):
                continue
            if marker.startswith("<!--"):
                return f"{markdown[: match.start()]}{MORE}{markdown[match.end() :]}"
            return f"{markdown[: match.start()]}\n{MORE}\n{markdown[match.end() :]}"
    return markdown


# Fenced code blocks, to their closing fence or the end (a fence opens wherever a line starts
# with one, even in the middle of a paragraph), and code spans within a line.
_FENCE = re.compile(
    r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*(?:\n.*?(?:^[ \t]{0,3}\1[`~]*[ \t]*$|\Z)|\Z)",
    re.MULTILINE | re.DOTALL,
)
_SPAN = re.compile(r"(?<!`)(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")
# Indented code: lines indented four columns, at the start or after a blank line.
_INDENTED = re.compile(r"(?:^|\n[ \t]*\n)(?:(?: {4}|\t)[^\n]*(?:\n|$))+")


def _code_ranges(markdown: str) -> list[tuple[int, int]]:
    # Each pattern only where its code can be: most posts have neither backticks nor tabs.
    patterns = [
        *((_FENCE,) if "```" in markdown or "~~~" in markdown else ()),
        *((_SPAN,) if "`" in markdown else ()),
        *((_INDENTED,) if "    " in markdown or "\t" in markdown else ()),
    ]
    return [m.span() for rx in patterns for m in rx.finditer(markdown)]


@functools.lru_cache(maxsize=16)
def _marker_pattern(marker: str) -> re.Pattern[str]:
    if marker.startswith("<!--"):
        return re.compile(re.escape(marker))
    return re.compile(rf"^[ \t]*{re.escape(marker)}[ \t]*$", re.MULTILINE)


def too_deep(markdown: str) -> bool:
    """Whether a line opens more block quotes or list items than the native engine takes."""
    return _DEEP.search("\n" + markdown) is not None


def _render(markdown: str) -> str:
    if too_deep(markdown):
        return str(_safe_engine().render(markdown))
    try:
        html: str = _ENGINE.render(markdown, xhtml=False)  # <br>, as the sanitiser writes it
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if type(exc).__name__ != "PanicException":
            raise
        return str(_safe_engine().render(markdown))
    return html


@functools.cache
def _safe_engine() -> markdown_it.MarkdownIt:
    import markdown_it  # rarely needed: imported then, not by every build

    return markdown_it.MarkdownIt("commonmark", {"xhtmlOut": False}).enable(
        ["table", "strikethrough"]
    )
