"""The last word on HTML that goes into a feed: an allow-list sanitiser (nh3, i.e. Rust's
ammonia) that also makes every URL absolute.

Only elements and attributes that feed readers render and the W3C validator accepts survive:
no scripts, styles, event handlers, forms or frames, no `javascript:` or `data:` URLs.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import nh3

from syndicate.content.urls import absolute

TAGS = {
    "a",
    "abbr",
    "acronym",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
    "audio",
    "video",
    "source",
}
_ALIGN = {"align"}
ATTRIBUTES: dict[str, set[str]] = {
    "*": {"title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "srcset", "alt", "width", "height"} | _ALIGN,
    "audio": {"src", "controls"},
    "video": {"src", "poster", "controls", "width", "height"},
    "source": {"src", "srcset", "type", "media"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "abbr": {"title"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "headers"} | _ALIGN,
    "th": {"colspan", "rowspan", "headers", "scope"} | _ALIGN,
    "col": {"span"} | _ALIGN,
    "colgroup": {"span"} | _ALIGN,
    "tr": _ALIGN,
    "tbody": _ALIGN,
    "thead": _ALIGN,
    "tfoot": _ALIGN,
    "table": _ALIGN,
    "p": _ALIGN,
    "div": _ALIGN,
    "h1": _ALIGN,
    "h2": _ALIGN,
    "h3": _ALIGN,
    "h4": _ALIGN,
    "h5": _ALIGN,
    "h6": _ALIGN,
    "hr": {"width"} | _ALIGN,
    "details": {"open"},
}
SCHEMES = {
    "http",
    "https",
    "mailto",
    "ftp",
    "ftps",
    "tel",
    "irc",
    "ircs",
    "xmpp",
    "magnet",
    "news",
    "geo",
    "sip",
}
_URL_ATTRS = {"href", "src", "cite", "poster"}
_TEMPLATE = re.compile(r"\{\{|\{%|<%|%7B%7B|%7B%25")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_SRCSET_ITEM = re.compile(r"\s*(\S+)(\s+[^,]+)?\s*(?:,|$)")
_CLASS_OR_ID = re.compile(r' (?:class|id)="[^"]*"')
# A link or image the renderer wrote. One already absolute and clean is left as it is, without
# a call, as `_url` would leave it: http(s), not the author's machine (localhost, 127.*), then
# printable ASCII without a space, quote, `&` or `:` (so no port, nor a nested `://localhost`).
_URL_FIRST = re.compile(
    r'<(a|img) (href|src)="(?!https?://(?!localhost|127\.)[!#-%(-9;-~]*")([^"]*)"'
)
_ALIGN_VALUES = {"left", "right", "center", "justify", "top", "middle", "bottom"}


class Sanitizer:
    """Cleans fragments for one page at a time (set by `clean`); not shared between threads.

    `image_dir` reproduces Middleman, whose Markdown images are relative to the site's images
    directory rather than to the page: with ("https://blog.example/", "images/"), `a/b.png` in
    any post means https://blog.example/images/a/b.png.
    """

    def __init__(self, image_dir: tuple[str, str] | None = None) -> None:
        self._page = ""
        self._image_dir = image_dir
        self._problems: list[str] = []
        self._cleaner = nh3.Cleaner(
            tags=TAGS,
            attributes=ATTRIBUTES,
            attribute_filter=self._filter,
            url_schemes=SCHEMES,
            link_rel=None,
            strip_comments=True,
            clean_content_tags={"script", "style"},
        )

    def clean(self, fragment: str, page_url: str) -> tuple[str, list[str]]:
        """(safe HTML, problems found) for a fragment that belongs to `page_url`."""
        self._page = page_url
        self._problems = []
        return self._cleaner.clean(fragment), self._problems

    def absolutize(self, fragment: str, page_url: str) -> tuple[str, list[str]]:
        """What `clean` does, for HTML the Markdown renderer made from a source with no `<`.

        Such HTML holds only the renderer's own elements, with text escaped and link schemes
        already vetted by it, so the allow-list has nothing to remove but `class` and `id`
        attributes; the links still need making absolute (and their schemes checking against
        ours). Doing only that here halves the cost of rendering most posts.
        """
        self._page = page_url
        self._problems = []
        if ' class="' in fragment or ' id="' in fragment:
            fragment = _CLASS_OR_ID.sub("", fragment)
        return _URL_FIRST.sub(self._rewrite_url, fragment), self._problems

    def _rewrite_url(self, match: re.Match[str]) -> str:
        """One link or image, whose URL the renderer writes as its first attribute (and its
        only one: other attributes' quotes are escaped)."""
        tag, attr, raw = match.group(1), match.group(2), match.group(3)
        value = self._url(tag, attr, html.unescape(raw))
        if value is None:
            return f"<{tag}"
        if value is raw and "&" not in raw and "'" not in raw:
            return match.group(0)  # what escaping it would give back: most links
        return f'<{tag} {attr}="{html.escape(value)}"'

    def _filter(self, tag: str, attr: str, value: str) -> str | None:
        if attr in _URL_ATTRS:
            return self._url(tag, attr, value)
        if attr == "srcset":
            return self._srcset(value)
        if attr == "align" and value.strip().lower() not in _ALIGN_VALUES:
            return None
        return value

    def _url(self, tag: str, attr: str, value: str) -> str | None:
        value = value.strip()
        if value.startswith(("https://", "http://")) and value.isascii() and " " not in value:
            if "://localhost" in value or "://127." in value:
                self._problems.append(f"link {value!r} points at the author's own machine")
            return value  # already absolute and clean: most links
        if not value:
            return None if attr != "href" else self._page
        if _TEMPLATE.search(value):
            self._problems.append(
                f"link {unquote(value)!r} contains template syntax that was never expanded"
            )
            return None
        if "\\" in value:
            self._problems.append(f"link {value!r} uses backslashes; read them as slashes")
            value = value.replace("\\", "/")
        scheme = _SCHEME.match(value)
        if scheme:
            if scheme.group(1).lower() not in SCHEMES:
                self._problems.append(
                    f"link {value[:80]!r} uses a scheme feeds cannot carry; removed"
                )
                return None
            if value.lower().startswith(("http://localhost", "http://127.", "https://localhost")):
                self._problems.append(f"link {value!r} points at the author's own machine")
            return absolute(value, "")
        if value.startswith("//"):
            return absolute("https:", value)
        if self._image_dir and tag == "img" and not value.startswith(("/", "#")):
            site, folder = self._image_dir
            return absolute(site if value.startswith(folder) else site + folder, value)
        return absolute(self._page, value)

    def _srcset(self, value: str) -> str | None:
        items = []
        for url, descriptor in _SRCSET_ITEM.findall(value):
            cleaned = self._url("img", "srcset", url.rstrip(","))
            if cleaned:
                items.append(cleaned + (descriptor or ""))
        return ", ".join(items) or None
