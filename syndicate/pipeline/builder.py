"""The build: scan the posts, bring the ledger up to date, and write the feeds that changed.

    scan ──> read changed files ──> sync (ledger) ──> significance of edits ──> plan feeds
                                                                                   │
       write completed documents <── serialise entries <── render (cache) <── stale outputs

Reading, rendering and serialising are per post and run on all cores (see workers.py); the
rest is bookkeeping in this process.
"""

from __future__ import annotations

import functools
import gc
import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

import msgspec
from msgspec.structs import replace

from syndicate import __version__
from syndicate.clock import Clock
from syndicate.config import Settings, settings_json
from syndicate.content import files
from syndicate.content.blog import open_blog
from syndicate.content.layouts import Layout
from syndicate.content.loader import LoadedPost
from syndicate.content.templating import reference_keys
from syndicate.content.text import digest, html_to_text
from syndicate.errors import ContentError, OutputError
from syndicate.feedkinds import FeedKind
from syndicate.feeds import plan as planning
from syndicate.feeds.output import OutputDir
from syndicate.feeds.output import digest as output_digest
from syndicate.feeds.plan import PlannedFeed
from syndicate.model import Entry, FeedSpec, Rendered
from syndicate.pipeline import events
from syndicate.pipeline import sync as sync_step
from syndicate.pipeline.feeds import FeedAssembler, FeedJob, SiteFacts, members_of, stale_jobs
from syndicate.pipeline.remote_entries import (
    SOURCE_PREFIX,
    RemoteBatch,
    is_remote,
    source_prefix,
    stamp_of,
    unclaimed,
)
from syndicate.pipeline.sync import Change, LedgerIndex, SyncResult
from syndicate.pipeline.workers import PostWork, RenderJob, RenderResult
from syndicate.store.cache import CachedRender, RenderCache
from syndicate.store.ledger import Event, FeedDocument, FeedRecord, Ledger, Record
from syndicate.store.significance import is_significant

QUICK_BASIS = "quick_basis"  # state: what a quick build may rely on (see Builder._quick_build)
RENDERER_VERSION = "1"  # bump when rendering changes, so cached renderings are redone
_CACHE_BATCH = 500


class Progress(Protocol):
    def phase(self, name: str, total: int) -> None: ...
    def advance(self, count: int = 1) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass


class BuildReport(msgspec.Struct):
    scanned: int = 0
    read: int = 0
    public: int = 0
    rendered: int = 0
    feeds: int = 0  # output files in the plan
    stale: int = 0  # outputs whose inputs changed
    written: list[str] = msgspec.field(default_factory=list)
    changes: list[Change] = msgspec.field(default_factory=list)
    events: list[Event] = msgspec.field(default_factory=list)
    errors: list[ContentError] = msgspec.field(default_factory=list)
    warnings: list[tuple[str, str]] = msgspec.field(default_factory=list)  # (source, message)
    seconds: float = 0.0
    phases: dict[str, float] = msgspec.field(default_factory=dict)  # seconds spent in each step

    def lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now

    def summary(self, moment: datetime, trigger: str) -> dict[str, object]:
        """What `syndicate status` and the dashboard show of the last build."""
        return {
            "at": moment.isoformat(),
            "trigger": trigger,
            "seconds": round(self.seconds, 3),
            "public": self.public,
            "written": len(self.written),
            "changes": len(self.changes),
            "events": len(self.events),
            "errors": [{"file": e.path, "reason": e.reason} for e in self.errors],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "posts": {
                "scanned": self.scanned,
                "read": self.read,
                "public": self.public,
                "rendered": self.rendered,
            },
            "changes": [
                {"kind": c.kind.value, "source": c.source, "previous": c.previous_source}
                for c in self.changes
            ],
            "events": [{"kind": e.kind, "entry_id": e.entry_id} for e in self.events],
            "feeds": {"total": self.feeds, "stale": self.stale, "written": self.written},
            "errors": [{"file": e.path, "line": e.line, "reason": e.reason} for e in self.errors],
            "warnings": [{"file": f, "message": m} for f, m in self.warnings],
            "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
        }


