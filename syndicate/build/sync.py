"""Bringing the ledger up to date with the files on disk.

Given what the ledger knows and what a scan found, decide for each file whether it is new,
changed, renamed (the same post under another name), deleted or untouched, and give every new
post its permanent id. Only files whose size or modification time moved are read.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from syndicate.content.files import SourceStamp
from syndicate.content.loader import LoadedPost
from syndicate.errors import ContentError
from syndicate.store.identity import Fingerprint, best_match, mint, title_key
from syndicate.store.ledger import Record


class ChangeKind(enum.Enum):
    NEW = "new"
    CHANGED = "changed"
    RENAMED = "renamed"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    pk: int
    source: str  # for DELETED, the path the post had
    previous_source: str | None = None
    content_changed: bool = False


@dataclass(slots=True)
class SyncResult:
    records: dict[int, Record]  # the whole ledger after the sync
    dirty: list[Record] = field(default_factory=list)  # records to write back
    loaded: dict[int, LoadedPost] = field(default_factory=dict)  # posts read in this sync
    changes: list[Change] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)
    edited: dict[int, Record] = field(default_factory=dict)  # pk → record before a content edit
    read: int = 0
    taken_updated: set[datetime] = field(default_factory=set)  # every `updated` in the ledger

    def unique_updated(self, moment: datetime) -> datetime:
        """`moment` in UTC to the second, moved on until no other post was updated then.

        Feed readers (and the W3C validator) want no two entries updated at the same instant.
        """
        moment = moment.astimezone(UTC).replace(microsecond=0)
        while moment in self.taken_updated:
            moment += timedelta(seconds=1)
        self.taken_updated.add(moment)
        return moment


Loader = Callable[[SourceStamp], LoadedPost]


def sync(
    records: Mapping[int, Record],
    stamps: Sequence[SourceStamp],
    load: Loader,
    *,
    now: datetime,
    id_template: str,
    reload_all: bool = False,
) -> SyncResult:
    """Reconcile `records` with `stamps`; `load` reads and parses one file."""
    state = _Sync(dict(records), now, id_template)
    by_source = {r.source: r for r in records.values() if r.source is not None}
    scanned = {s.rel for s in stamps}
    for stamp in stamps:
        known = by_source.get(stamp.rel)
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
    vanished = sorted(
        (r for s, r in by_source.items() if s not in scanned), key=lambda r: r.source or ""
    )
    state.settle_moves(vanished)
    return state.result


class _Sync:
    def __init__(self, records: dict[int, Record], now: datetime, id_template: str) -> None:
        self.result = SyncResult(records=records)
        self.now = now
        self.template = id_template
        self.taken_ids = {r.entry_id for r in records.values()}
        self.result.taken_updated = {r.updated for r in records.values()}
        self.next_pk = max(records, default=0) + 1
        self.unmatched: list[tuple[SourceStamp, LoadedPost]] = []

    def accept(self, stamp: SourceStamp, loaded: LoadedPost, known: Record | None) -> None:
        if known is None:
            self.unmatched.append((stamp, loaded))
            return
        self._update(known, stamp, loaded, previous_source=None)

    def settle_moves(self, vanished: list[Record]) -> None:
        """Files that appeared are matched to posts whose files vanished (or went earlier)."""
        pool = [(r.fingerprint, r.pk) for r in vanished]
        pool += [(r.fingerprint, r.pk) for r in self.result.records.values() if r.source is None]
        for stamp, loaded in self.unmatched:
            match = best_match(_fingerprint(loaded), pool)
            if match is None:
                self._mint(stamp, loaded)
                continue
            pool = [(fp, pk) for fp, pk in pool if pk != match]
            old = self.result.records[match]
            self._update(old, stamp, loaded, previous_source=old.source or "")
        for record in vanished:
            if any(pk == record.pk for _, pk in pool):
                gone = replace(record, source=None)
                self._store(gone)
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
            updated = self.result.unique_updated(max(post.declared_updated, post.date))
        new = replace(
            old,
            source=stamp.rel,
            declared_id=post.declared_id,
            content_hash=loaded.content_hash,
            title_key=title_key(post.title),
            source_hash=loaded.source_hash,
            mtime_ns=stamp.mtime_ns,
            size=stamp.size,
            body_format=loaded.body_format,
            post=post,
            updated=updated,
            post_json=loaded.post_json,
        )
        if post.declared_id and post.declared_id != old.declared_id:
            new = replace(new, entry_id=self._mint_id(loaded, stamp.rel))
        self._store(new)
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
            pk=self.next_pk,
            entry_id=self._mint_id(loaded, stamp.rel),
            source=stamp.rel,
            declared_id=post.declared_id,
            content_hash=loaded.content_hash,
            title_key=title_key(post.title),
            source_hash=loaded.source_hash,
            mtime_ns=stamp.mtime_ns,
            size=stamp.size,
            body_format=loaded.body_format,
            post=post,
            first_seen=self.now,
            updated=self.result.unique_updated(max(post.declared_updated or post.date, post.date)),
            post_json=loaded.post_json,
        )
        self.next_pk += 1
        self._store(record)
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
            taken=self.taken_ids,
            salt=rel,
        )
        self.taken_ids.add(entry_id)
        return entry_id

    def _store(self, record: Record) -> None:
        self.result.records[record.pk] = record
        self.result.dirty.append(record)


def _fingerprint(loaded: LoadedPost) -> Fingerprint:
    post = loaded.post
    return Fingerprint(
        post.declared_id, loaded.content_hash, title_key(post.title), post.date.date()
    )


def public_records(records: Iterable[Record], now: datetime) -> list[Record]:
    return [r for r in records if r.source is not None and r.post.is_public(now)]
