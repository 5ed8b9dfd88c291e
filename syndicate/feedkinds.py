"""The kinds of feed: one descriptor each, read by the settings, the plan, `check`, `init`, the
feed index page and the dashboard. Adding a kind is a FeedKind member, its descriptor in
KINDS and its tests; nothing else names it.

A kind says where its settings live (`[feeds.<settings_key>]`), their defaults (title and
paths, with `{slug}` for the feed's own part), how it is labelled, and which feeds a post
belongs to: `members` gives (key, name) pairs, the key unique within the kind and stable (it
makes the feed's path), the name as the post spells it. The site's kind has no members: it is
the one feed of every post.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:  # a Post is only passed through: the model sits above this module
    from syndicate.model import Post


class FeedKind(enum.StrEnum):  # str-based: hashing is then C-level, and feeds hash these a lot
    SITE = "site"
    TAG = "tag"
    AUTHOR = "author"
    CATEGORY = "category"
    TERM = "term"  # a term of another taxonomy; its key is "<taxonomy>/<slug>"


Members = Callable[["Post"], Iterable[tuple[str, str]]]


class Kind(msgspec.Struct, frozen=True):
    """One kind of feed, as every part of syndicate sees it."""

    kind: FeedKind
    settings_key: str  # its table in the config: [feeds.<settings_key>]
    label: str  # its section on the feed index page and the dashboard
    title: str  # the default title; {site}, {name} and the kind's own {<kind>} are known
    paths: str  # the default path of its Atom feed without ".xml": "tag/{slug}"
    members: Members | None = None  # None: every post (the site's feed)
    extra: dict[str, str] = msgspec.field(default_factory=dict)  # more default settings

    def defaults(self) -> dict[str, str]:
        """The settings a `[feeds.<key>]` table starts from."""
        base = {"title": self.title}
        if self.paths:
            base |= {"atom": f"{self.paths}.xml", "rss": f"{self.paths}.rss"}
            base["json"] = f"{self.paths}.json"
        return base | self.extra


def _tags(post: Post) -> Iterable[tuple[str, str]]:
    return ((tag.slug, tag.name) for tag in post.tags)


def _authors(post: Post) -> Iterable[tuple[str, str]]:
    return ((author.key, author.name) for author in post.authors)


def _categories(post: Post) -> Iterable[tuple[str, str]]:
    return ((category.slug, category.name) for category in post.categories)


def _terms(post: Post) -> Iterable[tuple[str, str]]:
    return ((f"{term.taxonomy}/{term.slug}", term.name) for term in post.terms)


# In the order the feed index page and the dashboard list them.
KINDS: tuple[Kind, ...] = (
    Kind(FeedKind.SITE, "site", "Site", "{site}", "feed"),
    Kind(FeedKind.TAG, "tags", "Tags", "{site}: {tag}", "tag/{slug}", _tags),
    Kind(
        FeedKind.CATEGORY,
        "categories",
        "Categories",
        "{site}: {category}",
        "category/{slug}",
        _categories,
    ),
    Kind(
        FeedKind.TERM,
        "taxonomies",
        "Other taxonomies",
        "{site}: {name} ({taxonomy})",
        "{taxonomy}/{slug}",
        _terms,
    ),
    Kind(
        FeedKind.AUTHOR,
        "authors",
        "Authors",
        "{site}: posts by {author}",
        "author/{slug}",
        _authors,
    ),
)
_BY_KIND = {kind.kind: kind for kind in KINDS}


def describe(kind: FeedKind) -> Kind:
    """The descriptor of `kind`."""
    return _BY_KIND[kind]


def placeholders(
    name: str = "", slug: str = "", taxonomy: str = "", site: str = ""
) -> dict[str, str]:
    """The values a feed's title and paths are written with: the feed's name under every
    kind's own placeholder (`{tag}`, `{author}`...) and as `{name}`."""
    values = {kind.kind.value: name for kind in KINDS if kind.members is not None}
    return values | {"name": name, "slug": slug, "taxonomy": taxonomy, "site": site}
