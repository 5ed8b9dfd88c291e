"""Which feed files exist, as the web app sees them: path, format, public URL and title.

The daemon knows this after every build; `syndicate serve` reads it from the ledger. Either
way the app asks a `FeedIndex` for the current list on each request, so a build that adds a
tag shows up in the index page without restarting anything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Protocol

import msgspec
from msgspec.structs import replace

from syndicate.config import Settings
from syndicate.content.urls import absolute
from syndicate.feedkinds import FeedKind
from syndicate.feeds.archives import subscription_path
from syndicate.feeds.plan import feed_spec
from syndicate.model import FeedFormat, FeedSpec
from syndicate.store.ledger import FeedRecord


class FeedFile(msgspec.Struct, frozen=True):
    """One output file of a feed."""

    path: str  # under the output directory, forward slashes, no leading slash
    format: FeedFormat
    url: str  # the public URL subscribers use (the feed's rel="self")
    title: str  # the feed's title, as the feed itself carries it
    kind: FeedKind = FeedKind.SITE
    key: str = ""  # "" for the site feed, the tag slug, or the author key
    name: str = ""  # the tag or author as shown; the index page lists feeds by it
    archive: bool = False  # an RFC 5005 archive: served, but not listed or announced to hubs


class FeedIndex(Protocol):
    """Anything that returns the feed files as they are now.

    Return the same sequence object while nothing changes: the app keeps its lookup table and
    the rendered index page until the object changes.
    """

    def __call__(self) -> Sequence[FeedFile]: ...


class FeedList:
    """A FeedIndex the daemon replaces after each build (from any thread)."""

    def __init__(self, files: Iterable[FeedFile] = ()) -> None:
        self._files = tuple(files)
        self._lock = threading.Lock()

    def replace(self, files: Iterable[FeedFile]) -> None:
        new = tuple(files)
        with self._lock:
            if new != self._files:  # keep the old object, and the app's caches, when equal
                self._files = new

    def __call__(self) -> tuple[FeedFile, ...]:
        return self._files


def files_of(spec: FeedSpec, name: str = "") -> list[FeedFile]:
    """The files of one planned feed."""
    return [
        FeedFile(output.path, output.format, output.url, spec.title, spec.kind, spec.key, name)
        for output in spec.outputs
    ]


def files_from_ledger(settings: Settings, records: Iterable[FeedRecord]) -> list[FeedFile]:
    """The feed files the ledger knows, described with the current settings.

    A record whose path the settings no longer produce (a path template changed since) is
    left out: its file is stale, whatever is still on disk.
    """
    files = []
    for record in records:
        try:
            kind = FeedKind(record.kind)
        except ValueError:
            continue
        spec = feed_spec(settings.feeds, settings.site, kind, record.key, record.name)
        made = files_of(spec, record.name)
        files += [f for f in made if f.path == record.path]
        if settings.feeds.archives and (of := subscription_path(record.path)):
            files += [_archive(f, record.path, settings.site.url) for f in made if f.path == of]
    return files


def _archive(subscription: FeedFile, path: str, site_url: str) -> FeedFile:
    """An archive of `subscription` (its path made by feeds/archives.py)."""
    return replace(subscription, path=path, url=absolute(site_url, path), archive=True)


class FeedCatalog(tuple[FeedFile, ...]):
    """A fixed list of feed files that is also a FeedIndex (calling it returns itself).

    So it can be passed to `create_app` as is, or returned by a FeedIndex the caller writes.
    """

    __slots__ = ()

    def __call__(self) -> FeedCatalog:
        return self


_last: tuple[Settings, tuple[FeedRecord, ...], FeedCatalog] | None = None


def feed_index_from_ledger(settings: Settings, records: Iterable[FeedRecord]) -> FeedCatalog:
    """The feed files the ledger's records describe, for `syndicate serve` or the daemon.

    Asked again with the same settings object and equal records, it returns the same object,
    so a FeedIndex that calls it on every request keeps the app's caches warm.
    """
    global _last  # noqa: PLW0603 - a one-entry memo; a race only computes twice
    records = tuple(records)
    last = _last
    if last is not None and last[0] is settings and last[1] == records:
        return last[2]
    catalog = FeedCatalog(files_from_ledger(settings, records))
    _last = (settings, records, catalog)
    return catalog


class Snapshot(msgspec.Struct, frozen=True):
    """The feed files at one moment, and the same by path."""

    files: Sequence[FeedFile]
    by_path: dict[str, FeedFile]


class IndexView:
    """Reads a FeedIndex per request; rebuilds the by-path table only when its answer changes."""

    def __init__(self, index: FeedIndex) -> None:
        self._index = index
        self._snapshot = Snapshot((), {})

    def now(self) -> Snapshot:
        files = self._index()
        if files is not self._snapshot.files:
            self._snapshot = Snapshot(files, {f.path: f for f in files})
        return self._snapshot
