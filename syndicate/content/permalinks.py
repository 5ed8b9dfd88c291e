"""Permalink patterns in the generators' own syntax, expanded as Jekyll and Hugo expand them.

A pattern written with `{field}`s is ours (urls.expand); one written with `:placeholder`s is
the generator's, and each generator gives its placeholders its own meaning: Jekyll's `:title`
is the file name's slug with its case kept, Hugo's is the page title made into a path. The
rules here follow Jekyll 4's `UrlDrop` and `URL` and Hugo's `PermalinkExpander`; the parity
tests run both generators on fixture blogs and compare every link.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from urllib.parse import quote

import msgspec

_JEKYLL_PLACEHOLDER = re.compile(r":([a-z_]+)")
_JEKYLL_DEFAULT = re.compile(r"[\W_]+")  # runs of anything but letters, marks and digits
_JEKYLL_PRETTY = re.compile(r"[^\w.~!$&'()+,;=@]+")  # "pretty" also keeps these (and _)
_JEKYLL_SAFE = re.compile(r"^[a-zA-Z0-9./-]+$")
_HUGO_PLACEHOLDER = re.compile(r":\w+(\[.+?\])?")


class PageFacts(msgspec.Struct, frozen=True):
    """What a permalink can be made of, for one post."""

    date: datetime  # in the zone the generator shows it in
    title: str
    slug: str | None  # the frontmatter's slug, if any
    name: str  # the file's stem as the generator sees it (Jekyll's dated basename)
    name_slug: str  # the stem without its date (Jekyll's slug from the file name)
    categories: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()  # Hugo: the post's sections (its first folder)
    folders: tuple[str, ...] = ()  # Hugo: every folder under content/ leading to the post
    path: str = ""  # Jekyll's :path: the file's path in the collection, without extension


def is_native(pattern: str) -> bool:
    """Whether a pattern is in a generator's `:placeholder` syntax rather than ours."""
    return "{" not in pattern and ":" in pattern.rsplit("://", maxsplit=1)[-1]


def jekyll_slugify(text: str, *, pretty: bool = False, cased: bool = False) -> str:
    """Jekyll's Utils.slugify in its default and "pretty" modes."""
    slug = (_JEKYLL_PRETTY if pretty else _JEKYLL_DEFAULT).sub("-", text)
    slug = re.sub(r"^-|-$", "", slug)
    return slug if cased else slug.lower()


def jekyll_path(template: str, facts: PageFacts, *, output_ext: str = ".html") -> str:
    """The site-relative URL Jekyll gives a post for a permalink template (no leading slash)."""
    date = facts.date
    slug_source = facts.slug if facts.slug is not None else facts.name_slug
    categories: list[str] = []
    for category in facts.categories:
        if category.lower() not in categories:
            categories.append(category.lower())
    slugified: list[str] = []
    for category in facts.categories:
        if jekyll_slugify(category) not in slugified:
            slugified.append(jekyll_slugify(category))
    values = {
        "year": f"{date.year:04d}",
        "month": f"{date.month:02d}",
        "day": f"{date.day:02d}",
        "hour": f"{date.hour:02d}",
        "minute": f"{date.minute:02d}",
        "second": f"{date.second:02d}",
        "i_day": str(date.day),
        "i_month": str(date.month),
        "short_month": date.strftime("%b"),
        "long_month": date.strftime("%B"),
        "short_year": date.strftime("%y"),
        "w_year": f"{date.isocalendar()[0]:04d}",
        "week": f"{date.isocalendar()[1]:02d}",
        "w_day": str(date.isoweekday()),
        "short_day": date.strftime("%a"),
        "long_day": date.strftime("%A"),
        "y_day": f"{date.timetuple().tm_yday:03d}",
        "title": jekyll_slugify(slug_source, pretty=True, cased=True),
        "slug": jekyll_slugify(slug_source),
        "name": jekyll_slugify(facts.name),
        "categories": "/".join(categories),
        "slugified_categories": "/".join(slugified),
        "output_ext": output_ext,
        "path": facts.path,
        "collection": "posts",
    }

    def field(match: re.Match[str]) -> str:
        name = match.group(1)
        pool = [name, name.removesuffix("_")] if name.endswith("_") else [name]
        winner = next((key for key in pool if key in values), None)
        if winner is None:
            raise ValueError(f"the permalink {template!r} uses :{name}, which Jekyll does not know")
        return _jekyll_escape(values[winner]) + match.group(0)[len(winner) + 1 :]

    url = "/" + _JEKYLL_PLACEHOLDER.sub(field, template)
    url = url.replace("..", "/").replace("./", "")
    return re.sub(r"/{2,}", "/", url).lstrip("/")


