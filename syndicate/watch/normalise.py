"""Feed entries → LoadedPosts in the same model as local files, keyed so that an entry keeps
its key (`Post.source`) for as long as the feed keeps its id.

Pure: a feed's entries, the instant and the dates of entries seen before in, posts out, so the
same bytes always give the same posts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec

from syndicate.config import SourceSettings
from syndicate.content.authors import AuthorRegistry
from syndicate.content.loader import LoadedPost
from syndicate.content.tags import TagResolver, slugify
from syndicate.content.text import digest, plain_title
from syndicate.model import Author, Post
from syndicate.pipeline.remote_entries import SOURCE_PREFIX, is_remote, source_prefix
from syndicate.store.codec import dump_post
from syndicate.watch import entry as fields

MAX_ENTRIES = 200  # entries taken per poll: feeds of a blog's whole archive exist


class Normalised(msgspec.Struct, frozen=True):
    posts: tuple[LoadedPost, ...]
    warnings: tuple[str, ...] = ()  # about the feed as a whole (entries skipped or left out)


# The key format is the build's (pipeline/remote_entries.py): it finds entries by prefix.
__all__ = [
    "MAX_ENTRIES",
    "SOURCE_PREFIX",
    "Normalised",
    "Normaliser",
    "is_remote",
    "normalise",
    "source_key",
    "source_prefix",
]


def source_key(name: str, identity: str) -> str:
    """`Post.source` of an entry: stable for as long as the source's name and the entry's id
    are. 64 bits of hash: collisions within one source's entries are not a concern."""
    return source_prefix(name) + digest(identity)[:16]


class _Candidate(msgspec.Struct, frozen=True):
    """An entry with what is cheap to know, before the work of making it a post."""

    entry: Mapping[str, Any]
    identity: str
    key: str
    published: datetime | None
    updated: datetime | None
    order: int  # position in the feed


class Normaliser:
    """Turns feed entries into LoadedPosts. Holds what every entry needs: the blog's tag
    aliases and authors registry (so a planet member who also writes here is one author)."""

    def __init__(
        self,
        tags: TagResolver | None = None,
        authors: AuthorRegistry | None = None,
        limit: int = MAX_ENTRIES,
    ) -> None:
        self._tags = tags or TagResolver()
        self._authors = authors or AuthorRegistry()
        self._limit = limit

    def normalise(
        self,
        source: SourceSettings,
        feed: Mapping[str, Any],
        *,
        base_url: str,
        now: datetime,
        known_dates: Mapping[str, datetime] | None = None,
    ) -> Normalised:
        """The posts in `feed` (a feedparser result, or the same shape): at most `limit`, the
        newest, in the feed's order; of entries sharing an id, the first.

        `base_url` is the URL the feed was fetched from (relative links resolve against it).
        `known_dates` maps the `Post.source` of entries seen before to the date they were
        given then: an entry without a publication date keeps the date it was first seen.
        """
        known = known_dates or {}
        warnings: list[str] = []
        candidates = _candidates(source, feed.get("entries") or [], base_url, warnings)
        if len(candidates) > self._limit:
            warnings.append(
                f"the feed has {len(candidates)} entries; only the {self._limit} newest are taken"
            )
            candidates = _newest(candidates, self._limit, known, now)
        head = feed.get("feed") or {}
        posts: list[LoadedPost] = []
        for candidate in candidates:
            try:
                posts.append(self._loaded(source, head, candidate, base_url, now, known))
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
                # One strange entry must not cost the source its other entries.
                warnings.append(f"entry {candidate.identity!r} skipped: {exc}")
        return Normalised(tuple(posts), tuple(warnings))

    def _loaded(
        self,
        source: SourceSettings,
        head: Mapping[str, Any],
        candidate: _Candidate,
        base_url: str,
        now: datetime,
        known: Mapping[str, datetime],
    ) -> LoadedPost:
        entry = candidate.entry
        warnings: list[str] = []
        date, declared_updated = _post_dates(candidate, known, now, warnings)
        site = fields.http_url(base_url, fields.text(head.get("link"))) or base_url
        link = fields.permalink(entry, base_url)
        body, summary = fields.body_and_summary(entry)
        body = fields.with_enclosures(body, entry, base_url)
        title = plain_title(fields.text(entry.get("title"))) or fields.stand_in_title(
            body, summary, warnings
        )
        post = Post(
            source=candidate.key,
            slug=fields.slug(link, title, candidate.key),
            title=title,
            date=date,
            permalink=link or _missing_link(site, warnings),
            authors=self._byline(entry, source, head),
            tags=self._tags.resolve([*fields.tag_names(entry), *source.tags]),
            declared_id=fields.declared_id(entry, link),
            declared_updated=declared_updated,
            summary=summary,
            image=fields.image(entry, base_url),
            language=fields.language(entry, head),
        )
        if date > now:
            warnings.append(f"dated in the future ({date.isoformat()}): it will show from then")
        post_json = dump_post(post)
        return LoadedPost(
            post=post,
            body=body,
            body_format="html",
            content_hash=digest(post.title + "\n" + body),  # as the loader does for files
            source_hash=digest(post_json + "\n" + body),  # everything the post is made of
            warnings=tuple(warnings),
            post_json=post_json,
        )

    def _byline(
        self, entry: Mapping[str, Any], source: SourceSettings, head: Mapping[str, Any]
    ) -> tuple[Author, ...]:
        """The entry's authors, else the source's configured author, else the feed's."""
        found = self._people(entry)
        if found:
            return found
        if source.author:
            return self._authors.resolve(source.author)
        return self._people(head)

    def _people(self, node: Mapping[str, Any]) -> tuple[Author, ...]:
        details = node.get("authors") or []
        if not details and node.get("author"):
            details = [{"name": node.get("author")}]
        found: list[Author] = []
        for detail in details:
            author = self._person(detail)
            if author is not None and all(a.key != author.key for a in found):
                found.append(author)
        return tuple(found)

    def _person(self, detail: object) -> Author | None:
        if not isinstance(detail, Mapping):
            return None
        name, email = fields.name_and_email(fields.text(detail.get("name")))
        email = email or fields.text(detail.get("email")) or None
        if not name:
            return None  # an address alone (noreply@blogger.com) names nobody
        if self._authors.known(name):
            return self._authors.resolve(name)[0]
        uri = fields.text(detail.get("href")) or None
        if uri is not None and not uri.startswith(("http://", "https://")):
            uri = None
        return Author(key=slugify(name) or digest(name)[:8], name=name, uri=uri, email=email)


