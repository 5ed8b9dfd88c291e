"""What one feed entry says, field by field, as the Post model wants it.

Each function reads a feedparser entry (or a JSON Feed item in the same shape, see
watch/parse.py) and tolerates what real feeds do: relative links, RSS's `email (Name)`,
Blogger's schema categories, dates written any which way, missing fields.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from syndicate.content import urls
from syndicate.content.dates import DateError, parse_date
from syndicate.content.tags import slugify, split_tags
from syndicate.content.text import (
    collapse_space,
    digest,
    html_to_text,
    plain_title,
    strip_xml_unsafe,
)
from syndicate.watch.schedule import aware

SUMMARY_CHARS = 1000  # some feeds put the whole post in the summary too
TITLE_CHARS = 80  # an untitled entry's first words, as readers show them

Entry = Mapping[str, Any]


def text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def own(node: Entry, key: str) -> Any:
    """`node[key]` if the feed has it. feedparser's dict answers a missing `updated` with
    `published` (a deprecated fallback); a plain dict lookup sees what is really there."""
    return dict.get(node, key) if isinstance(node, dict) else node.get(key)


def http_url(base: str, ref: str) -> str | None:
    """`ref` resolved against `base`, if that makes an http(s) address."""
    if not ref:
        return None
    try:
        url = urls.absolute(base, ref)
    except ValueError:  # a host IDNA cannot encode, a port that is no number
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


# --- identity and dates ------------------------------------------------------------------------


def identity(entry: Entry, base_url: str) -> str | None:
    """What makes an entry itself: its id; else its link; else its title and date as written;
    else its text. An entry with none of these cannot be told from the next one."""
    entry_id = strip_xml_unsafe(text(entry.get("id")))
    if entry_id:
        return entry_id
    link = text(entry.get("link"))
    if link:
        return http_url(base_url, link) or link
    title = text(entry.get("title"))
    if title:
        return f"{title}\n{text(own(entry, 'published') or own(entry, 'updated'))}"
    # A status update in a microblog's feed may be nothing but its text.
    words = text(entry.get("summary")) or next(
        (text(c.get("value")) for c in entry.get("content") or [] if isinstance(c, Mapping)), ""
    )
    return f"text:{digest(words)}" if words else None


def dates(entry: Entry) -> tuple[datetime | None, datetime | None]:
    """(published, updated) as the entry gives them, in UTC."""
    return _date(entry, "published"), _date(entry, "updated")


def _date(entry: Entry, name: str) -> datetime | None:
    """feedparser's parsed date (a UTC struct_time), else the raw text read as blogs write it."""
    parsed = own(entry, f"{name}_parsed")
    if parsed is not None:
        try:
            year, month, day, hour, minute, second = parsed[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except (TypeError, ValueError, OverflowError):
            pass
    raw = text(own(entry, name))
    # dateutil fills what a text lacks from today ("May 2024" becomes today's day of May), so
    # only texts with a year and another number are read: the result must not depend on when.
    if not re.search(r"\d{4}", raw) or len(re.findall(r"\d+", raw)) < 2:
        return None
    try:
        return parse_date(raw, UTC).astimezone(UTC)
    except (DateError, ValueError, OverflowError):
        pass
    try:
        return aware(parsedate_to_datetime(raw)).astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        return None


# --- links and names ---------------------------------------------------------------------------


def permalink(entry: Entry, base_url: str) -> str | None:
    """The entry's page: its alternate link, else an id that is a web address."""
    refs = [text(entry.get("link"))]
    refs += [
        text(link.get("href"))
        for link in entry.get("links") or []
        if isinstance(link, Mapping) and link.get("rel", "alternate") == "alternate"
    ]
    entry_id = text(entry.get("id"))
    if entry_id.startswith(("http://", "https://")):  # an id is never a relative link
        refs.append(entry_id)
    for ref in refs:
        url = http_url(base_url, ref)
        if url is not None:
            return url
    return None


def declared_id(entry: Entry, link: str | None) -> str | None:
    """The id the entry declares, else its link: what syndicate's own feeds will call it."""
    return strip_xml_unsafe(text(entry.get("id"))) or link


def slug(link: str | None, title: str, key: str) -> str:
    """The last segment of the entry's address (what the blog chose), else from the title."""
    last = urls.path_of(link).rstrip("/").rsplit("/", 1)[-1] if link else ""
    stem = last.rsplit(".", 1)[0] if "." in last else last
    return slugify(stem) or slugify(title) or key.rsplit("/", 1)[-1]


def name_and_email(value: str) -> tuple[str, str | None]:
    """RSS writes `email (Name)`, mail headers `Name <email>`; a bare address has no name."""
    value = collapse_space(plain_title(value))
    if match := re.fullmatch(r"(\S+@\S+)\s*\((.+)\)", value):
        return match.group(2).strip(), match.group(1)
    if match := re.fullmatch(r"(.+?)\s*<(\S+@\S+)>", value):
        return match.group(1).strip().strip('"'), match.group(2)
    if re.fullmatch(r"\S+@\S+", value):
        return "", value
    return value, None


def tag_names(entry: Entry) -> list[str]:
    names: list[str] = []
    for tag in entry.get("tags") or []:
        if not isinstance(tag, Mapping):
            continue
        name = text(tag.get("label")) or text(tag.get("term"))
        # Blogger marks every entry with a category whose term is a schema URL: not a tag.
        if name and "://" not in name:
            names.extend(split_tags(plain_title(name)))
    return names


def language(entry: Entry, head: Entry) -> str | None:
    for detail in [*(entry.get("content") or []), entry.get("title_detail")]:
        if isinstance(detail, Mapping) and text(detail.get("language")):
            return text(detail.get("language"))
    return text(entry.get("language")) or text(head.get("language")) or None


# --- text --------------------------------------------------------------------------------------


def body_and_summary(entry: Entry) -> tuple[str, str | None]:
    """The entry's HTML (its content, else its summary) and a separate plain-text summary
    when the feed has one that is not simply the content again."""
    contents = [c for c in entry.get("content") or [] if isinstance(c, Mapping)]
    content = next((c for c in contents if _is_html(c)), contents[0] if contents else None)
    # feedparser copies the content into `summary` when an entry has none, but only a real
    # summary has its `summary_detail`.
    summary = entry.get("summary_detail")
    if content is None:
        if summary is None and text(entry.get("summary")):
            summary = {"type": "text/html", "value": entry["summary"]}
        return (_as_html(summary) if summary else ""), None
    body = _as_html(content)
    if not isinstance(summary, Mapping):
        return body, None
    summary_text = _as_text(summary)
    if not summary_text or summary_text == html_to_text(body):
        return body, None
    return body, clip(summary_text, SUMMARY_CHARS)


def _is_html(detail: Entry) -> bool:
    return str(detail.get("type") or "text/html") in ("text/html", "application/xhtml+xml")


def _as_html(detail: Entry) -> str:
    value = strip_xml_unsafe(str(detail.get("value") or ""))
    if _is_html(detail):
        return value.strip()
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def _as_text(detail: Entry) -> str:
    value = strip_xml_unsafe(str(detail.get("value") or ""))
    return html_to_text(value) if _is_html(detail) else collapse_space(value)


def clip(value: str, limit: int) -> str:
    """`value` cut at a word to at most `limit` characters, an ellipsis saying so."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1].rsplit(" ", 1)[0] or value[: limit - 1]
    return cut.rstrip(" ,;:.") + "…"


def stand_in_title(body: str, summary: str | None, warnings: list[str]) -> str:
    """Untitled entries (microblogs) are named by their first words, as readers show them."""
    warnings.append("no title: its first words stand in")
    return clip(summary or html_to_text(body), TITLE_CHARS) or "Untitled"


# --- enclosures and images ---------------------------------------------------------------------


def _enclosures(entry: Entry, base_url: str) -> list[tuple[str, str, str]]:
    """(absolute URL, media type, length) of each enclosure; feedparser leaves them relative."""
    out: list[tuple[str, str, str]] = []
    for enclosure in entry.get("enclosures") or []:
        if not isinstance(enclosure, Mapping):
            continue
        url = http_url(base_url, text(enclosure.get("href") or enclosure.get("url")))
        if url is not None and all(url != known for known, _, _ in out):
            out.append((url, text(enclosure.get("type")), text(enclosure.get("length"))))
    return out


def image(entry: Entry, base_url: str) -> str | None:
    """The lead image: an image enclosure, else a Media RSS thumbnail or image."""
    for url, media_type, _ in _enclosures(entry, base_url):
        if media_type.startswith("image/"):
            return url
    media = [*(entry.get("media_thumbnail") or []), *(entry.get("media_content") or [])]
    for item in media:
        if isinstance(item, Mapping) and str(item.get("medium", "image")) == "image":
            found = http_url(base_url, text(item.get("url")))
            if found is not None:
                return found
    return None


def with_enclosures(body: str, entry: Entry, base_url: str) -> str:
    """A podcast episode's audio has nowhere to go in the Post model, so it becomes a link at
    the end of the body rather than being lost; images go to `Post.image` instead."""
    links: list[str] = []
    for url, media_type, length in _enclosures(entry, base_url):
        if media_type.startswith("image/") or url in body:
            continue
        name = urlsplit(url).path.rsplit("/", 1)[-1] or url
        about = ", ".join(part for part in (media_type, _size(length)) if part)
        label = html.escape(name) + (f" ({html.escape(about)})" if about else "")
        links.append(f'<p><a href="{html.escape(url)}">{label}</a></p>')
    return body + "".join(links)


def _size(length: str) -> str:
    if not length.isdigit() or int(length) == 0:
        return ""
    size = float(length)
    for unit in ("bytes", "KB", "MB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
