"""The `[content]` settings: where the posts are and how they read. The content layer is given
these (and the site's URL), never the whole Settings: it sits below them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import msgspec

from syndicate.clock import known_zone
from syndicate.sections import Section, check


class ContentSettings(Section, frozen=True, kw_only=True):
    root: Path = Path()
    layout: Literal["auto", "middleman", "jekyll", "hugo"] = "auto"
    posts: str | None = None  # directory of posts under root; the layout's default if unset
    authors: str | None = None  # authors registry under root; the layout's default if unset
    permalink: str | None = None  # e.g. "blog/{year}/{month}/{slug}.html"
    image_base: str | None = None  # where relative Markdown image paths live (Middleman: images/)
    timezone: str = "UTC"  # for dates written without one
    summary_markers: tuple[str, ...] = ("READMORE", "<!--more-->")
    tag_fields: tuple[str, ...] = ("tags",)  # frontmatter fields whose values are tags
    # Frontmatter fields whose values are categories (Jekyll's, Hugo's `categories` taxonomy).
    category_fields: tuple[str, ...] = ("categories", "category")
    # The blog's other taxonomies (Hugo's `series`): each field's values get feeds of their own.
    taxonomies: tuple[str, ...] = ()
    tag_aliases: dict[str, str] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        check(self, "timezone", known_zone)
