"""Request headers that decide what a GET answers: conditional requests (RFC 9110 §13) and
Accept-Encoding (§12.5.3)."""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import parsedate_to_datetime

_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')


def none_match(header: str | None, etags: list[str]) -> str | None:
    """Which of `etags` the If-None-Match header lists, if any.

    Weak comparison, as §13.1.2 requires for If-None-Match: `W/"x"` matches `"x"`. `*` matches
    the first. A header that does not parse matches nothing, so the full answer goes out.
    """
    if header is None or not etags:
        return None
    if header.strip() == "*":
        return etags[0]
    listed = {match.group(1) for match in _ENTITY_TAG.finditer(header)}
    return next((etag for etag in etags if etag in listed), None)


def not_modified_since(header: str | None, modified: int) -> bool:
    """Whether If-Modified-Since says the client's copy (last modified at `modified`) is current.

    An invalid date is ignored (§13.1.3), which means "send it".
    """
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:  # asctime dates carry no zone; every HTTP date is GMT
        since = since.replace(tzinfo=UTC)
    return modified <= int(since.timestamp())


def accepts_gzip(header: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (`gzip`, `x-gzip` or `*` with a q-value above 0)."""
    if not header:
        return False
    weights: dict[str, float] = {}
    for item in header.split(","):
        coding, _, params = item.partition(";")
        weights[coding.strip().lower()] = _quality(params)
    for name in ("gzip", "x-gzip"):
        if name in weights:
            return weights[name] > 0
    return weights.get("*", 0.0) > 0


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0
