"""Counts in messages: "1 post", "2 posts"."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count` and the noun that agrees with it (`plural` when adding an s will not do)."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"
