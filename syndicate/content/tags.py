"""Tags: case-insensitive identity, stable slugs and configured aliases."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping

from syndicate.content.text import digest, strip_xml_unsafe
from syndicate.model import Tag

_NOT_WORD = re.compile(r"[\W_]+")
_PLUS = re.compile(r"(?<=[\w+])\+")
_SHARP = re.compile(r"(?<=\w)#")


@functools.lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """A stable URL slug: accents folded, lower case, runs of other characters as one dash.

    Letters outside Latin are kept (`日本` stays `日本`); they are percent-encoded in URLs.
    """
    text = _PLUS.sub("-plus-", _SHARP.sub("-sharp-", text))  # C++ and C# are not C
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub("-", folded).strip("-")


def split_tags(value: object, *, whitespace: bool = False) -> list[str]:
    """Tag names from a frontmatter value: a list, or a comma-separated string.

    With `whitespace`, a string without commas is split on spaces (Jekyll's convention).
    """
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.split(",") if "," in value or not whitespace else value.split()
    elif isinstance(value, list | tuple | set):
        parts = [str(v) for v in value if v is not None]
    else:
        parts = [str(value)]
    return [p for p in (strip_xml_unsafe(part).strip() for part in parts) if p]


class TagResolver:
    """Turns written tag names into Tags, applying aliases (written name → canonical name)."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        self._aliases = {slugify(k): v for k, v in (aliases or {}).items()}

    def resolve(self, names: Iterable[str]) -> tuple[Tag, ...]:
        seen: dict[str, Tag] = {}
        for name in names:
            canonical = self._aliases.get(slugify(name), name)
            slug = slugify(canonical) or f"tag-{digest(canonical)[:8]}"
            if slug not in seen:
                seen[slug] = Tag(slug=slug, name=canonical)
        return tuple(seen.values())
