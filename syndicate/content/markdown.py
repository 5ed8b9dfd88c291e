"""Markdown to HTML: CommonMark with GitHub's tables, strikethrough, autolinks, task lists and
footnotes, through markdown-it-pyrs (Rust). See docs/design.md for why this engine.

Raw HTML is passed through here on purpose: embeds become links and everything unsafe is
removed later, by the sanitiser, whatever produced the HTML.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from markdown_it_pyrs import MarkdownIt

_ENGINE = MarkdownIt("commonmark").enable_many(
    ["table", "strikethrough", "autolink_ext", "tasklist", "footnote"]
)
MORE = "<!--syndicate-more-->"
_TASK_BOX = re.compile(r'<input class="task-list-item-checkbox"([^>]*)/?>\s*')


def to_html(markdown: str) -> str:
    """Render Markdown; task-list checkboxes become ☐/☑ since feed readers drop form controls."""
    html: str = _ENGINE.render(markdown)
    if "task-list-item-checkbox" in html:
        html = _TASK_BOX.sub(lambda m: "☑ " if "checked" in m.group(1) else "☐ ", html)
    return html


def mark_summary(markdown: str, markers: Sequence[str]) -> str:
    """Replace the first summary separator (READMORE, <!--more-->) with a marker that survives
    rendering as its own block, so the rendered HTML can be split there.

    A comment marker counts anywhere; a word marker only on a line of its own."""
    for marker in markers:
        if marker not in markdown:
            continue
        if marker.startswith("<!--"):
            index = markdown.find(marker)
            return f"{markdown[:index]}{MORE}{markdown[index + len(marker) :]}"
        match = _line_pattern(marker).search(markdown)
        if match:
            return f"{markdown[: match.start()]}\n{MORE}\n{markdown[match.end() :]}"
    return markdown


@functools.lru_cache(maxsize=16)
def _line_pattern(marker: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*{re.escape(marker)}[ \t]*$", re.MULTILINE)
