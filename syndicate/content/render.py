"""A post body → safe feed HTML, its summary and the summary as plain text."""

from __future__ import annotations

import contextlib
import html as html_lib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from syndicate.content import embeds, kramdown, references, templating
from syndicate.content.markdown import MORE, mark_summary, to_html
from syndicate.content.sanitize import Sanitizer
from syndicate.content.summary import is_balanced, lead_paragraphs
from syndicate.content.text import html_to_text, strip_unreadable
from syndicate.errors import ContentError
from syndicate.model import Rendered

_CUT = "\ue000"  # stands for the summary separator while the HTML is sanitised
# Past this, a post's text is far over any feed's byte budget (each lists it in brief, see
# feeds/budget.py): rendering all of it (a 50 MB post took 20 s and 1 GB) would buy nothing.
MAX_BODY_CHARS = 4_000_000

if TYPE_CHECKING:  # python-liquid loads only for blogs whose posts carry Liquid
    from syndicate.content.liquid import JekyllLiquid


class Renderer:
    """Renders bodies for one site. Cheap to call; keep one per process (not thread-safe).

    `syntax` names the template language the blog's generator expands in posts before
    rendering them: "liquid" (Jekyll), "shortcodes" (Hugo) or None. `liquid` is the Jekyll
    blog's Liquid (its site variables); `front_matter` gives a post's frontmatter by its
    source path, for Liquid's `page`.
    """

    def __init__(
        self,
        *,
        site_url: str,
        image_dir: str | None = None,
        summary_markers: Sequence[str] = ("READMORE", "<!--more-->"),
        syntax: str | None = None,
        liquid: JekyllLiquid | None = None,
        front_matter: Callable[[str], Mapping[str, Any]] | None = None,
    ) -> None:
        self._sanitizer = Sanitizer((site_url, image_dir) if image_dir else None)
        self._markers = tuple(summary_markers)
        self._site_url = site_url
        self._syntax = syntax
        self._liquid = liquid or (_liquid(site_url) if syntax == "liquid" else None)
        self._front_matter = front_matter
        self._references: Callable[[], Mapping[str, str]] = dict
        self._known: Mapping[str, str] | None = None

    def set_references(self, references: Callable[[], Mapping[str, str]]) -> None:
        """Where to find permalinks by the names posts use for each other (see
        templating.reference_keys); asked only when a post refers to another."""
        self._references = references
        self._known = None

    def before_fork(self) -> None:
        """Ask now for what rendering would ask the build later (posts' names for one another,
        which may come from the ledger): a forked child must not use this process's database
        connection. Only blogs whose posts carry template syntax ever ask."""
        if self._syntax is not None and self._known is None:
            self._known = self._references()

    def _resolve(self, reference: str) -> str | None:
        if self._known is None:
            self._known = self._references()
        for key in templating.normalise_reference(reference):
            if key in self._known:
                return self._known[key]
        return None

    def _expand(self, body: str, page_url: str, source: str | None) -> tuple[str, list[str]]:
        if self._syntax is None or not templating.needs_expanding(body):
            return body, []
        if self._liquid is not None:
            out = self._liquid.expand(body, self._resolve, lambda: self._page(page_url, source))
        else:
            out = templating.expand_shortcodes(body, self._resolve)
        return out.text, out.warnings

    def _page(self, page_url: str, source: str | None) -> dict[str, Any]:
        """Liquid's `page` for a post: its frontmatter, url (without the site's base) and path."""
        page: dict[str, Any] = {}
        if source and self._front_matter is not None:
            # a file gone or broken since it was read: its variables print nothing
            with contextlib.suppress(OSError, ContentError):
                page.update(self._front_matter(source))
        base = urlsplit(self._site_url).path.rstrip("/")
        page.update(url="/" + urlsplit(page_url).path.removeprefix(base).lstrip("/"))
        if source:
            page.update(path=source, name=source.rsplit("/", 1)[-1], collection="posts")
        return page

    def render(
        self,
        body: str,
        body_format: str,
        page_url: str,
        summary: str | None = None,
        *,
        expand: bool = True,
        source: str | None = None,
    ) -> Rendered:
        """Render `body` (Markdown or HTML) as it belongs to `page_url`.

        `summary`, the frontmatter's own summary, replaces the one taken from the body.
        `expand=False` leaves template syntax (Liquid, shortcodes) as the text it is.
        `source` is the post's file, whose frontmatter Liquid's `page` shows.
        """
        cut: list[str] = []
        if len(body) > MAX_BODY_CHARS:
            body, cut = _cut(body)
        body, template_warnings = self._expand(body, page_url, source) if expand else (body, [])
        template_warnings = cut + template_warnings
        if body_format == "markdown" and references.has_references(body):
            body, dangling = references.unlink_dangling(body)
            template_warnings += dangling
        if body_format == "markdown":
            raw = to_html(mark_summary(body, self._markers))
        else:
            raw = _mark_html_summary(body, self._markers)
        # Markdown without a `<` holds no raw HTML, so no embed: the engine writes none.
        may_embed = body_format != "markdown" or "<" in body
        needs_dom = kramdown.needs_fixing(raw) or (may_embed and embeds.needs_fixing(raw))
        if needs_dom:
            raw = _fix_dom(raw, page_url)
        if "javascript:" in raw.lower():
            template_warnings.append("a javascript: link or source was removed")
        marked = MORE in raw and _CUT not in raw
        # Markdown without a single `<` cannot hold raw HTML: its rendering needs only its URLs
        # made absolute (see Sanitizer.absolutize). Anything else goes through the sanitiser.
        clean = (
            self._sanitizer.absolutize
            if body_format == "markdown" and "<" not in body and not needs_dom
            else self._sanitizer.clean
        )
        content, problems = clean(raw.replace(MORE, _CUT, 1) if marked else raw, page_url)
        if marked:
            before, _, after = content.partition(_CUT)
            content = before + after
        if summary:
            summary_html = f"<p>{html_lib.escape(summary, quote=False)}</p>"
        elif marked:
            summary_html = (
                before if is_balanced(before) else self._sanitizer.clean(before, page_url)[0]
            )
        else:
            summary_html = lead_paragraphs(content)
        # Entities decode to characters here too (`&#xfffd;`): what goes out must be XML-safe.
        return Rendered(
            content_html=strip_unreadable(content).strip(),
            summary_html=strip_unreadable(summary_html).strip(),
            summary_text=summary or html_to_text(summary_html),
            warnings=tuple(dict.fromkeys([*template_warnings, *problems])),
        )


