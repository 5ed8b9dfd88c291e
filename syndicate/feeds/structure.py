"""Is a written feed file structurally sound? The admin dashboard's built-in check.

Not a validator (the W3C one cannot ship with us): it looks only for what makes feed readers
stumble, such as a file that does not parse, a missing or repeated id, a date readers cannot
read or a relative link, following RFC 4287 (Atom), RSS 2.0 and JSON Feed 1.1. Every problem is
a sentence naming the element and, inside an entry, the entry by position and id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from syndicate.model import FeedFormat

MAX_PROBLEMS = 20

ATOM = "{http://www.w3.org/2005/Atom}"
XHTML_DIV = "{http://www.w3.org/1999/xhtml}div"
JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1")

_KIND = {
    FeedFormat.ATOM: "an Atom feed",
    FeedFormat.RSS: "an RSS 2.0 feed",
    FeedFormat.JSON: "a JSON Feed",
}

# RFC 3339's date-time with Atom's extra rule (RFC 4287 3.3) of an upper-case T and Z.
# [0-9], not \d: \d also matches other scripts' digits.
_RFC3339 = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"T(?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})(?:\.[0-9]+)?"
    r"(?:Z|[+-](?P<oh>[0-9]{2}):(?P<om>[0-9]{2}))"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_XML_POSITION = re.compile(r",? line \d+, column \d+$")


def check_feed(data: bytes, fmt: FeedFormat) -> list[str]:
    """Problems that would make feed readers stumble, as short sentences naming the element
    and the entry (by position and id), at most MAX_PROBLEMS (the last one saying how many
    more); [] when the feed is structurally sound."""
    wrong = _not_the_format(data, fmt)
    problems = [wrong] if wrong else list(_CHECKS[fmt](data))
    return _capped(problems)


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    kept = problems[: MAX_PROBLEMS - 1]
    return [*kept, f"{len(problems) - len(kept)} more problems not shown"]


def _not_the_format(data: bytes, fmt: FeedFormat) -> str | None:
    """One clear sentence for a file that is not a feed at all, before parsing says it less
    clearly (an HTML page is rarely well-formed XML, and never JSON)."""
    head = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:64].lower()
    if not head:
        return "the file is empty"
    if head.startswith((b"<!doctype html", b"<html")):
        return f"the file is an HTML page, not {_KIND[fmt]}"
    if fmt is FeedFormat.JSON and head.startswith(b"<"):
        return f"the file is markup (it starts with '<'), not {_KIND[fmt]}"
    if fmt is not FeedFormat.JSON and head.startswith((b"{", b"[")):
        return f"the file looks like JSON, not {_KIND[fmt]}"
    return None


# Shared value checks.


def _is_rfc3339(value: str) -> bool:
    """A full RFC 3339 date-time with seconds and an explicit offset, and a real date."""
    found = _RFC3339.fullmatch(value)
    if not found:
        return False
    try:
        date(int(found["y"]), int(found["mo"]), int(found["d"]))
    except ValueError:
        return False
    hour, minute, second = int(found["h"]), int(found["mi"]), int(found["s"])
    offset_ok = not found["oh"] or (int(found["oh"]) <= 23 and int(found["om"]) <= 59)
    return hour <= 23 and minute <= 59 and second <= 60 and offset_ok  # 60: a leap second


def _is_web_url(value: str) -> bool:
    """An absolute http(s) URL with a host: what a reader can open without a base."""
    if not value or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in {"http", "https"} and bool(host)


def _shown(value: object) -> str:
    """A value quoted for a message, cut short: feeds can hold anything."""
    if isinstance(value, list | dict):  # never repr a whole (possibly deep) structure
        return _json_kind(value)
    text = repr(value)
    return text if len(text) <= 120 else f"{text[:116]}...{text[-1]}"


def _label(kind: str, position: int, ident: object) -> str:
    """'entry 3 (its id)': position and id, as a reader's error log would want them."""
    if not isinstance(ident, str) or not ident.strip():
        return f"{kind} {position}"
    text = " ".join(ident.split())
    if not text.isprintable():  # control characters, lone surrogates: escape them
        text = repr(text)[1:-1]
    return f"{kind} {position} ({text if len(text) <= 200 else text[:197] + '...'})"


