"""The authors registry (`data/authors.yml` and the like) and resolving a post's byline."""

from __future__ import annotations

import json
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from syndicate.content.tags import slugify
from syndicate.content.urls import is_web
from syndicate.errors import ConfigError
from syndicate.model import Author

# libyaml's loader when present: the pure-Python one took 27 ms for the RDO blog's registry.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_log = logging.getLogger(__name__)

_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*")


class AuthorRegistry:
    """Known authors by key; unknown names become authors of their own."""

    def __init__(self, authors: Iterable[Author] = ()) -> None:
        self._by_key: dict[str, Author] = {}
        self._by_name: dict[str, Author] = {}
        for author in authors:
            self._by_key[author.key.casefold()] = author
            self._by_name[author.name.casefold()] = author

    def __len__(self) -> int:
        return len(self._by_key)

    @property
    def keys(self) -> list[str]:
        return sorted(a.key for a in self._by_key.values())

    def resolve(self, value: object) -> tuple[Author, ...]:
        """Authors named by a frontmatter `author`/`authors` value (string, list or mapping)."""
        found: list[Author] = []
        items = self._several(value) if isinstance(value, str) else _items(value)
        for item in items:
            author = self._one(item)
            if author is not None and author not in found:
                found.append(author)
        return tuple(found)

    def known(self, key_or_name: str) -> bool:
        folded = key_or_name.casefold()
        return folded in self._by_key or folded in self._by_name

    def _several(self, text: str) -> list[str]:
        """A byline string as its parts. Where every word of a part is a registry key
        (`alice bob`), the words are authors, as themes that split on spaces read it; a
        name that is not (`Jane Doe`) stays one."""
        folded = text.strip().lstrip("@").casefold()
        if folded in self._by_key or folded in self._by_name:
            return [text]
        parts: list[str] = []
        for part in (p for p in _SPLIT.split(text) if p):
            words = part.split()
            if len(words) > 1 and all(w.lstrip("@").casefold() in self._by_key for w in words):
                parts.extend(words)
            else:
                parts.append(part)
        return parts

    def _one(self, item: object) -> Author | None:
        if isinstance(item, Mapping):
            return _from_mapping(None, item)
        text = str(item).strip().lstrip("@")
        if not text:
            return None
        folded = text.casefold()
        return (
            self._by_key.get(folded)
            or self._by_name.get(folded)
            or Author(key=slugify(text), name=text)
        )


def _items(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in _SPLIT.split(value) if part]
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list | tuple):
        out: list[object] = []
        for item in value:
            # A blank list entry (`- ` in YAML) is None: no author, not one named 'None'.
            out.extend(_items(item) if isinstance(item, str) or item is None else [item])
        return out
    return [value]


def load_registry(path: Path, key: str | None = None) -> AuthorRegistry:
    """Read a registry file (YAML, TOML or JSON) mapping keys to name and handles; with
    `key`, the mapping under that key of the file (Jekyll's `authors:` in _config.yml)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"authors registry cannot be read: {exc}", file=str(path)) from exc
    if key is not None and isinstance(data, Mapping):
        data = data.get(key)
    if data is None:
        return AuthorRegistry()
    if not isinstance(data, Mapping):
        raise ConfigError("authors registry must map author keys to details", file=str(path))
    return AuthorRegistry(_from_mapping(str(key), value) for key, value in data.items())


def _from_mapping(key: str | None, value: object) -> Author:
    details: Mapping[str, Any] = value if isinstance(value, Mapping) else {"name": value}
    name = str(details.get("name") or key or "").strip()
    return Author(
        key=key or slugify(name),
        name=name or (key or ""),
        uri=_web(key or name, _text(details, "url", "uri", "website", "homepage")),
        email=_text(details, "email"),
        twitter=_handle(_text(details, "twitter", "x")),
        mastodon=_text(details, "mastodon", "fediverse"),
        bluesky=_handle(_text(details, "bluesky", "bsky")),
    )


def _web(who: str, url: str | None) -> str | None:
    """An author's page, if it is an http(s) address (`javascript:` would reach every feed)."""
    if url is None or is_web(url):
        return url
    _log.warning("author %s: url %r is not an http(s) address; left out", who, url[:80])
    return None


def _text(details: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = details.get(name)
        if value:
            return str(value).strip()
    return None


def _handle(value: str | None) -> str | None:
    """`@name`, `https://twitter.com/name` or `name` → `name`."""
    if not value:
        return None
    value = value.rstrip("/")
    if "/" in value:
        value = value.rsplit("/", 1)[1]
    return value.lstrip("@") or None