def normalise(
    source: SourceSettings,
    feed: Mapping[str, Any],
    *,
    base_url: str,
    now: datetime,
    known_dates: Mapping[str, datetime] | None = None,
) -> Normalised:
    """`Normaliser().normalise(...)`: no tag aliases, no authors registry."""
    return Normaliser().normalise(source, feed, base_url=base_url, now=now, known_dates=known_dates)


def _candidates(
    source: SourceSettings, entries: Iterable[object], base_url: str, warnings: list[str]
) -> list[_Candidate]:
    seen: set[str] = set()
    out: list[_Candidate] = []
    nameless = 0
    for order, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            continue
        identity = fields.identity(entry, base_url)
        if identity is None:
            nameless += 1
            continue
        if identity in seen:  # the same id twice in one feed: the first is the one shown
            continue
        seen.add(identity)
        published, updated = fields.dates(entry)
        key = source_key(source.name, identity)
        out.append(_Candidate(entry, identity, key, published, updated, order))
    if nameless:
        warnings.append(f"{nameless} entries with no id, link, title or text were skipped")
    return out


def _post_dates(
    candidate: _Candidate, known: Mapping[str, datetime], now: datetime, warnings: list[str]
) -> tuple[datetime, datetime | None]:
    """The post's date and, when the feed says it changed since, its `declared_updated`.

    Without `published`, an entry's `updated` moves with every edit; so once seen, the entry
    keeps the date it had then, and later values of `updated` are updates. Without any date,
    the entry is dated when first seen (each place down the feed a second earlier, so the
    feed's order is kept), as Planet Venus and feed readers do.
    """
    published, updated = candidate.published, candidate.updated
    seen = known.get(candidate.key)
    if published is not None:
        date = published
    elif updated is not None:
        date = min(seen, updated) if seen is not None else updated
    elif seen is not None:
        date = seen
    else:
        date = now - timedelta(seconds=candidate.order)
        warnings.append("no date in the feed: dated when first seen")
    # Whole seconds, as `updated` is stored: a fraction would date the post after its update.
    date = date.replace(microsecond=0)
    return date, updated if updated is not None and updated > date else None


def _newest(
    candidates: list[_Candidate], limit: int, known: Mapping[str, datetime], now: datetime
) -> list[_Candidate]:
    """The `limit` newest entries, in feed order. Undated ones count as seen now (or when
    first seen): new undated entries are what a reader would want."""

    def when(candidate: _Candidate) -> datetime:
        date = candidate.published or candidate.updated or known.get(candidate.key)
        return date or now - timedelta(seconds=candidate.order)

    newest = sorted(candidates, key=lambda c: (when(c), -c.order), reverse=True)[:limit]
    return sorted(newest, key=lambda c: c.order)


def _missing_link(site: str, warnings: list[str]) -> str:
    warnings.append("no link to the entry's page: its blog's address stands in")
    return site