def _jekyll_escape(value: str) -> str:
    if not value or _JEKYLL_SAFE.match(value):
        return value
    return quote(value, safe="/:@!$&'()*+,;=-._~").replace("#", "%23")


def jekyll_id(url_path: str, slug: str) -> str:
    """Jekyll's post.id, the id jekyll-feed gives an entry: the URL's folder, then the slug."""
    folder = ("/" + url_path).rstrip("/").rsplit("/", 1)[0]
    return f"{folder}/{slug}".lstrip("/")


def hugo_urlize(text: str, *, lower: bool = True) -> str:
    """Hugo's urlize: letters, digits, marks and `._-/#+~%@` kept, spaces to one hyphen."""
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "LM" or category == "Nd" or char in "./\\_-#+~%@":
            out.append(char)
        elif char.isspace() and out and out[-1] != "-":
            out.append("-")
    path = "".join(out)
    return path.lower() if lower else path


def hugo_path(pattern: str, facts: PageFacts, *, ugly: bool = False) -> str:
    """The site-relative URL Hugo gives a page for a `permalinks` pattern (no leading slash).

    The page is a folder's index.html whatever the pattern ends with (`/:slug` and `/:slug.html`
    end in `/` too); with uglyURLs it is a file, `.html` after the pattern's last part."""
    date = facts.date
    filename = hugo_urlize(facts.name)
    slug = hugo_urlize(facts.slug) if facts.slug else ""
    title = hugo_urlize(facts.title)
    values = {
        "year": str(date.year),
        "month": f"{date.month:02d}",
        "monthname": date.strftime("%B"),
        "day": f"{date.day:02d}",
        "weekday": str(date.isoweekday() % 7),
        "weekdayname": date.strftime("%A"),
        "yearday": str(date.timetuple().tm_yday),
        "section": facts.sections[0] if facts.sections else "",
        "sectionslug": hugo_urlize(facts.sections[0]) if facts.sections else "",
        "sections": "/".join(facts.sections),
        "sectionslugs": "/".join(hugo_urlize(s) for s in facts.sections),
        "title": title,
        "slug": slug or title,
        "slugorfilename": slug or filename,
        "filename": filename,
        "contentbasename": filename,
        "slugorcontentbasename": slug or filename,
    }

    def field(match: re.Match[str]) -> str:
        name = match.group(0)[1:]
        if name in values:
            return values[name]
        if name.startswith("sections["):
            return "/".join(_hugo_slice(list(facts.sections), name.removeprefix("sections")))
        raise ValueError(f"the permalink {pattern!r} uses :{name}, which is not supported")

    escaped = pattern.replace("\\:", "\x00")
    # Hugo lower-cases the whole path (disablePathToLower is off by default).
    path = _HUGO_PLACEHOLDER.sub(field, escaped).replace("\x00", ":").strip("/").lower()
    if not path:
        return ""
    return path + (".html" if ugly else "/")


def _hugo_slice(parts: list[str], cut: str) -> list[str]:
    inner = cut.strip().lower()[1:-1]

    def index(text: str, default: int) -> int:
        if text == "":
            return default
        if text == "last":
            return len(parts) - 1
        return max(int(text), 0)

    if ":" not in inner:
        at = index(inner, 0)
        return [parts[at]] if at < len(parts) else []
    low, high = inner.split(":", 1)
    return parts[index(low, 0) : min(index(high, len(parts)), len(parts))]


def hugo_default_path(facts: PageFacts, *, ugly: bool = False) -> str:
    """Hugo's URL for a page no `permalinks` pattern covers: its folders, then its slug or
    file name (a page bundle's folder name)."""
    last = facts.slug if facts.slug else facts.name
    path = "/".join(hugo_urlize(part) for part in (*facts.folders, last) if part)
    return path + (".html" if ugly else "/")