def _count_problem(where: str, name: str, count: int) -> Iterator[str]:
    if count == 0:
        yield f"{where}: no <{name}>"
    elif count > 1:
        yield f"{where}: {count} <{name}> elements where there must be exactly one"


# XML, shared by Atom and RSS.


def _parse_xml(data: bytes) -> etree._Element | str:
    """The root element, or the parser's complaint with its line and column."""
    # No entities expanded, nothing fetched, libxml2's default limits: the file is untrusted.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        reason = _XML_POSITION.sub("", exc.msg or "") or "unreadable"
        return f"not well-formed XML at line {line}, column {column}: {reason}"
    except (etree.LxmlError, ValueError) as exc:
        return f"not well-formed XML: {exc}"
    if not isinstance(root, etree._Element):
        return "not well-formed XML: no root element"
    return root


def _wrong_root(root: etree._Element, fmt: FeedFormat, expected: str) -> str:
    name = etree.QName(root)
    if name.localname.lower() == "html":
        return f"the file is an HTML page, not {_KIND[fmt]}"
    where = f" in namespace {name.namespace}" if name.namespace else " in no namespace"
    return f"the root element is <{name.localname}>{where}, not {expected}"


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    # Parsed from bytes, lxml gives str; the stubs allow bytes too.
    return "".join(str(piece) for piece in element.itertext()).strip()


def _children(element: etree._Element) -> list[etree._Element]:
    """Child elements only: comments and processing instructions are not content."""
    return [child for child in element if isinstance(child.tag, str)]


# Atom (RFC 4287).


def _check_atom(data: bytes) -> Iterator[str]:
    root = _parse_xml(data)
    if isinstance(root, str):
        yield root
        return
    if root.tag != f"{ATOM}feed":
        yield _wrong_root(root, FeedFormat.ATOM, "<feed> in namespace http://www.w3.org/2005/Atom")
        return
    yield from _atom_metadata(root, "feed")
    if not any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link")):
        yield 'feed: no <link rel="self"> (readers use it to know where the feed lives)'
    feed_authors = root.findall(f"{ATOM}author")
    yield from _atom_authors(feed_authors, "feed")
    first_seen: dict[str, int] = {}
    for position, entry in enumerate(root.findall(f"{ATOM}entry"), 1):
        ident = _text(entry.find(f"{ATOM}id"))
        where = _label("entry", position, ident)
        yield from _atom_metadata(entry, where)
        yield from _atom_entry_links(entry, where)
        authors = entry.findall(f"{ATOM}author") + entry.findall(f"{ATOM}source/{ATOM}author")
        if not authors and not feed_authors:
            yield f"{where}: no <author>, and the feed has none to stand in"
        yield from _atom_authors(authors, where)
        if ident in first_seen:
            yield f"{where}: the same <id> as entry {first_seen[ident]}"
        elif ident:
            first_seen[ident] = position


def _atom_metadata(element: etree._Element, where: str) -> Iterator[str]:
    """What feed and entry share: one id, title and updated, dates and text constructs."""
    for name in ("id", "title", "updated"):
        yield from _count_problem(where, name, len(element.findall(f"{ATOM}{name}")))
    ident = element.find(f"{ATOM}id")
    if ident is not None:
        value = _text(ident)
        if not value:
            yield f"{where}: <id> is empty"
        elif not _SCHEME.match(value):
            yield f"{where}: <id> is not an IRI (no scheme such as https: or tag:): {_shown(value)}"
    for name in ("updated", "published"):
        for stamp in element.findall(f"{ATOM}{name}"):
            if not _is_rfc3339(_text(stamp)):
                yield f"{where}: <{name}> is not an RFC 3339 date: {_shown(_text(stamp))}"
    for name in ("title", "subtitle", "rights", "summary", "content"):
        for construct in element.findall(f"{ATOM}{name}"):
            yield from _atom_text_construct(construct, name, where)


