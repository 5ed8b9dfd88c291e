"""Permalinks from a pattern, and URL joining that always yields absolute, encoded URLs."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote, urljoin, urlsplit

FIELDS = (
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "slug",
    "slug_or_title",
    "title",
    "categories",
    "section",
    "filename",
)
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


def check_pattern(pattern: str) -> None:
    """Raise ValueError unless `pattern` only uses known {fields}."""
    for _, name, spec, _conv in string.Formatter().parse(pattern):
        if name is not None and (name not in FIELDS or spec):
            raise ValueError(f"unknown field {{{name}}} in permalink; known: {', '.join(FIELDS)}")


def expand(pattern: str, date: datetime, fields: Mapping[str, str]) -> str:
    """The site-relative path a pattern gives for a post."""
    values = {
        "year": f"{date.year:04d}",
        "month": f"{date.month:02d}",
        "day": f"{date.day:02d}",
        "hour": f"{date.hour:02d}",
        "minute": f"{date.minute:02d}",
        "second": f"{date.second:02d}",
        "slug": "",
        "slug_or_title": "",
        "title": "",
        "categories": "",
        "section": "",
        "filename": "",
    }
    values.update(fields)
    path = pattern.format_map(values)
    return re.sub(r"/{2,}", "/", path).lstrip("/")


_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#]*", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def absolute(base: str, ref: str) -> str:
    """`ref` resolved against `base` (RFC 3986), with unsafe characters percent-encoded."""
    ref = ref.strip()
    if ref.startswith(("http://", "https://")):
        return encode(ref)
    origin = _ORIGIN.match(base)
    if origin is None or "?" in base or "#" in base or ref.startswith("//") or _SCHEME.match(ref):
        return encode(urljoin(base, ref))
    return encode(origin.group(0) + _join_path(base[origin.end() :] or "/", ref))


def is_web(url: str) -> bool:
    """Whether `url` is an http(s) address: the only kind a feed's links, images and authors'
    pages may be (`javascript:`, `data:` and the rest run or hide something in readers)."""
    return url.lower().startswith(("http://", "https://"))


def _join_path(base_path: str, ref: str) -> str:
    """The path part of RFC 3986 resolution for a base without query or fragment."""
    query, fragment = ref.find("?"), ref.find("#")
    cut = min(query, fragment) if query >= 0 and fragment >= 0 else max(query, fragment)
    path, rest = (ref[:cut], ref[cut:]) if cut >= 0 else (ref, "")
    if not path:
        return base_path + rest
    merged = path if path.startswith("/") else base_path[: base_path.rfind("/") + 1] + path
    if "/." in merged:
        merged = _remove_dot_segments(merged)
    return merged + rest


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        elif segment == ".":
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/".join(out) if out != [""] else "/"


def encode(url: str) -> str:
    """Percent-encode what a URL may not contain raw (spaces, non-ASCII), leaving the rest."""
    if url.isascii() and " " not in url:
        return url
    parts = urlsplit(url)
    netloc = (
        parts.netloc.encode("idna").decode("ascii") if not parts.netloc.isascii() else parts.netloc
    )
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


PLACEHOLDER_HOSTS = frozenset(
    f"{sub}example.{tld}" for sub in ("", "www.", "blog.") for tld in ("com", "org", "net")
)


def is_placeholder(url: str) -> bool:
    """An address that names no blog: example.com/.org/.net themselves (RFC 2606), the
    placeholder earlier versions of `init` wrote, or a `.invalid` name. Here, not in
    check.py, so that `build`, which warns of one, need not import `check`."""
    host = host_of(url)
    return host in PLACEHOLDER_HOSTS or host.endswith(".invalid")


def path_of(url: str) -> str:
    """The path of an absolute URL, without its leading slash (and without query or fragment)."""
    origin = _ORIGIN.match(url)
    if origin is None:
        return urlsplit(url).path.lstrip("/")
    rest = url[origin.end() :]
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return rest[:cut].lstrip("/")
