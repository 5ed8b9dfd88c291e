"""A ledger URL's one addition of ours: the PostgreSQL schema of a blog that shares its
database with other blogs (`[store] schema`).

The schema travels in the URL itself, as libpq's `options=-csearch_path=NAME`, so every
connection made from that URL (SQLAlchemy's pool, procrastinate's, the feed listener's) reads
and creates that blog's tables and no other's, with nothing else to pass along.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Unquoted in SQL, so there is no quoting to get wrong; pg_ names are PostgreSQL's own.
SCHEMA_NAME = re.compile(r"^(?!pg_)[a-z_][a-z0-9_]{0,62}$")
_SEARCH_PATH = re.compile(r"-c\s*search_path=(\S+)")


def with_schema(url: str, schema: str) -> str:
    """`url` whose connections use `schema` (in libpq's `options`, after any given there)."""
    if not SCHEMA_NAME.match(schema):
        raise ValueError(f"{schema!r} cannot name a schema (lower-case letters, digits, _)")
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    given = dict(query).get("options", "")
    options = f"{_SEARCH_PATH.sub('', given).strip()} -csearch_path={schema}".strip()
    kept = [(key, value) for key, value in query if key != "options"]
    return urlunsplit(parts._replace(query=urlencode([*kept, ("options", options)])))


def schema_of(url: str) -> str | None:
    """The schema `url`'s connections create their tables in, when it names one."""
    options = dict(parse_qsl(urlsplit(url).query)).get("options", "")
    found = _SEARCH_PATH.search(options)
    first = found.group(1).split(",")[0] if found else ""
    return first if SCHEMA_NAME.match(first) else None
