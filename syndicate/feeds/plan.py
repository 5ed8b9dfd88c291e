"""Which feeds exist and which entries each one lists: a pure function of the posts.

Every public post is in the site feed, in the feed of each of its tags, categories, authors
and terms of the blog's other taxonomies (each kind can be switched off). A feed lists its
newest entries, newest first; ties on the date are broken by id so the order never depends on
the filesystem.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial

import msgspec

from syndicate.config import FeedSettings, SiteSettings
from syndicate.content.tags import bounded
from syndicate.content.urls import absolute
from syndicate.feedkinds import KINDS, FeedKind, placeholders
from syndicate.feeds.archives import archived
from syndicate.model import Entry, FeedFormat, FeedOutput, FeedSpec, Post


class PlannedFeed(msgspec.Struct, frozen=True):
    spec: FeedSpec
    entries: tuple[Entry, ...]  # newest first, at most spec.limit
    name: str = ""  # the tag or author as shown


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.post.date, e.id), reverse=True)


SpecMaker = Callable[[FeedKind, str, str], FeedSpec]  # kind, key, name -> the feed


def plan(
    entries: Sequence[Entry],
    feeds_settings: FeedSettings,
    site: SiteSettings,
    keep: Iterable[tuple[FeedKind, str, str]] = (),
    make_spec: SpecMaker | None = None,
) -> list[PlannedFeed]:
    """All feeds for the given public entries (sorted newest first).

    `keep` names feeds (kind, key, name) that existed before: a tag or author with no public
    post left still gets its (now empty) feed, so subscribers see no error.
    """
    make_spec = make_spec or partial(feed_spec, feeds_settings, site)
    feeds: list[PlannedFeed] = []
    if feeds_settings.of(FeedKind.SITE).enabled:
        spec = make_spec(FeedKind.SITE, "", site.title)
        feeds += _documents(spec, entries, site.title, feeds_settings.archives, site.url)
    groups = _groups(entries, feeds_settings)
    for kind, key, name in keep:
        groups.setdefault((kind, key), ([], Counter({name: 1})))
    for (kind, key), (members, names) in sorted(
        groups.items(), key=lambda item: (item[0][0].value, item[0][1])
    ):
        if not feeds_settings.of(kind).enabled:
            continue
        name = _most_common(names)
        spec = make_spec(kind, key, name)
        feeds += _documents(spec, members, name, feeds_settings.archives, site.url)
    return feeds


Group = tuple[FeedKind, str]  # a feed: its kind and key ("" for the site's)


def groups_of(post: Post, feeds_settings: FeedSettings) -> dict[Group, set[str]]:
    """The feeds a public post is listed in, each with the names the post gives it (none for
    the site's)."""
    found: dict[Group, set[str]] = {}
    if feeds_settings.of(FeedKind.SITE).enabled:
        found[(FeedKind.SITE, "")] = set()
    for kind in KINDS:
        if kind.members is not None and feeds_settings.of(kind.kind).enabled:
            for key, name in kind.members(post):
                found.setdefault((kind.kind, key), set()).add(name)
    return found


def plan_some(
    entries: Sequence[Entry],
    feeds_settings: FeedSettings,
    site: SiteSettings,
    names: Mapping[Group, str | None],
    make_spec: SpecMaker,
) -> list[PlannedFeed]:
    """Only the feeds `names` lists, as `plan` would make them, from entries that hold at
    least each one's newest `limit` members. A feed's name is given (what the whole blog
    spells it: these entries may be only some of its posts), or None to count it from them.
    Archives are not planned here."""
    feeds: list[PlannedFeed] = []
    if (FeedKind.SITE, "") in names:
        spec = make_spec(FeedKind.SITE, "", site.title)
        feeds.append(PlannedFeed(spec, tuple(entries[: spec.limit]), site.title))
    groups = _groups(entries, feeds_settings)
    for (kind, key), given in sorted(
        names.items(), key=lambda item: (item[0][0].value, item[0][1])
    ):
        if kind is FeedKind.SITE or (kind, key) not in groups:
            continue
        members, counted = groups[(kind, key)]
        name = given if given is not None else _most_common(counted)
        spec = make_spec(kind, key, name)
        feeds.append(PlannedFeed(spec, tuple(members[: spec.limit]), name))
    return feeds


def _documents(
    spec: FeedSpec, members: Sequence[Entry], name: str, archives: str, site_url: str
) -> list[PlannedFeed]:
    """A feed's subscription document, and with `archives` its archive documents."""
    if not archives:
        return [PlannedFeed(spec, tuple(members[: spec.limit]), name)]
    subscription, kept = archived(spec, members, archives, site_url)
    return [
        PlannedFeed(subscription, tuple(members[: spec.limit]), name),
        *(PlannedFeed(archive, entries, name) for archive, entries in kept),
    ]


def _groups(
    entries: Sequence[Entry], feeds_settings: FeedSettings
) -> dict[tuple[FeedKind, str], tuple[list[Entry], Counter[str]]]:
    groups: dict[tuple[FeedKind, str], tuple[list[Entry], Counter[str]]] = defaultdict(
        lambda: ([], Counter())
    )
    wanted = [
        (kind.kind, kind.members)
        for kind in KINDS
        if kind.members is not None and feeds_settings.of(kind.kind).enabled
    ]
    for entry in entries:  # already newest first, so each group is too
        for kind, members in wanted:
            for key, name in members(entry.post):
                listed, names = groups[(kind, key)]
                if not listed or listed[-1] is not entry:  # a tag named twice is listed once
                    listed.append(entry)
                names[name] += 1
    return groups


def _most_common(names: Counter[str]) -> str:
    """The spelling most posts use; ties go to the one that sorts first, so it is stable."""
    return min(names.items(), key=lambda item: (-item[1], item[0]))[0]


def feed_spec(
    feeds: FeedSettings, site: SiteSettings, kind: FeedKind, key: str, name: str
) -> FeedSpec:
    """Title, paths and URLs of one feed, from the settings for its kind."""
    kind_settings = feeds.of(kind)
    taxonomy, _, slug = key.rpartition("/") if kind is FeedKind.TERM else ("", "", key)
    slug = bounded(slug)  # an author's key may come from the authors registry as written
    values = placeholders(name, slug, taxonomy, site.title)
    outputs = []
    for fmt_name in feeds.formats:
        template = kind_settings.path_for(fmt_name)
        if template:
            path = template.format_map(values).lstrip("/")
            outputs.append(FeedOutput(FeedFormat(fmt_name), path, absolute(site.url, path)))
    title_template = kind_settings.title or "{site}"
    page = kind_settings.page.format_map(values) if kind_settings.page else ""
    return FeedSpec(
        kind=kind,
        key=key,
        title=title_template.format_map(values),
        description=site.description or title_template.format_map(values),
        page_url=absolute(site.url, page),
        outputs=tuple(outputs),
        limit=kind_settings.limit or feeds.limit,
        max_bytes=kind_settings.max_bytes or feeds.max_bytes,
        full_content=(kind_settings.content or feeds.content) == "full",
    )


def latest_update(entries: Iterable[Entry]) -> datetime | None:
    return max((e.updated for e in entries), default=None)