def _atom_text_construct(element: etree._Element, name: str, where: str) -> Iterator[str]:
    kind = element.get("type", "text")
    children = _children(element)
    if kind in {"text", "html"}:
        if children:
            yield (
                f'{where}: <{name} type="{kind}"> contains elements'
                " (its markup must be escaped as text)"
            )
    elif kind == "xhtml":
        div_only = (
            len(children) == 1
            and children[0].tag == XHTML_DIV
            and not (element.text or "").strip()
            and not (children[0].tail or "").strip()
        )
        if not div_only:
            yield f'{where}: <{name} type="xhtml"> must hold one XHTML <div> and nothing else'
    elif name != "content" or "/" not in kind:  # only content may name a media type
        yield f"{where}: <{name}> has type {_shown(kind)}, not text, html or xhtml"


def _atom_entry_links(entry: etree._Element, where: str) -> Iterator[str]:
    links = entry.findall(f"{ATOM}link")
    for link in links:
        if link.get("href") is None:  # href="" is a valid reference (to the base), so allowed
            yield f"{where}: a <link> has no href"
    alternate = any(link.get("rel", "alternate") == "alternate" for link in links)
    if not alternate and entry.find(f"{ATOM}content") is None:
        yield f'{where}: no <link rel="alternate"> and no <content> (nothing for readers to show)'


def _atom_authors(authors: list[etree._Element], where: str) -> Iterator[str]:
    for author in authors:
        if not _text(author.find(f"{ATOM}name")):
            yield f"{where}: an <author> has no <name>"


# RSS 2.0 (https://www.rssboard.org/rss-specification).


def _check_rss(data: bytes) -> Iterator[str]:
    root = _parse_xml(data)
    if isinstance(root, str):
        yield root
        return
    if root.tag != "rss":
        yield _wrong_root(root, FeedFormat.RSS, "<rss> in no namespace")
        return
    version = root.get("version")
    if version != "2.0":
        found = "has no version" if version is None else f"has version {_shown(version)}"
        yield f"<rss> {found}; it must be '2.0'"
    channels = root.findall("channel")
    yield from _count_problem("<rss>", "channel", len(channels))
    if channels:
        yield from _rss_channel(channels[0])


