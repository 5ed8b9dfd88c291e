"""Permalinks from a pattern, and URL joining that always yields absolute, encoded URLs."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote, urljoin, urlsplit

FIELDS = ("year", "month", "day", "hour", "minute", "second", "slug", "title", "categories", "section", "filename")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


def check_pattern(pattern: str) -> None:
    """Raise ValueError unless `pattern` only uses known {fields}."""
    for _, name, spec, _conv in string.Formatter().parse(pattern):
        if name is not None and (name not in FIELDS or spec):
            raise ValueError(f"unknown field {{{name}}} in permalink; known: {', '.join(FIELDS)}")


def expand(pattern: str, date: datetime, fields: Mapping[str, str]) -> str:
    """The site-relative path a pattern gives for a post."""
    values = {
        "year": f"{date.year:04d}", "month": f"{date.month:02d}", "day": f"{date.day:02d}",
        "hour": f"{date.hour:02d}", "minute": f"{date.minute:02d}", "second": f"{date.second:02d}",
        "slug": "", "title": "", "categories": "", "section": "", "filename": "",
    }
    values.update(fields)
    path = pattern.format_map(values)
    return re.sub(r"/{2,}", "/", path).lstrip("/")


def absolute(base: str, ref: str) -> str:
    """`ref` resolved against `base`, with unsafe characters percent-encoded."""
    return encode(urljoin(base, ref.strip()))


def encode(url: str) -> str:
    """Percent-encode what a URL may not contain raw (spaces, non-ASCII), leaving the rest."""
    if url.isascii() and " " not in url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc.encode("idna").decode("ascii") if not parts.netloc.isascii() else parts.netloc
    path = quote(parts.path, safe=_SAFE_PATH)
    query = quote(parts.query, safe=_SAFE_PATH + "?")
    fragment = quote(parts.fragment, safe=_SAFE_PATH + "?")
    url = f"{parts.scheme}://{netloc}{path}" if parts.scheme else path
    if parts.query:
        url += "?" + query
    if parts.fragment:
        url += "#" + fragment
    return url


def host_of(url: str) -> str:
    return urlsplit(url).hostname or "localhost"


def path_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")
