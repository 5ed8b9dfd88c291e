"""A post's lead image and its alt text, for social posts: the frontmatter's image as the
generators' themes name it, else the first image in the body.

Themes disagree on the key: Jekyll's jekyll-seo-tag reads `image` (a URL, or `{path, alt}`),
Hugo's PaperMod `cover: {image, alt}`, Hugo's own templates `images: [...]`, others
`featured_image`, `thumbnail`, Minimal Mistakes `header: {teaser, overlay_image}`. The alt
text may sit beside the URL (`image_alt`, `cover.alt`) or, for a body image, in the Markdown
(`![alt](src)`) or the HTML (`<img alt>`). An image with an empty alt is decorative: no alt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from syndicate.content import urls
from syndicate.content.text import collapse_space

# In the order a theme's own choice wins: an explicit social image before a cover or teaser.
IMAGE_KEYS = (
    "image",
    "cover",
    "images",
    "featured_image",
    "featuredImage",
    "cover_image",
    "thumbnail",
    "header",
    "og_image",
    "banner",
)
# Inside a mapping value (`image: {path: ...}`, `cover: {image: ...}`, `header: {teaser: ...}`).
URL_KEYS = ("path", "src", "url", "image", "teaser", "overlay_image", "og_image")
ALT_KEYS = ("alt", "image_alt", "alt_text", "image_description", "description")
TOP_ALT_KEYS = ("image_alt", "imageAlt", "image_alt_text", "cover_alt", "alt")
MAX_ALT = 1500  # the longest alt text any network takes (Mastodon); longer is cut

# `![alt](src "title")` and `![alt](<src with spaces>)`, outside code is not checked: a code
# block's image syntax is rare enough, and would only choose a wrong image.
_MARKDOWN_IMAGE = re.compile(
    r"!\[(?P<alt>(?:\\.|[^\]\\])*)\]\(\s*(?:<(?P<angled>[^>\n]+)>|(?P<src>[^)\s]+))"
)
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


class LeadImage(msgspec.Struct, frozen=True):
    url: str  # absolute http(s)
    alt: str | None


def from_frontmatter(
    meta: Mapping[str, Any], site_url: str, warnings: list[str]
) -> LeadImage | None:
    """The image the frontmatter names, with its alt text; None when it names none."""
    for key in IMAGE_KEYS:
        value = meta.get(key)
        if value is None:  # most keys, most posts: no need to look at its shape
            continue
        ref, alt = _ref_and_alt(value)
        if ref is None:
            continue
        url = urls.absolute(site_url, ref)
        if not urls.is_web(url):
            warnings.append(f"{key}: {url[:80]!r} is not an http(s) address; left out")
            return None
        alt = alt if alt is not None else _first_string(meta, TOP_ALT_KEYS)
        return LeadImage(url, _alt(alt))
    return None


def from_body(body: str, page_url: str, image_base: str | None) -> LeadImage | None:
    """The first image in a Markdown or HTML body, resolved as the page shows it: against the
    post's permalink, or the site's images folder (Middleman's `images_dir`)."""
    # Each search only where its syntax can be (a caseless scan is slow on a long body).
    markdown = _MARKDOWN_IMAGE.search(body) if "![" in body else None
    html = _HTML_IMAGE.search(body) if "<" in body else None
    if markdown and (html is None or markdown.start() < html.start()):
        ref = markdown.group("angled") or markdown.group("src")
        alt: str | None = _ESCAPE.sub(r"\1", markdown.group("alt"))
    elif html:
        attributes = _attributes(html.group(0))
        ref, alt = attributes.get("src"), attributes.get("alt")
    else:
        return None
    if not ref or ref.startswith(("data:", "#", "{")):  # inline data, or a template's value
        return None
    base = page_url
    if image_base and not ref.startswith(("/", "http://", "https://", "//")):
        base = urls.absolute(page_url, "/" + image_base.strip("/") + "/")
    url = urls.absolute(base, ref)
    return LeadImage(url, _alt(alt)) if urls.is_web(url) else None


def _ref_and_alt(value: object) -> tuple[str | None, str | None]:
    """(URL as written, alt) from a frontmatter value: a string, a list, or a mapping."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        ref = next((value[k] for k in URL_KEYS if isinstance(value.get(k), str)), None)
        alt = _first_string(value, ALT_KEYS)
        return (ref.strip() or None if isinstance(ref, str) else None), alt
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    return None, None


def _first_string(meta: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    return next((meta[k] for k in keys if isinstance(meta.get(k), str)), None)


def _alt(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = collapse_space(text)
    return cleaned[:MAX_ALT] or None


def _attributes(tag: str) -> dict[str, str]:
    from html.parser import HTMLParser  # only for a post with an image tag: 1 ms of a start

    found: dict[str, str] = {}

    class Tag(HTMLParser):
        def handle_starttag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
            found.update((key, value or "") for key, value in attrs)

    parser = Tag(convert_charrefs=True)
    parser.feed(tag)
    parser.close()
    return found
