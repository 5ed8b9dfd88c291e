"""What an import of remote sources gives (a planet's configuration, an OPML reading list), and
the rules every import follows: http(s) feeds only, one source per feed address, and names
whose slugs differ (a source's entries are keyed by its name's slug)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import msgspec

from syndicate.config import SourceSettings
from syndicate.content.tags import slugify


class Imported(msgspec.Struct, frozen=True):
    """The list's name, its feeds as sources, and what was not imported (`warnings` about the
    list, `notes` per source URL)."""

    name: str | None
    sources: tuple[SourceSettings, ...]
    warnings: tuple[str, ...] = ()
    notes: Mapping[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    origin: str = ""  # the file (or address) read, as people know it


def make_source(
    url: str, name: str | None, author: str | None, taken: set[str], warnings: list[str]
) -> SourceSettings | None:
    """The source for the feed at `url`, named `name` (else its host) made unique among the
    slugs `taken`; None, with a warning, when it cannot be one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        warnings.append(f"[{url}] skipped: not an http(s) address")
        return None
    unique = unique_name(name or parts.hostname, parts.hostname, taken)
    try:
        return SourceSettings(name=unique, url=url, author=author)
    except ValueError as exc:  # the source's own checks (config.py)
        reason = str(exc)
        warnings.append(f"[{url}] skipped: {reason}")
        return None


def unique_name(name: str, host: str, taken: Iterable[str]) -> str:
    """Sources are told apart by their names' slugs: a second feed of one author (or two
    authors' feeds with one name) gets its host, then a number, added."""
    names = set(taken)
    if slugify(name) not in names:
        return name
    candidate = f"{name} ({host})"
    number = 2
    while slugify(candidate) in names:
        candidate = f"{name} ({host}) {number}"
        number += 1
    return candidate


def url_key(url: str) -> str:
    """URLs that name the same feed: scheme and host are case-insensitive."""
    parts = urlsplit(url.strip())
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()
