"""Bringing the ledger up to date with the files on disk.

Given what the ledger knows and what a scan found, decide for each file whether it is new,
changed, renamed (the same post under another name), deleted or untouched, and give every new
post its permanent id. Only files whose size or modification time moved are read.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar, cast

import msgspec
from msgspec.structs import replace

from syndicate.content.files import SourceStamp
from syndicate.content.loader import LoadedPost
from syndicate.errors import ContentError
from syndicate.pipeline.remote_entries import is_remote
from syndicate.store.identity import Fingerprint, best_match, mint, title_key
from syndicate.store.ledger import Record


class ChangeKind(enum.Enum):
    NEW = "new"
    CHANGED = "changed"
    RENAMED = "renamed"
    DELETED = "deleted"


class Change(msgspec.Struct, frozen=True):
    kind: ChangeKind
    pk: int
    source: str  # for DELETED, the path the post had
    previous_source: str | None = None
    content_changed: bool = False


T = TypeVar("T")


class Taken(Generic[T]):
    """Values no new post may take: those held here, and those `stored` says the ledger holds
    (a quick build asks the ledger for the few values it tests instead of reading them all)."""

    __slots__ = ("_held", "_stored")

    def __init__(self, held: Iterable[T], stored: Callable[[T], bool] | None = None) -> None:
        self._held = set(held)
        self._stored = stored

    def __contains__(self, value: object) -> bool:
        if value in self._held:
            return True
        return self._stored is not None and self._stored(cast(T, value))

    def add(self, value: T) -> None:
        self._held.add(value)


class LedgerIndex:
    """The ledger's posts in memory, with the lookups a sync needs, kept across builds.

    A long-running builder keeps one, so a build that knows which files changed does work in
    proportion to them rather than to the whole blog. A quick build's holds only some posts:
    `stored_ids` and `stored_updated` then answer for the rest.
    """

    def __init__(
        self,
        records: Mapping[int, Record],
        *,
        stored_ids: Callable[[str], bool] | None = None,
        stored_updated: Callable[[datetime], bool] | None = None,
    ) -> None:
        self.records = dict(records)
        self.by_source = {r.source: r.pk for r in records.values() if r.source is not None}
        self.orphans = {r.pk for r in records.values() if r.source is None}
        self.taken_ids = Taken((r.entry_id for r in records.values()), stored_ids)
        self.taken_updated = Taken((r.updated for r in records.values()), stored_updated)
        self.next_pk = max(records, default=0) + 1

    def at(self, source: str) -> Record | None:
        pk = self.by_source.get(source)
        return self.records[pk] if pk is not None else None

    def put(self, record: Record) -> None:
        old = self.records.get(record.pk)
        if (
            old is not None
            and old.source is not None
            and self.by_source.get(old.source) == record.pk
        ):
            del self.by_source[old.source]
        self.records[record.pk] = record
        if record.source is None:
            self.orphans.add(record.pk)
        else:
            self.orphans.discard(record.pk)
            self.by_source[record.source] = record.pk
        self.taken_ids.add(record.entry_id)
        self.taken_updated.add(record.updated)
        self.next_pk = max(self.next_pk, record.pk + 1)

    def unique_updated(self, moment: datetime) -> datetime:
        """`moment` in UTC to the second, moved on until no other post was updated then.

        Feed readers (and the W3C validator) want no two entries updated at the same instant.
        """
        moment = moment.astimezone(UTC).replace(microsecond=0)
        while moment in self.taken_updated:
            moment += timedelta(seconds=1)
        self.taken_updated.add(moment)
        return moment


class SyncResult(msgspec.Struct):
    index: LedgerIndex  # the whole ledger after the sync
    dirty: list[Record] = msgspec.field(default_factory=list)  # records to write back
    loaded: dict[int, LoadedPost] = msgspec.field(default_factory=dict)  # posts read in this sync
    changes: list[Change] = msgspec.field(default_factory=list)
    errors: list[ContentError] = msgspec.field(default_factory=list)
    edited: dict[int, Record] = msgspec.field(
        default_factory=dict
    )  # pk → record before a content edit
    read: int = 0
    before: dict[int, Record | None] = msgspec.field(
        default_factory=dict
    )  # pk → as at the last build

    def store(self, record: Record) -> None:
        self.before.setdefault(record.pk, self.index.records.get(record.pk))
        self.index.put(record)
        self.dirty.append(record)


Loader = Callable[[SourceStamp], LoadedPost]


def sync(
    index: LedgerIndex,
    stamps: Sequence[SourceStamp],
    load: Loader,
    *,
    now: datetime,
    id_template: str,
    reload_all: bool = False,
    gone: Iterable[str] | None = None,
) -> SyncResult:
    """Bring `index` up to date with `stamps`; `load` reads and parses one file.

    With `gone` None, `stamps` is a whole scan and every known file missing from it has gone.
    Otherwise `stamps` are only the files known to have changed, and `gone` those removed.
    Remote entries (see pipeline/remote_entries.py) are never gone by being absent from a scan.
    """
    state = _Sync(index, now, id_template)
    if gone is None:
        scanned = {s.rel for s in stamps}
        gone = [s for s in index.by_source if s not in scanned and not is_remote(s)]
    vanished = sorted(
        (r for r in map(index.at, gone) if r is not None), key=lambda r: r.source or ""
    )
    for stamp in stamps:
        known = index.at(stamp.rel)
        if (
            not reload_all
            and known
            and (known.mtime_ns, known.size) == (stamp.mtime_ns, stamp.size)
        ):
            continue
        state.result.read += 1
        try:
            loaded = load(stamp)
        except ContentError as error:
            state.result.errors.append(error)
            continue
        state.accept(stamp, loaded, known)
    state.settle_moves(vanished)
    return state.result


class _Sync:
    def __init__(self, index: LedgerIndex, now: datetime, id_template: str) -> None:
        self.result = SyncResult(index)
        self.index = index
        self.now = now
        self.template = id_template
        self.unmatched: list[tuple[SourceStamp, LoadedPost]] = []

    def accept(self, stamp: SourceStamp, loaded: LoadedPost, known: Record | None) -> None:
        if known is None:
            self.unmatched.append((stamp, loaded))
            return
        self._update(known, stamp, loaded, previous_source=None)

    def settle_moves(self, vanished: list[Record]) -> None:
        """Files that appeared are matched to posts whose files vanished (or went earlier)."""
        pool = [(r.fingerprint, r.pk) for r in vanished]
        if self.unmatched:
            pool += [(self.index.records[pk].fingerprint, pk) for pk in sorted(self.index.orphans)]
        for stamp, loaded in self.unmatched:
            # A remote entry is known by its key alone: a look-alike among deleted local posts
            # is another post, whose identity (and announcement) it must not take over.
            # With nothing gone (a first build), no fingerprint need be taken.
            match = (
                None if not pool or is_remote(stamp.rel) else best_match(_fingerprint(loaded), pool)
            )
            if match is None:
                self._mint(stamp, loaded)
                continue
            pool = [(fp, pk) for fp, pk in pool if pk != match]
            old = self.index.records[match]
            self._update(old, stamp, loaded, previous_source=old.source or "")
        for record in vanished:
            if any(pk == record.pk for _, pk in pool):
                self.result.store(replace(record, source=None))
                self.result.changes.append(
                    Change(ChangeKind.DELETED, record.pk, record.source or "")
                )

    def _update(
        self, old: Record, stamp: SourceStamp, loaded: LoadedPost, *, previous_source: str | None
    ) -> None:
        post = loaded.post
        content_changed = old.content_hash != loaded.content_hash
        updated = old.updated
        if post.declared_updated and post.declared_updated != old.post.declared_updated:
            updated = self.index.unique_updated(max(post.declared_updated, post.date))
        new = replace(old, updated=updated, **_file_fields(stamp, loaded))
        if post.declared_id and post.declared_id != old.declared_id:
            new = replace(new, entry_id=self._mint_id(loaded, stamp.rel))
        self.result.store(new)
        self.result.loaded[new.pk] = loaded
        if content_changed and updated == old.updated:
            self.result.edited[new.pk] = old
        if previous_source is not None:
            self.result.changes.append(
                Change(
                    ChangeKind.RENAMED, new.pk, stamp.rel, previous_source or None, content_changed
                )
            )
        elif old.source_hash != loaded.source_hash:
            self.result.changes.append(
                Change(ChangeKind.CHANGED, new.pk, stamp.rel, None, content_changed)
            )

    def _mint(self, stamp: SourceStamp, loaded: LoadedPost) -> None:
        post = loaded.post
        record = Record(
            pk=self.index.next_pk,
            entry_id=self._mint_id(loaded, stamp.rel),
            first_seen=self.now,
            updated=self.index.unique_updated(max(post.declared_updated or post.date, post.date)),
            **_file_fields(stamp, loaded),
        )
        self.result.store(record)
        self.result.loaded[record.pk] = loaded
        self.result.changes.append(Change(ChangeKind.NEW, record.pk, stamp.rel))

    def _mint_id(self, loaded: LoadedPost, rel: str) -> str:
        post = loaded.post
        entry_id = mint(
            self.template,
            url=post.permalink,
            day=post.date.date(),
            slug=post.slug,
            declared=post.declared_id,
            taken=self.index.taken_ids,
            salt=rel,
        )
        self.index.taken_ids.add(entry_id)
        return entry_id


def _file_fields(stamp: SourceStamp, loaded: LoadedPost) -> dict[str, Any]:
    """Everything a Record takes from the file it was read from."""
    post = loaded.post
    return {
        "source": stamp.rel,
        "declared_id": post.declared_id,
        "content_hash": loaded.content_hash,
        "title_key": title_key(post.title),
        "source_hash": loaded.source_hash,
        "mtime_ns": stamp.mtime_ns,
        "size": stamp.size,
        "body_format": loaded.body_format,
        "post": post,
        "post_json": loaded.post_json,
    }


def _fingerprint(loaded: LoadedPost) -> Fingerprint:
    post = loaded.post
    return Fingerprint(
        post.declared_id, loaded.content_hash, title_key(post.title), post.date.date()
    )
