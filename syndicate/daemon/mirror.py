"""Copying the served feeds to an S3-compatible bucket for a CDN (`[mirror]`), from one
background thread (a Worker, like the hub pings).

Decisions:
- **What is copied** is what the daemon serves: every feed file the feed list names (each
  format, archives included) at the same path under `mirror.prefix`, and `/feeds.opml`. Each
  object carries the Content-Type the web app answers with, `mirror.cache_control`, and the
  daemon's strong ETag in its metadata (`x-amz-meta-etag`). The index page is not copied.
- **Only what changed.** The ledger's feed records hold each file's digest; the worker keeps
  the digests the bucket accepted (*confirmed*) in the ledger's `state` table, under a key
  naming the endpoint, bucket and prefix. A round uploads what differs and deletes what is no
  longer served, then saves *confirmed*: nothing is uploaded twice across restarts, and a
  crash between an upload and the save only means one upload made again. The digest
  recorded is that of the bytes actually sent, read at that moment.
- **What the bucket lost** is found at start (and after a takeover): the first round lists
  the keys under the prefix once and forgets the confirmed files that are missing (deleted by
  hand, a bucket made anew), so they are uploaded again. Without permission to list
  (s3:ListBucket), the ledger's record stands (logged).
- **Deleting** touches only keys the mirror confirmed itself, never anything else under the
  prefix: the bucket may hold the rest of the site. A served file stops being served when
  the settings stop producing it (a format dropped, a path template changed); a tag with no
  post left keeps its (empty) feed, as the daemon does.
- **Failures** are retried: a round that could not finish is tried again after the backoff
  (`BACKOFF`, doubling to an hour, with jitter), and every build wakes the worker, so when the
  bucket is back the mirror catches up with the output as it is then, skipping the versions
  in between. Each failure is logged (redacted like every line) and counted in /metrics
  (`syndicate_mirror_operations{outcome="failed"}`, `syndicate_errors{where="mirror"}`);
  `syndicate_mirror_pending` says how many files are behind. After three failures in a row a
  round stops (the bucket is likely down), and files that failed go last in the next round.
- **On a cluster** only the owner mirrors (it alone builds): a round on a node that no longer
  owns the blog does nothing, and its save of *confirmed* is fenced like every ledger write.
  Bytes come from the ledger's feed documents there (the owner's disk may lag after a
  takeover), from the output directory on a single node.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import msgspec

from syndicate.backoff import Backoff
from syndicate.clock import Clock
from syndicate.config import MirrorSettings, Settings
from syndicate.daemon.mirror_plan import (
    Changes,
    Wanted,
    changes,
    decode,
    encode,
    object_key,
    state_key,
    wanted_files,
)
from syndicate.daemon.s3_bucket import Bucket, open_bucket
from syndicate.daemon.worker import BACK_OFF, Next, Worker
from syndicate.errors import OutputError, StaleOwnerError
from syndicate.feeds.output import digest
from syndicate.logs import fields
from syndicate.metrics import Metrics
from syndicate.store.ledger import FeedRecord, Ledger
from syndicate.web.catalog import FeedFile
from syndicate.web.page import render_opml

log = logging.getLogger(__name__)

BACKOFF = Backoff(30.0, 3600.0, 0.75, 1.25)  # seconds before a round that failed runs again
_GIVE_UP = 3  # failures in a row after which a round stops: the bucket is likely down
_SAVE_EVERY = 500  # confirmations between saves, so a killed cold start keeps its progress


class Served(msgspec.Struct, frozen=True):
    """What the daemon serves now: its feed files, their ledger records, their bytes (by
    path; None for a file gone meanwhile) and the OPML list of them."""

    files: Callable[[], Sequence[FeedFile]]
    records: Callable[[], Mapping[str, FeedRecord]]
    read: Callable[[str], bytes | None]
    opml: Callable[[Sequence[FeedFile]], bytes]


class Mirror:
    """Brings the bucket up to date whenever woken (after builds, once at start), and again
    with backoff while a round leaves files behind."""

    def __init__(
        self,
        settings: MirrorSettings,
        bucket: Bucket,
        ledger: Ledger,
        served: Served,
        *,
        clock: Clock,
        metrics: Metrics,
        owns: Callable[[], bool] = lambda: True,
        backoff: Backoff = BACKOFF,
    ) -> None:
        self._settings = settings
        self._bucket = bucket
        self._ledger = ledger
        self._served = served
        self._clock = clock
        self._metrics = metrics
        self._owns = owns
        self._confirmed: dict[str, str] | None = None  # read from the ledger when needed
        self._failed: set[str] = set()
        self._opml: tuple[Sequence[FeedFile], bytes] | None = None
        self.stopping = threading.Event()
        self.worker = Worker(
            "mirror",
            self._step,
            clock=clock,
            backoff=backoff,
            stopping=self.stopping,
            on_error=lambda: metrics.errors.labels(where="mirror").inc(),
        )

    def start(self) -> None:
        self.worker.start()  # catch up with what an earlier run left behind

    def wake(self) -> None:
        self.worker.wake()

    def stop(self) -> None:
        self.worker.stop(timeout=60)

    def _step(self) -> Next | None:
        return None if self.round() else BACK_OFF

    def round(self) -> bool:
        """Upload what changed and delete what went; True when the bucket holds what is
        served (or this node does not own the blog)."""
        if not self._owns():
            self._confirmed = None  # the owner writes it meanwhile: read it again later
            return True
        try:
            confirmed = self._current()
        except OutputError as error:
            log.warning("mirror failed", extra=fields(error=str(error)))
            return self._settled(left=1)  # how many is not known before the listing
        todo = changes(self._wanted(), confirmed, self._failed)
        if not todo:
            return self._settled(left=0)
        self._metrics.mirror_pending.set(len(todo))
        try:
            done = self._apply(todo, confirmed)
        except StaleOwnerError:
            self._confirmed = None  # another node took over: its mirror carries on
            return True
        log.info(
            "mirrored",
            extra=fields(bucket=self._settings.s3_bucket, done=done, left=len(todo) - done),
        )
        return self._settled(left=len(todo) - done)

    def _settled(self, *, left: int) -> bool:
        """Record how the round ended; True when nothing is left."""
        self._metrics.mirror_pending.set(left)
        if left:
            self._metrics.errors.labels(where="mirror").inc()
            return False
        self._metrics.mirror_synced.set(self._clock.now().timestamp())
        return True

    def _current(self) -> dict[str, str]:
        """What the bucket holds: the ledger's record, read at start and after a takeover,
        less any key no longer in the bucket (deleted by hand, a bucket made anew)."""
        if self._confirmed is None:
            stored = decode(self._ledger.state().get(state_key(self._settings)))
            self._confirmed = self._still_there(stored)
        return self._confirmed

    def _still_there(self, stored: dict[str, str]) -> dict[str, str]:
        """`stored` less what the bucket no longer holds. A failure to list fails the round
        (retried, and listed again); a key not allowed to list leaves `stored` as it is."""
        if not stored:
            return stored
        try:
            keys = self._bucket.keys(self._settings.prefix)
        except OutputError:
            self._metrics.mirror_operations.labels(operation="list", outcome="failed").inc()
            raise
        if keys is None:
            log.warning("mirror may not list its bucket: trusting the ledger's record")
            return stored
        self._metrics.mirror_operations.labels(operation="list", outcome="ok").inc()
        return {p: d for p, d in stored.items() if object_key(self._settings, p) in keys}

    def _wanted(self) -> dict[str, Wanted]:
        files = self._served.files()
        if self._opml is None or self._opml[0] is not files:  # the same list: the same OPML
            self._opml = (files, self._served.opml(files))
        return wanted_files(files, self._served.records(), self._opml[1])

    def _apply(self, todo: Changes, confirmed: dict[str, str]) -> int:
        """Upload, then delete, until done or `_GIVE_UP` failures in a row; saves what the
        bucket accepted. Returns how many changes were made."""
        done = streak = unsaved = 0
        steps = [(w.path, w) for w in todo.uploads] + [(p, None) for p in todo.deletions]
        for path, wanted in steps:
            if self.stopping.is_set() or not self._owns() or streak >= _GIVE_UP:
                break
            ok = self._upload(wanted, confirmed) if wanted else self._delete(path, confirmed)
            if ok is None:
                continue  # not the bucket's fault: left for the next round
            done, streak, unsaved = done + ok, 0 if ok else streak + 1, unsaved + ok
            if unsaved >= _SAVE_EVERY:
                self._save(confirmed)
                unsaved = 0
        if unsaved:
            self._save(confirmed)
        return done

    def _upload(self, wanted: Wanted, confirmed: dict[str, str]) -> bool | None:
        """Whether the bucket took the file; None when there was nothing to send."""
        data = wanted.data if wanted.data is not None else self._served.read(wanted.path)
        if data is None:
            return None  # gone since the list was made (a build rewrites a missing file)
        sent = digest(data)
        key = object_key(self._settings, wanted.path)
        cache = self._settings.cache_control
        return self._do(
            "upload",
            wanted.path,
            lambda: self._bucket.put(key, data, wanted.content_type, cache, f'"{sent}"'),
            lambda: confirmed.__setitem__(wanted.path, sent),
        )

    def _delete(self, path: str, confirmed: dict[str, str]) -> bool:
        key = object_key(self._settings, path)
        return self._do(
            "delete", path, lambda: self._bucket.delete(key), lambda: confirmed.pop(path, None)
        )

    def _do(
        self, operation: str, path: str, call: Callable[[], None], record: Callable[[], object]
    ) -> bool:
        try:
            call()
        except OutputError as error:
            self._failed.add(path)
            self._metrics.mirror_operations.labels(operation=operation, outcome="failed").inc()
            log.warning("mirror failed", extra=fields(file=path, error=str(error)))
            return False
        record()
        self._failed.discard(path)
        self._metrics.mirror_operations.labels(operation=operation, outcome="ok").inc()
        return True

    def _save(self, confirmed: Mapping[str, str]) -> None:
        self._ledger.save(state={state_key(self._settings): encode(confirmed)})


def make_mirror(
    settings: Settings,
    ledger: Ledger,
    files: Callable[[], Sequence[FeedFile]],
    records: Callable[[], Mapping[str, FeedRecord]],
    *,
    clock: Clock,
    metrics: Metrics,
    owns: Callable[[], bool],
) -> Mirror | None:
    """The daemon's mirror, or None when `[mirror]` is off (boto3 is then never imported)."""
    if not settings.mirror.enabled:
        return None
    bucket = open_bucket(settings, os.environ)
    on_cluster = settings.cluster.enabled
    read = _from_ledger(ledger) if on_cluster else _from_disk(settings.output_dir)
    served = Served(files, records, read, partial(render_opml, settings))
    return Mirror(settings.mirror, bucket, ledger, served, clock=clock, metrics=metrics, owns=owns)


def _from_disk(root: Path) -> Callable[[str], bytes | None]:
    def read(path: str) -> bytes | None:
        try:
            return (root / path).read_bytes()
        except FileNotFoundError:
            return None

    return read


def _from_ledger(ledger: Ledger) -> Callable[[str], bytes | None]:
    def read(path: str) -> bytes | None:
        found = ledger.documents([path])
        return found[0].body if found else None

    return read