def _rss_channel(channel: etree._Element) -> Iterator[str]:
    for name in ("title", "link", "description"):
        yield from _count_problem("channel", name, len(channel.findall(name)))
    yield from _rss_values(channel, "channel", ("pubDate", "lastBuildDate"))
    selves = [link for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"]
    if not selves:
        yield 'channel: no <atom:link rel="self"> (readers use it to know where the feed lives)'
    for link in selves:
        href = (link.get("href") or "").strip()
        if not _is_web_url(href):
            yield (
                'channel: <atom:link rel="self"> href is not an absolute http(s) URL: '
                f"{_shown(href)}"
            )
    first_seen: dict[str, int] = {}
    for position, item in enumerate(channel.findall("item"), 1):
        guid = item.find("guid")
        ident = _text(guid) or _text(item.find("link"))
        where = _label("item", position, ident)
        if not _text(item.find("title")) and not _text(item.find("description")):
            yield f"{where}: neither a <title> nor a <description>"
        yield from _rss_values(item, where, ("pubDate",))
        if guid is not None:
            yield from _rss_guid(guid, where, position, first_seen)


def _rss_values(element: etree._Element, where: str, dates: tuple[str, ...]) -> Iterator[str]:
    for link in element.findall("link"):
        if not _is_web_url(_text(link)):
            yield f"{where}: <link> is not an absolute http(s) URL: {_shown(_text(link))}"
    for name in dates:
        for stamp in element.findall(name):
            if problem := _rfc822_problem(_text(stamp)):
                yield f"{where}: <{name}> {problem}: {_shown(_text(stamp))}"


def _rss_guid(
    guid: etree._Element, where: str, position: int, first_seen: dict[str, int]
) -> Iterator[str]:
    value = _text(guid)
    if not value:
        yield f"{where}: <guid> is empty"
        return
    if guid.get("isPermaLink", "true").strip() != "false" and not _is_web_url(value):
        yield (
            f"{where}: <guid> is a permalink (isPermaLink is not 'false')"
            f" but not an absolute http(s) URL: {_shown(value)}"
        )
    if value in first_seen:
        yield f"{where}: the same <guid> as item {first_seen[value]}"
    first_seen.setdefault(value, position)


def _rfc822_problem(value: str) -> str | None:
    # What the standard library reads, as Python feed readers do.
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return "is not an RFC 822 date"
    return "has no time zone" if parsed.tzinfo is None else None


# JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/).


def _check_json(data: bytes) -> Iterator[str]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield f"not UTF-8: byte {exc.start} cannot be decoded"
        return
    try:
        feed = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        yield "not valid JSON: nested too deeply to read"
        return
    except ValueError as exc:
        yield f"not valid JSON: {exc}"
        return
    if not isinstance(feed, dict):
        yield f"the JSON is {_json_kind(feed)}, not an object"
        return
    version = feed.get("version")
    if version not in JSON_FEED_VERSIONS:
        found = "no version" if version is None else f"version {_shown(version)}"
        yield f"feed: {found}, not {JSON_FEED_VERSIONS[0]}"
    title = feed.get("title")
    if not isinstance(title, str) or not title.strip():
        yield "feed: title is missing or not a non-empty string"
    yield from _json_urls(feed, "feed", ("feed_url", "home_page_url"))
    yield from _json_authors(feed, "feed")
    items = feed.get("items")
    if not isinstance(items, list):
        found = "missing" if items is None else _json_kind(items)
        yield f"feed: items is {found}, not a list"
        return
    first_seen: dict[str, int] = {}
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict):
            yield f"item {position}: {_json_kind(item)}, not an object"
            continue
        yield from _json_item(item, position, first_seen)


def _json_item(item: dict[str, Any], position: int, first_seen: dict[str, int]) -> Iterator[str]:
    ident = item.get("id")
    where = _label("item", position, ident)
    if not isinstance(ident, str) or not ident.strip():
        yield f"{where}: id is missing or not a non-empty string"
    elif ident in first_seen:
        yield f"{where}: the same id as item {first_seen[ident]}"
    else:
        first_seen[ident] = position
    contents = [item[key] for key in ("content_html", "content_text") if key in item]
    if not contents:
        yield f"{where}: neither content_html nor content_text"
    elif not all(isinstance(content, str) for content in contents):
        yield f"{where}: content_html or content_text is not a string"
    for key in ("date_published", "date_modified"):
        if key in item and not (isinstance(item[key], str) and _is_rfc3339(item[key])):
            yield f"{where}: {key} is not an RFC 3339 date: {_shown(item[key])}"
    yield from _json_urls(item, where, ("url", "external_url"))
    yield from _json_authors(item, where)


def _json_urls(obj: dict[str, Any], where: str, keys: tuple[str, ...]) -> Iterator[str]:
    for key in keys:
        if key in obj and not (isinstance(obj[key], str) and _is_web_url(obj[key])):
            yield f"{where}: {key} is not an absolute http(s) URL: {_shown(obj[key])}"


def _json_authors(obj: dict[str, Any], where: str) -> Iterator[str]:
    authors = obj.get("authors")
    if "authors" in obj and not (
        isinstance(authors, list) and all(isinstance(author, dict) for author in authors)
    ):
        yield f"{where}: authors is not a list of objects"


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number" if isinstance(value, int | float) else "an object"


def _no_constant(name: str) -> object:
    # Python's json reads NaN and Infinity; JSON (and other readers) do not.
    raise ValueError(f"{name} is not a JSON value")


_CHECKS: dict[FeedFormat, Callable[[bytes], Iterator[str]]] = {
    FeedFormat.ATOM: _check_atom,
    FeedFormat.RSS: _check_rss,
    FeedFormat.JSON: _check_json,
}
