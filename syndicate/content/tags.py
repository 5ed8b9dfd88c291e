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


# A slug names a file (`tag/<slug>.xml`): file systems refuse names over 255 bytes, and a
# feed's path should stay readable. Longer slugs keep their start and gain a hash of the whole.
MAX_SLUG_BYTES = 120
_HASH_CHARS = 8


@functools.lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """A stable URL slug: accents folded, lower case, runs of other characters as one dash.

    Letters outside Latin are kept (`日本` stays `日本`); they are percent-encoded in URLs.
    At most MAX_SLUG_BYTES of UTF-8 (see `bounded`).
    """
    text = _PLUS.sub("-plus-", _SHARP.sub("-sharp-", text))  # C++ and C# are not C
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    # composed again (NFC): a Hangul syllable is kept whole, and URLs made from it canonical
    return bounded(unicodedata.normalize("NFC", _NOT_WORD.sub("-", folded).strip("-")))


def bounded(slug: str) -> str:
    """`slug` itself if it fits in MAX_SLUG_BYTES of UTF-8, else its start, a dash and a short
    hash of the whole slug: readable, distinct and the same on every build."""
    raw = slug.encode("utf-8")
    if len(raw) <= MAX_SLUG_BYTES:
        return slug
    room = MAX_SLUG_BYTES - _HASH_CHARS - 1
    start = raw[:room].decode("utf-8", errors="ignore").rstrip("-/.")
    return f"{start}-{digest(slug)[:_HASH_CHARS]}"


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
