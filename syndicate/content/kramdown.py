"""kramdown attribute lists in rendered HTML: applied to their element, never left as text.

CommonMark does not know `{:.alert}`, `{:align="right"}` or `## Title {#id}`, so they come out
of the Markdown engine as text. Here, on the parsed HTML:

- a span IAL right after an element (`![](x.png){:align="right"}`) goes to that element;
- a block IAL at the start or end of a block's text (`{:.note}` on the line before or after a
  paragraph) goes to that block; standing alone, it goes to the next block;
- a header id (`{#id}` ending a heading) becomes the heading's id;
- definitions (`{:ref: .x}`), extensions (`{::comment}`) and `{:toc}` are removed.

Text inside code and pre is never touched.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the tree is render.py's, parsed only for a body that needs it
    from lxml import html as lxml_html

_IAL = re.compile(r"\{:(?!:)\s*([^}]*)\}")
_EXTENSION = re.compile(r"\{::comment\}.*?\{:/(?:comment)?\}|\{::[^}]*\}", re.DOTALL)
_HEADER_ID = re.compile(r"\s*\{#([\w:.-]+)\}\s*$")
_ATTR = re.compile(r"""([.#][\w-]+)|([\w:-]+)=(?:"([^"]*)"|'([^']*)'|([^\s"']+))""")
_ALD = re.compile(r"^[\w-]+:\s")
_SKIP = {"code", "pre", "kbd", "samp"}


def needs_fixing(html: str) -> bool:
    return "{:" in html or "{#" in html


def apply(root: lxml_html.HtmlElement) -> None:
    """Apply or remove every attribute list under `root` (a parsed fragment wrapper)."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag in _SKIP or _inside_code(element):
            continue
        if element.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            _header_id(element)
        applied = False
        if element.text and "{" in element.text:
            text = _take_leading(element, element.text)
            applied = text != element.text
            element.text = text
        for child in list(element):
            if child.tail and "{" in child.tail and not _inside_code(child):
                child.tail = _take_after(child, child.tail)
        if applied:
            _drop_empty_paragraph(element)


def _inside_code(element: lxml_html.HtmlElement) -> bool:
    return any(a.tag in _SKIP for a in element.iterancestors())


def _take_leading(element: lxml_html.HtmlElement, text: str) -> str:
    """IALs in the text that opens a block belong to that block."""
    text = _EXTENSION.sub("", text)

    def apply_here(match: re.Match[str]) -> str:
        _merge(element, match.group(1))
        return ""

    return _IAL.sub(apply_here, text).lstrip() if _IAL.search(text) else text


def _take_after(child: lxml_html.HtmlElement, tail: str) -> str:
    """An IAL glued to an element is a span IAL; one after a line break belongs to the block."""
    tail = _EXTENSION.sub("", tail)

    def apply_here(match: re.Match[str]) -> str:
        glued = match.start() == 0
        parent = child.getparent()
        # After a top-level block (raw HTML followed by `{:.x}`) the block is the child itself;
        # the parent is then only the fragment's wrapper.
        top_level = parent is None or parent.getparent() is None
        target = child if glued or top_level or parent is None else parent
        _merge(target, match.group(1))
        return ""

    return _IAL.sub(apply_here, tail)


def _header_id(heading: lxml_html.HtmlElement) -> None:
    last = heading[-1] if len(heading) else None
    if last is not None and last.tail:
        match = _HEADER_ID.search(last.tail)
        if match:
            heading.set("id", match.group(1))
            last.tail = last.tail[: match.start()]
    elif heading.text:
        match = _HEADER_ID.search(heading.text)
        if match:
            heading.set("id", match.group(1))
            heading.text = heading.text[: match.start()]


def _merge(element: lxml_html.HtmlElement, spec: str) -> None:
    if not isinstance(element.tag, str):
        return  # an IAL after an HTML comment: a comment cannot carry attributes
    spec = spec.strip()
    if spec == "toc":
        _drop_toc(element)
        return
    if _ALD.match(spec):
        return  # an attribute list definition: nothing to apply
    for cls_or_id, key, dq, sq, bare in _ATTR.findall(spec):
        if cls_or_id.startswith("."):
            classes = element.get("class", "").split()
            element.set("class", " ".join([*classes, cls_or_id[1:]]))
        elif cls_or_id.startswith("#"):
            element.set("id", cls_or_id[1:])
        elif key:
            element.set(key, dq or sq or bare)


def _drop_toc(element: lxml_html.HtmlElement) -> None:
    """`* TOC\n{:toc}` asks kramdown for a table of contents; feeds get none, nor the stub."""
    target = element
    while target is not None and target.tag not in {"ul", "ol"}:
        target = target.getparent()
    if target is not None and target.getparent() is not None:
        target.drop_tree()


def _drop_empty_paragraph(element: lxml_html.HtmlElement) -> None:
    """A paragraph that held only an IAL: the IAL moves to the next block, the paragraph goes.

    One that held only a definition or an extension (`{::comment}`) goes too: an empty
    paragraph would open the summary."""
    if element.tag != "p" or len(element) or (element.text or "").strip():
        return
    attrs = dict(element.attrib)
    following = element.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()  # a comment (the summary marker) takes no attributes
    parent = element.getparent()
    if parent is None:
        return
    if following is not None:
        for key, value in attrs.items():
            merged = (
                " ".join([*following.get("class", "").split(), value]) if key == "class" else value
            )
            following.set(key, merged)
    element.drop_tree()