def _cut(body: str) -> tuple[str, list[str]]:
    """The first MAX_BODY_CHARS of a body, to the last paragraph break, and why."""
    head = body[:MAX_BODY_CHARS]
    at = head.rfind("\n\n")
    head = head[:at] if at > MAX_BODY_CHARS // 2 else head
    said = (
        f"the body is {len(body):,} characters long: only its first {len(head):,} are "
        "rendered (no feed carries more; the post's page has it all)"
    )
    return head, [said]


def _mark_html_summary(body: str, markers: Sequence[str]) -> str:
    for marker in markers:
        if marker.startswith("<") and marker in body:
            return body.replace(marker, MORE, 1)
    return body


def _fix_dom(raw: str, page_url: str) -> str:
    """Apply kramdown attribute lists and replace embeds, on a parsed tree (lxml loads only
    for such a body: it is 8 ms of every build's start)."""
    if not raw.strip():
        return raw
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(raw, create_parent="div")
    except (etree.ParserError, ValueError):
        return raw  # the sanitiser still removes anything unsafe
    if kramdown.needs_fixing(raw):
        kramdown.apply(root)
    if embeds.needs_fixing(raw):
        embeds.replace(root, page_url)
    # The wrapper's children, not the wrapper sliced off: an attribute list that reached the
    # wrapper would otherwise leave `class="x">` in the text.
    children = (lxml_html.tostring(child, encoding="unicode") for child in root)
    return html_lib.escape(root.text or "", quote=False) + "".join(children)


def _liquid(site_url: str) -> JekyllLiquid:
    """Jekyll's Liquid, imported only when a blog's posts carry it: python-liquid is a tenth of
    a second of every other blog's start-up."""
    from syndicate.content.liquid import JekyllLiquid

    return JekyllLiquid(site_url)