class Builder:
    """Builds one site's feeds. Holds the ledger in memory between builds (for the daemon)."""

    def __init__(
        self,
        settings: Settings,
        *,
        ledger: Ledger,
        cache: RenderCache,
        output: OutputDir,
        clock: Clock,
        progress: Progress | None = None,
    ) -> None:
        self.settings = settings
        self.blog = open_blog(settings.content_root, settings.content, settings.site.url)
        self.root = self.blog.root
        self.layout: Layout = self.blog.layout
        self.loader = self.blog.loader
        self.renderer = self.blog.renderer
        self._ledger = ledger
        self._cache = cache
        self._out = output
        self._clock = clock
        self._progress = progress or NoProgress()
        self._loaded: LedgerIndex | None = None  # the whole ledger, read when first needed
        self._entries: dict[int, tuple[Record, Entry]] = {}  # reused while a record is unchanged
        self._specs: dict[tuple[FeedKind, str, str], FeedSpec] = {}
        self._feed_versions: dict[tuple[FeedKind, str, str], tuple[tuple[Entry, ...], str]] = {}
        self._by_entry: dict[str, Record] = {}
        self._feed_records: dict[str, FeedRecord] | None = None  # read when first needed
        self._state = ledger.state()
        self._unwritten = False  # whether the last build left a feed unwritten
        output.collect = settings.cluster.enabled  # the other nodes serve what this one built
        self._content_fp = self._content_fingerprint()
        self._remote_prefixes = tuple(source_prefix(s.name) for s in settings.sources)
        self._included_prefixes = tuple(
            source_prefix(s.name) for s in settings.sources if s.include
        )
        self._render_fp = digest(self._content_fp + RENDERER_VERSION)

    def _content_fingerprint(self) -> str:
        """Everything besides a file's bytes that shapes a Post: a change means re-reading all."""
        parts = [
            settings_json(self.settings, include={"site", "content", "identity"}),
            repr(self.layout),
            self.blog.registry_text(),
            self.blog.generator_config_text(),
            __version__,
        ]
        return digest("\n".join(parts))

    @property
    def _index(self) -> LedgerIndex:
        if self._loaded is None:
            with _no_cyclic_gc():
                self._loaded = LedgerIndex(self._ledger.records())
        return self._loaded

    def reload(self) -> None:
        """Read the ledger again: on a cluster, another node may have written it since (it
        owned the blog before this one)."""
        self._loaded = None
        self._entries.clear()
        self._specs.clear()
        self._feed_versions.clear()
        self._by_entry = {}
        self._feed_records = None
        self._state = self._ledger.state()

    @property
    def _feeds(self) -> dict[str, FeedRecord]:
        """Every feed file's record, members too: read when first needed (a quick build reads
        only the feeds its posts join)."""
        if self._feed_records is None:
            self._feed_records = self._ledger.feeds(members=True)
        return self._feed_records

    @property
    def records(self) -> Mapping[int, Record]:
        return self._index.records

    @property
    def feed_records(self) -> Mapping[str, FeedRecord]:
        return self._feeds

    def scan(self) -> list[files.SourceStamp]:
        return self.blog.scan()

    def build(
        self,
        *,
        full: bool = False,
        changed: Iterable[str] | None = None,
        remote: Sequence[RemoteBatch] = (),
        quick: bool = False,
    ) -> BuildReport:
        """Bring every feed up to date with the posts on disk and the remote entries polled.

        `changed` lists the source paths (relative to the blog) known to have changed since
        the last build, as a file watcher reports them; without it the posts directory is
        scanned. `remote` holds what polls of remote sources found since the last build. A
        failed build leaves nothing half-done in memory: the next one starts from the ledger.

        `quick` is for a builder made for one build (`syndicate build`): when the scan finds
        only new files and nothing else can have changed since the last build, the ledger is
        read only as far as the feeds those posts join (see `_quick_build`).
        """
        with _no_cyclic_gc():
            try:
                if quick and not full and changed is None and not remote:
                    report = self._quick_build()
                    if report is not None:
                        return report
                return self._build(
                    full=full, changed=None if full else changed, remote=remote, quick=quick
                )
            except BaseException:
                self._loaded = None
                self._feed_records = None
                self._entries.clear()
                self._feed_versions.clear()
                raise
            finally:
                self._out.forget_listing()  # the next build sees the folder as it is then

    def _build(
        self,
        *,
        full: bool,
        changed: Iterable[str] | None,
        remote: Sequence[RemoteBatch],
        quick: bool = False,
    ) -> BuildReport:
        started = time.perf_counter()
        now = self._clock.now()
        report = BuildReport()
        work = PostWork(
            self.root,
            self.loader,
            self.renderer,
            self.settings.build.workers,
            site_author=self.settings.site.author,
        )
        reload_all = full or self._stale_content()
        if changed is None or reload_all:
            stamps = self.scan()
            gone = self._gone(stamps)
            report.scanned = len(stamps)
        else:
            stamps, gone = self._stat(changed)
            report.scanned = len(self._index.by_source) + len(stamps) - len(gone)
        lap = report.lap("scan", started)
        result = self._sync(stamps, gone, remote, work, now, reload_all=reload_all)
        lap = report.lap("read", lap)
        self.renderer.set_references(self._references)
        baseline = self._state.get("events_baseline") != "done"
        first = _first(remote)
        quiet = {pk for pk, lp in result.loaded.items() if lp.post.source in first}
        fresh, new_events = self._settle(result, now, work, report, baseline=baseline, quiet=quiet)
        self._ledger.save(
            result.dirty,
            events=new_events,
            # until the feeds are written too: a build that stops between the two saves
            # leaves records whose feeds only a whole build would see are stale
            state={"events_baseline": "done", QUICK_BASIS: ""},
            sources={batch.name: batch.state for batch in remote},
            bodies={
                lp.post.source: lp.body or ""
                for lp in result.loaded.values()
                if is_remote(lp.post.source)
            },
            consumed=[i for batch in remote for i in batch.inbox_ids],
        )
        self._state["events_baseline"] = "done"
        self._state[QUICK_BASIS] = ""
        lap = report.lap("save", lap)
        entries = self._public_entries(now)
        report.public = len(entries)
        lap = report.lap("plan", lap)
        feed_records = self._write_feeds(entries, result, fresh, work, report, full=full)
        lap = time.perf_counter()
        moment, written = int(now.timestamp() * 1000), set(report.written)
        documents = [
            FeedDocument(path, data, f'"{output_digest(data)}"', moment)
            for path, data in self._out.take_collected().items()
            if full or path in written
        ]
        basis = self._basis(self._index.records.values(), now) if quick else ""
        self._ledger.save(
            feeds=feed_records,
            state={"content_fingerprint": self._content_fp, QUICK_BASIS: basis},
            documents=documents,
        )
        self._state[QUICK_BASIS] = basis
        self._state["content_fingerprint"] = self._content_fp
        report.lap("save", lap)
        report.seconds = time.perf_counter() - started
        return report

    def _basis(self, records: Iterable[Record], now: datetime) -> str:
        """What the next quick build may rely on: the settings it was made with, and the next
        moment a post's visibility changes by the clock alone (until then, only a file can
        change a feed), from `now` on. Empty when a feed was left unwritten: the next build
        must retry it."""
        if self._unwritten:
            return ""
        boundary = events.visibility_boundary(records, now)
        return json.dumps(
            {
                "facts": self._facts.fingerprint,
                "at": now.isoformat(),
                "boundary": boundary.isoformat() if boundary else None,
            }
        )

    def _quick_build(self) -> BuildReport | None:
        """A build that reads only what the change needs, or None when that cannot be known
        to give what a whole build would (then nothing was written).

        It applies when the scan finds only files the ledger does not know (new posts, or
        deleted ones back), and nothing else can have changed since the last build: the same
        settings and content, no post whose date or expiry has passed since (the basis the
        last build recorded), every recorded output on disk, no archives, no cluster. Then
        only the feeds the new posts join change, and each lists its newest entries: its
        members at the last build (the ledger records them) and the new posts. Those posts'
        records are read, not the whole ledger; the feeds are planned, signed, rendered and
        written as a whole build does, so the bytes are the same (tests/pipeline/test_quick.py).
        """
        started = time.perf_counter()
        now = self._clock.now()
        settings = self.settings
        if not self._may_be_quick(now):
            return None
        feed_paths = self._ledger.feed_paths()
        if feed_paths - self._out.files():
            return None  # a removed output is made again
        known = self._ledger.file_stamps()
        stamps = self.scan()
        new = self._only_new(stamps, known)
        if new is None:
            return None
        report = BuildReport(scanned=len(stamps))
        lap = report.lap("scan", started)
        ledger = self._ledger
        index = LedgerIndex(
            ledger.deleted_records(),
            stored_ids=ledger.holds_entry_id,
            stored_updated=ledger.holds_updated,
        )
        index.by_source.update((source, pk) for source, _, _, pk in known)
        index.next_pk = max(index.next_pk, ledger.next_pk())
        work = PostWork(
            self.root,
            self.loader,
            self.renderer,
            settings.build.workers,
            site_author=settings.site.author,
        )
        outcomes = dict(work.load_many(new, self._progress.advance))

        def load(stamp: files.SourceStamp) -> LoadedPost:
            outcome = outcomes[stamp]
            if isinstance(outcome, ContentError):
                raise outcome
            return outcome

        result = sync_step.sync(
            index, new, load, now=now, id_template=settings.identity.id_template, gone=[]
        )
        lap = report.lap("read", lap)
        joined = self._joined(result, now)
        if joined is None:
            return None
        names, feeds = joined
        members = _members(feeds)
        if members is None:
            return None
        index.records.update(
            (pk, r)
            for pk, r in self._ledger.records_by_entry(members).items()
            if pk not in index.records
        )
        self._loaded = index  # the records this build needs, not the whole ledger
        self._feed_records = feeds  # and the feeds
        try:
            self._quick_write(result, names, now, report, work, lap)
            report.feeds = len(feed_paths | set(feeds))
        finally:
            self._loaded = None
            self._feed_records = None
            self._entries.clear()
            self._feed_versions.clear()
            self._by_entry = {}
        report.seconds = time.perf_counter() - started
        return report

    def _may_be_quick(self, now: datetime) -> bool:
        """Whether nothing but the posts' files can have changed since the last build (the
        outputs on disk aside: see _quick_build)."""
        settings = self.settings
        if settings.feeds.archives or settings.cluster.enabled or self._loaded is not None:
            return False
        if self._stale_content() or self._state.get("events_baseline") != "done":
            return False
        basis = json.loads(self._state.get(QUICK_BASIS) or "{}")
        if set(basis) != {"facts", "at", "boundary"} or basis["facts"] != self._facts.fingerprint:
            return False  # none recorded (or by another version)
        if now < datetime.fromisoformat(basis["at"]):
            return False  # the clock went back: posts public then may not be now
        boundary = basis["boundary"]  # the next moment a post's visibility changes
        return boundary is None or now < datetime.fromisoformat(boundary)

    def _only_new(
        self, stamps: Sequence[files.SourceStamp], known: Sequence[tuple[str, int, int, int]]
    ) -> list[files.SourceStamp] | None:
        """The scanned files the ledger does not know (`known`: Ledger.file_stamps); None when
        a known one changed or went (or a remote source was dropped)."""
        # Set operations, not a loop over 10,000 stamps: stamps are (source, mtime_ns, size)
        # tuples, and a known one that no file matches was edited, removed or is remote.
        unchanged = {(source, mtime_ns, size) for source, mtime_ns, size, _ in known}
        scanned = set(stamps)
        unmatched = [source for source, _, _ in unchanged - scanned]
        remote = [source for source in unmatched if is_remote(source)]
        if len(remote) != len(unmatched) or unclaimed(remote, self._remote_prefixes):
            return None  # a post edited or removed, or a remote source dropped
        return sorted(scanned - unchanged)  # in the scan's order: by path

    def _joined(
        self, result: SyncResult, now: datetime
    ) -> tuple[dict[planning.Group, str | None], dict[str, FeedRecord]] | None:
        """The feeds the new posts join, each with the name the blog gives it (None for a
        feed new with them: counted from its posts, all of them new), and the records of
        those already known; None when a post spells an existing feed's name otherwise (the
        feed's name is the spelling most posts use: only the whole blog can say)."""
        spelt: dict[planning.Group, set[str]] = {}
        for record in result.dirty:
            if not record.post.is_public(now) or record.source is None:
                continue
            if is_remote(record.source):
                return None
            for group, spellings in planning.groups_of(record.post, self.settings.feeds).items():
                spelt.setdefault(group, set()).update(spellings)
        feeds = self._ledger.feeds_of((kind.value, key) for kind, key in spelt)
        by_group = {(FeedKind(f.kind), f.key): f.name for f in feeds.values()}
        names: dict[planning.Group, str | None] = {}
        for group, spellings in spelt.items():
            name = by_group.get(group)
            if group[0] is not FeedKind.SITE and name is not None and spellings - {name}:
                return None
            names[group] = name
        return names, feeds

    def _quick_write(
        self,
        result: SyncResult,
        names: Mapping[planning.Group, str | None],
        now: datetime,
        report: BuildReport,
        work: PostWork,
        lap: float,
    ) -> None:
        self.renderer.set_references(self._all_references)
        fresh, new_events = self._settle(result, now, work, report, baseline=False)
        basis = json.loads(self._state[QUICK_BASIS])
        self._ledger.save(result.dirty, events=new_events, state={QUICK_BASIS: ""})  # as _build
        self._state[QUICK_BASIS] = ""
        lap = report.lap("save", lap)
        entries = self._public_entries(now)
        planned = planning.plan_some(
            entries, self.settings.feeds, self.settings.site, names, self._make_spec
        )
        lap = report.lap("plan", lap)
        feed_records = self._write_feeds(
            entries, result, fresh, work, report, full=False, planned=planned
        )
        listed = self._included_prefixes
        unlisted = [
            s for s in self._ledger.public_sources(SOURCE_PREFIX) if not s.startswith(listed)
        ]
        report.public = self._ledger.public_count() - len(unlisted)
        lap = time.perf_counter()
        basis["at"] = now.isoformat()
        boundary = events.visibility_boundary(result.dirty, now)
        if boundary is not None and (
            basis["boundary"] is None or boundary < datetime.fromisoformat(basis["boundary"])
        ):
            basis["boundary"] = boundary.isoformat()
        state = json.dumps(basis) if not self._unwritten else ""
        self._ledger.save(feeds=feed_records, state={QUICK_BASIS: state})
        self._state[QUICK_BASIS] = state
        report.lap("save", lap)

    def _all_references(self) -> dict[str, str]:
        """`_references` over the whole ledger, read for it (a quick build holds only some
        records), with this build's records over the stored ones, saved or not yet."""
        records = self._ledger.records()
        records.update(self._index.records)
        return _references_of(records.values(), self.layout.posts_dir)

    def backfill(self, since: datetime, until: datetime | None = None) -> list[Event]:
        """Queue `published` events for public posts dated in [since, until] never announced."""
        queued = events.backfill(
            self._index.records.values(),
            self._ledger.announced(),
            self._clock.now(),
            since=since,
            until=until,
        )
        self._ledger.save(events=queued)
        return queued

    def _stale_content(self) -> bool:
        return self._state.get("content_fingerprint") != self._content_fp

    def _gone(self, scanned: list[files.SourceStamp]) -> list[str]:
        """After a full scan: known files not found, and entries of sources no longer set."""
        found = {stamp.rel for stamp in scanned}
        local = [s for s in self._index.by_source if s not in found and not is_remote(s)]
        return local + unclaimed(self._index.by_source, self._remote_prefixes)

    def _stat(self, changed: Iterable[str]) -> tuple[list[files.SourceStamp], list[str]]:
        """Stamps of the changed paths that exist as posts; the known ones that are gone."""
        stamps, gone = [], []
        for rel in sorted(set(changed)):
            stamp = files.stamp(self.root, rel)
            if stamp is not None and self.loader.accepts(rel):
                stamps.append(stamp)
            elif rel in self._index.by_source:
                gone.append(rel)
        return stamps, gone

    def _sync(
        self,
        stamps: list[files.SourceStamp],
        gone: list[str],
        remote: Sequence[RemoteBatch],
        work: PostWork,
        now: datetime,
        *,
        reload_all: bool,
    ) -> SyncResult:
        index = self._index
        to_read = [s for s in stamps if reload_all or _moved(index.at(s.rel), s)]
        self._progress.phase("reading posts", len(to_read))
        outcomes: dict[files.SourceStamp, LoadedPost | ContentError] = dict(
            work.load_many(to_read, self._progress.advance)
        )
        for batch in remote:
            outcomes.update((stamp_of(lp), lp) for lp in batch.posts)

        def load(stamp: files.SourceStamp) -> LoadedPost:
            outcome = outcomes[stamp]
            if isinstance(outcome, ContentError):
                raise outcome
            return outcome

        remote_stamps = [stamp_of(lp) for batch in remote for lp in batch.posts]
        return sync_step.sync(
            index,
            [*stamps, *remote_stamps],
            load,
            now=now,
            id_template=self.settings.identity.id_template,
            reload_all=reload_all,
            gone=gone,
        )

    def _public_entries(self, now: datetime) -> list[Entry]:
        entries = []
        prefixes = self._included_prefixes
        for record in self._index.records.values():
            if record.source is None or not record.post.is_public(now):
                continue
            if is_remote(record.source) and not record.source.startswith(prefixes):
                continue  # a remote source's entries are announced, not listed, unless asked
            known = self._entries.get(record.pk)
            if known is None or known[0] is not record:
                known = (record, Entry(record.entry_id, record.post, record.updated))
                self._entries[record.pk] = known
            entries.append(known[1])
        return planning.newest_first(entries)

    def _versions(self, feed: planning.PlannedFeed) -> str:
        """What a feed's entries are made from besides the settings: per entry its id, the
        post's bytes and path, and its `updated`. Kept while the feed lists the same entries."""
        document = (feed.spec.kind, feed.spec.key, _first_path(feed.spec))  # archives apart
        cached = self._feed_versions.get(document)
        if cached is not None and cached[0] == feed.entries:  # same Entry objects: unchanged
            return cached[1]
        lines = []
        for entry in feed.entries:
            record = self._by_entry.get(entry.id)
            source = f"{record.source_hash}|{record.source}" if record else ""
            lines.append(f"{entry.id}|{source}|{entry.updated.timestamp()}")
        text = "\n".join(lines)
        self._feed_versions[document] = (feed.entries, text)
        return text

    def _references(self) -> dict[str, str]:
        """Permalinks by each name posts may use for one another (Liquid's post_url, Hugo's ref)."""
        return _references_of(self._index.records.values(), self.layout.posts_dir)

    def _make_spec(self, kind: FeedKind, key: str, name: str) -> FeedSpec:
        """Feed specs only depend on the settings, which a Builder never changes: keep them."""
        spec = self._specs.get((kind, key, name))
        if spec is None:
            spec = planning.feed_spec(self.settings.feeds, self.settings.site, kind, key, name)
            self._specs[(kind, key, name)] = spec
        return spec

    def _render_key(self, record: Record) -> str:
        """What a rendering was made from: the post (its bytes, path and the content settings)
        and the renderer's version."""
        return f"{record.source_hash}|{record.source}|{self._render_fp}"

    def _settle(
        self,
        result: SyncResult,
        now: datetime,
        work: PostWork,
        report: BuildReport,
        *,
        baseline: bool,
        quiet: Set[int] = frozenset(),
    ) -> tuple[dict[int, CachedRender], list[Event]]:
        """What the read posts change: edits settled, visibility and events decided (and the
        report told); the renders made while settling, and the new events."""
        fresh = self._settle_edits(result, now, work)
        visible, new_events = events.settle(
            self._index.records, result.before, now, baseline=baseline, quiet=quiet
        )
        for record in visible:
            result.store(record)
        report.events = new_events
        report.read, report.changes, report.errors = result.read, result.changes, result.errors
        report.warnings = [
            (lp.post.source, w) for lp in result.loaded.values() for w in lp.warnings
        ]
        return fresh, new_events

    def _settle_edits(
        self, result: SyncResult, now: datetime, work: PostWork
    ) -> dict[int, CachedRender]:
        """Decide, for each post whose text changed, whether `updated` moves (see significance)."""
        fresh: dict[int, CachedRender] = {}
        if not result.edited:
            return fresh
        cached = self._cache.get_many(list(result.edited))
        share = self.settings.identity.significant_change
        for pk, before in result.edited.items():
            record = result.index.records[pk]
            rendered = self._render_now(result.loaded[pk], record, work)
            if rendered is None:
                continue
            old = cached.get(pk)
            baseline = old.baseline if old else rendered.content_html
            old_text = f"{before.post.title} {html_to_text(baseline)}"
            new_text = f"{record.post.title} {html_to_text(rendered.content_html)}"
            if old and is_significant(old_text, new_text, share):
                moment = result.index.unique_updated(max(now, record.post.date))
                record = _with_updated(record, moment, result)
                baseline = rendered.content_html
            fresh[pk] = CachedRender(self._render_key(record), rendered, baseline)
        return fresh

    def _render_now(self, loaded: LoadedPost, record: Record, work: PostWork) -> Rendered | None:
        entry = Entry(record.entry_id, record.post, record.updated)
        job = RenderJob(
            entry, (), source=record.source, body=loaded.body, body_format=loaded.body_format
        )
        return work.render(job).rendered

    def remember(self, report: BuildReport, trigger: str) -> None:
        """Record `report` as the last build, whoever ran it (the daemon or `syndicate build`)."""
        summary = report.summary(self._clock.now(), trigger)
        self._ledger.save(state={"last_build": json.dumps(summary)})

    def _write_feeds(
        self,
        entries: list[Entry],
        result: SyncResult,
        fresh: dict[int, CachedRender],
        work: PostWork,
        report: BuildReport,
        *,
        full: bool,
        planned: list[PlannedFeed] | None = None,
    ) -> list[FeedRecord]:
        """Write the stale outputs of the feeds planned from `entries` (or of `planned`)."""
        lap = time.perf_counter()
        if planned is None:
            keep = [
                (FeedKind(f.kind), f.key, f.name) for f in self._feeds.values() if f.kind != "site"
            ]
            planned = planning.plan(
                entries,
                self.settings.feeds,
                self.settings.site,
                keep=keep,
                make_spec=self._make_spec,
            )
        by_entry = self._by_entry = {r.entry_id: r for r in self._index.records.values()}
        facts = self._facts
        existing = set() if full else self._out.files()
        jobs = stale_jobs(planned, self._feeds, self._versions, facts, existing, full=full)
        report.feeds = sum(len(f.spec.outputs) for f in planned)
        report.stale = len(jobs)
        assembler = FeedAssembler(
            jobs, self._feeds, facts, self._out, self._clock.now(), planning.latest_update(entries)
        )
        render_jobs = list(self._render_jobs(assembler.needs(), by_entry, result, fresh))
        lap = report.lap("plan", lap)
        self._progress.phase("rendering and writing feeds", len(render_jobs))
        to_cache: list[tuple[int, str, Rendered, str | None]] = []
        pk_of = {r.entry_id: r.pk for r in by_entry.values()}
        for outcome in work.render_many(render_jobs):
            self._take(outcome, pk_of, by_entry, fresh, to_cache, report)
            assembler.offer(outcome.entry_id, outcome.pieces, outcome.briefs)
            self._progress.advance()
            if len(to_cache) >= _CACHE_BATCH:
                self._cache.put_many(to_cache)
                to_cache.clear()
        assembler.finish()
        self._unwritten = bool(assembler.failed)
        report.errors += [_unwritten(feed, exc) for feed, exc in assembler.failed]
        stored = {item[0] for item in to_cache}
        to_cache += [
            (pk, c.key, c.rendered, c.baseline) for pk, c in fresh.items() if pk not in stored
        ]
        self._cache.put_many(to_cache)
        report.lap("render+write", lap)
        report.written = assembler.written
        records = assembler.records + _recorded_members(planned, self._feeds, jobs)
        for record in records:
            self._feeds[record.path] = record
        return records

    def _render_jobs(
        self,
        needs: Mapping[str, set[Any]],
        by_entry: Mapping[str, Record],
        result: SyncResult,
        fresh: Mapping[int, CachedRender],
    ) -> Iterator[RenderJob]:
        """One job per needed entry, in the order of `needs` (FeedAssembler.needs), reusing
        renderings that are still valid."""
        records = [by_entry[i] for i in needs]
        missing = [r.pk for r in records if r.pk not in fresh and r.pk not in result.loaded]
        cached = self._cache.get_many(missing)
        stored = self._ledger.bodies(
            r.source for r in records if r.pk in missing and r.source and is_remote(r.source)
        )
        for record in records:
            key = self._render_key(record)
            entry = Entry(record.entry_id, record.post, record.updated)
            variants = tuple(sorted(needs[record.entry_id], key=lambda v: (v[0].value, v[1])))
            hit = fresh.get(record.pk) or cached.get(record.pk)
            if hit is not None and hit.key == key:
                yield RenderJob(entry, variants, rendered=hit.rendered)
                continue
            loaded = result.loaded.get(record.pk)
            body = loaded.body if loaded else stored.get(record.source or "")
            body_format = loaded.body_format if loaded else record.body_format
            yield RenderJob(
                entry, variants, source=record.source, body=body, body_format=body_format
            )

    def _take(
        self,
        outcome: RenderResult,
        pk_of: Mapping[str, int],
        by_entry: Mapping[str, Record],
        fresh: Mapping[int, CachedRender],
        to_cache: list[tuple[int, str, Rendered, str | None]],
        report: BuildReport,
    ) -> None:
        if outcome.error is not None:
            report.errors.append(outcome.error)
        if not outcome.fresh or outcome.rendered is None:
            return
        report.rendered += 1
        record = by_entry[outcome.entry_id]
        to_cache.append((pk_of[outcome.entry_id], self._render_key(record), outcome.rendered, None))

    @functools.cached_property
    def _facts(self) -> SiteFacts:
        # Once: settings do not change while a builder lives, and dumping them costs in
        # proportion to them (50,000 [[sources]] took 60 % of a daemon's CPU, once per build).
        site = self.settings.site
        return SiteFacts(
            author=site.author or site.title,
            language=site.language,
            hubs=self.settings.feeds.hubs,
            icon=site.icon,
            logo=site.logo,
            id_template=self.settings.identity.id_template,
            fingerprint=digest(
                settings_json(self.settings, exclude=frozenset({"store", "build", "cluster"}))
                + self._content_fp
            ),
        )


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Builds and ledger loads make and drop a great many objects but almost no cycles: full
    collections over the ledger's 100,000s of objects would cost more than a small build."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _unwritten(feed: PlannedFeed, exc: OutputError) -> ContentError:
    """A feed that could not be written, reported against the posts it lists."""
    sources = [e.post.source for e in feed.entries]
    named = ", ".join(sources[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")
    reason = f"{exc}; that feed is left as it was (it lists {named or 'no post'})"
    return ContentError(sources[0] if sources else feed.spec.key, reason)


def _references_of(records: Iterable[Record], posts_dir: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for record in sorted(records, key=lambda r: r.pk):
        if record.source is not None and not is_remote(record.source):
            for key in reference_keys(record.source, posts_dir):
                found.setdefault(key, record.post.permalink)
    return found


def _recorded_members(
    planned: Sequence[PlannedFeed], known: Mapping[str, FeedRecord], jobs: Sequence[FeedJob]
) -> list[FeedRecord]:
    """Feed records written before their members were recorded (a ledger from before
    0006_feed_members), now with them; a feed that was rewritten is recorded whole."""
    remade = {job.output.path for job in jobs}
    found = []
    for feed in planned:
        members = None
        for output in feed.spec.outputs:
            record = known.get(output.path)
            if record is not None and record.members is None and output.path not in remade:
                members = members or members_of(feed)
                found.append(replace(record, members=members))
    return found


def _members(feeds: Mapping[str, FeedRecord]) -> set[str] | None:
    """The entry ids these feeds listed at the last build; None when one of them has no
    record of it (a ledger from before 0006_feed_members)."""
    members: set[str] = set()
    for record in feeds.values():
        if record.members is None:
            return None
        members.update(json.loads(record.members))
    return members


def _first(remote: Sequence[RemoteBatch]) -> set[str]:
    """Keys of the entries brought by sources' first polls."""
    return {lp.post.source for batch in remote if batch.first for lp in batch.posts}


def _moved(record: Record | None, stamp: files.SourceStamp) -> bool:
    return record is None or (record.mtime_ns, record.size) != (stamp.mtime_ns, stamp.size)


def _with_updated(record: Record, moment: datetime, result: SyncResult) -> Record:
    updated = replace(record, updated=moment)
    result.store(updated)
    return updated


def _first_path(spec: FeedSpec) -> str:
    """Which document of a feed a spec is (its subscription or one of its archives)."""
    return spec.outputs[0].path if spec.outputs else ""
