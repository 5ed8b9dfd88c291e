"""The build: scan the posts, bring the ledger up to date, and write the feeds that changed.

    scan ──> sync (ledger) ──> significance of edits ──> plan feeds ──> stale outputs
                                                                            │
             write changed bytes <── assemble <── serialise entries <── render (cache)
"""

from __future__ import annotations

import time
from datetime import UTC
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from syndicate import __version__
from syndicate.build import sync as sync_step
from syndicate.build.feeds import FeedMaker, SiteFacts, entries_needed, stale_jobs
from syndicate.build.sync import Change, SyncResult
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.content import files
from syndicate.content.authors import AuthorRegistry, load_registry
from syndicate.content.layouts import Layout, resolve
from syndicate.content.loader import LoadedPost, PostLoader
from syndicate.content.render import Renderer
from syndicate.content.text import digest, html_to_text
from syndicate.errors import ContentError
from syndicate.feeds import plan as planning
from syndicate.feeds.output import OutputDir
from syndicate.model import Entry, FeedKind, Rendered
from syndicate.store.cache import CachedRender, RenderCache
from syndicate.store.ledger import FeedRecord, Ledger, Record
from syndicate.store.significance import is_significant

RENDERER_VERSION = "1"  # bump when rendering changes, so cached renderings are redone


class Progress(Protocol):
    def phase(self, name: str, total: int) -> None: ...
    def advance(self, count: int = 1) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass


@dataclass(slots=True)
class BuildReport:
    scanned: int = 0
    read: int = 0
    public: int = 0
    rendered: int = 0
    feeds: int = 0  # output files in the plan
    stale: int = 0  # outputs whose inputs changed
    written: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (source, message)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "posts": {"scanned": self.scanned, "read": self.read, "public": self.public,
                      "rendered": self.rendered},
            "changes": [{"kind": c.kind.value, "source": c.source, "previous": c.previous_source}
                        for c in self.changes],
            "feeds": {"total": self.feeds, "stale": self.stale, "written": self.written},
            "errors": [{"file": e.path, "line": e.line, "reason": e.reason} for e in self.errors],
            "warnings": [{"file": f, "message": m} for f, m in self.warnings],
            "seconds": round(self.seconds, 3),
        }


class Builder:
    """Builds one site's feeds. Holds the ledger in memory between builds (for the daemon)."""

    def __init__(self, settings: Settings, *, ledger: Ledger, cache: RenderCache,
                 output: OutputDir, clock: Clock, progress: Progress | None = None) -> None:
        self.settings = settings
        self.layout: Layout = resolve(
            settings.content_root, settings.content.layout, posts=settings.content.posts,
            authors=settings.content.authors, permalink=settings.content.permalink,
            image_base=settings.content.image_base,
        )
        self.authors = self._registry()
        self.loader = PostLoader(settings, self.layout, self.authors)
        self.renderer = Renderer(site_url=settings.site.url, image_dir=self.layout.image_base,
                                 summary_markers=settings.content.summary_markers)
        self._ledger = ledger
        self._cache = cache
        self._out = output
        self._clock = clock
        self._progress = progress or NoProgress()
        self._records = ledger.records()
        self._feeds = ledger.feeds()
        self._state = ledger.state()
        self._content_fp = self._content_fingerprint()

    def _registry(self) -> AuthorRegistry:
        if not self.layout.authors_file:
            return AuthorRegistry()
        return load_registry(self.settings.content_root / self.layout.authors_file)

    def _content_fingerprint(self) -> str:
        """Everything besides a file's bytes that shapes a Post: a change means re-reading all."""
        registry = ""
        if self.layout.authors_file:
            registry = (self.settings.content_root / self.layout.authors_file).read_text("utf-8", "replace")
        parts = [self.settings.model_dump_json(include={"site", "content", "identity"}),
                 repr(self.layout), registry, __version__]
        return digest("\n".join(parts))

    @property
    def records(self) -> Mapping[int, Record]:
        return self._records

    def scan(self) -> list[files.SourceStamp]:
        stamps = files.scan(self.settings.content_root, self.layout.posts_dir,
                            recursive=self.layout.recursive, skip_dirs=self.layout.skip_dirs)
        return [s for s in stamps if self.loader.accepts(s.rel)]

    def build(self, *, full: bool = False) -> BuildReport:
        """Bring every feed up to date with the posts on disk."""
        started = time.perf_counter()
        now = self._clock.now()
        report = BuildReport()
        stamps = self.scan()
        report.scanned = len(stamps)
        reload_all = full or self._state.get("content_fingerprint") != self._content_fp
        self._progress.phase("reading posts", len(stamps))
        result = sync_step.sync(self._records, stamps, self._load, now=now,
                                id_template=self.settings.identity.id_template, reload_all=reload_all)
        fresh = self._settle_edits(result, now)
        self._records = result.records
        report.read, report.changes, report.errors = result.read, result.changes, result.errors
        report.warnings = [(lp.post.source, w) for lp in result.loaded.values() for w in lp.warnings]

        entries = self._public_entries(now)
        report.public = len(entries)
        feed_records = self._write_feeds(entries, result, fresh, report, full=full)
        self._ledger.save(result.dirty, feed_records, {"content_fingerprint": self._content_fp})
        self._state["content_fingerprint"] = self._content_fp
        report.seconds = time.perf_counter() - started
        return report

    def _load(self, stamp: files.SourceStamp) -> LoadedPost:
        path = self.settings.content_root / stamp.rel
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ContentError(stamp.rel, f"cannot read: {exc.strerror or exc}") from None
        finally:
            self._progress.advance()
        return self.loader.load(stamp.rel, data)

    def _public_entries(self, now: Any) -> list[Entry]:
        public = sync_step.public_records(self._records.values(), now)
        return planning.newest_first(Entry(r.entry_id, r.post, r.updated) for r in public)

    def _render_key(self, record: Record) -> str:
        return digest(f"{record.source_hash}|{record.post.permalink}|{record.post.summary}|"
                      f"{self.settings.site.url}|{self.layout.image_base}|"
                      f"{self.settings.content.summary_markers}|{RENDERER_VERSION}")

    def _settle_edits(self, result: SyncResult, now: Any) -> dict[int, CachedRender]:
        """Decide, for each post whose text changed, whether `updated` moves (see significance)."""
        fresh: dict[int, CachedRender] = {}
        if not result.edited:
            return fresh
        cached = self._cache.get_many(list(result.edited))
        share = self.settings.identity.significant_change
        for pk, before in result.edited.items():
            record = result.records[pk]
            rendered = self._render(result.loaded[pk], record)
            old = cached.get(pk)
            baseline = old.baseline if old else rendered.content_html
            old_text = f"{before.post.title} {html_to_text(baseline)}"
            new_text = f"{record.post.title} {html_to_text(rendered.content_html)}"
            if old and is_significant(old_text, new_text, share):
                moment = max(now, record.post.date).astimezone(UTC)
                record = _with_updated(record, moment, result)
                baseline = rendered.content_html
            fresh[pk] = CachedRender(self._render_key(record), rendered, baseline)
        return fresh

    def _render(self, loaded: LoadedPost, record: Record) -> Rendered:
        return self.renderer.render(loaded.body, loaded.body_format, record.post.permalink,
                                    record.post.summary)

    def _write_feeds(self, entries: list[Entry], result: SyncResult, fresh: dict[int, CachedRender],
                     report: BuildReport, *, full: bool) -> list[FeedRecord]:
        keep = [(FeedKind(f.kind), f.key, f.name) for f in self._feeds.values() if f.kind != "site"]
        planned = planning.plan(entries, self.settings, keep=keep)
        by_entry = {r.entry_id: r for r in self._records.values()}
        versions = {e.id: by_entry[e.id].source_hash for e in entries}
        facts = self._facts()
        jobs = stale_jobs(planned, self._feeds, versions, facts, self._out, full=full)
        report.feeds = sum(len(f.spec.outputs) for f in planned)
        report.stale = len(jobs)
        needed = [by_entry[entry_id] for entry_id in entries_needed(jobs)]
        renders = self._renders(needed, result, fresh, report)
        maker = FeedMaker(facts, self._out, self._clock.now(), planning.latest_update(entries))
        self._progress.phase("writing feeds", len(jobs))
        written: list[FeedRecord] = []
        for job in jobs:
            record, changed = maker.make(job, renders, self._feeds.get(job.output.path))
            self._feeds[record.path] = record
            written.append(record)
            if changed:
                report.written.append(record.path)
            self._progress.advance()
        return written

    def _renders(self, needed: list[Record], result: SyncResult, fresh: dict[int, CachedRender],
                 report: BuildReport) -> dict[str, Rendered]:
        """Renderings for `needed` posts: from this build, from the cache, or made now."""
        renders: dict[str, Rendered] = {}
        missing = [r for r in needed if r.pk not in fresh]
        cached = self._cache.get_many([r.pk for r in missing if r.pk not in result.loaded])
        to_store: list[tuple[int, str, Rendered, str | None]] = []
        self._progress.phase("rendering posts", len(needed))
        for record in needed:
            key = self._render_key(record)
            hit = fresh.get(record.pk) or cached.get(record.pk)
            if hit is not None and hit.key == key:
                renders[record.entry_id] = hit.rendered
                if record.pk in fresh:
                    to_store.append((record.pk, key, hit.rendered, hit.baseline))
                self._progress.advance()
                continue
            loaded = result.loaded.get(record.pk) or self._reload(record, report)
            if loaded is None:
                continue
            rendered = self._render(loaded, record)
            report.rendered += 1
            renders[record.entry_id] = rendered
            baseline = hit.baseline if hit is not None else None
            to_store.append((record.pk, key, rendered, baseline))
            self._progress.advance()
        stored = {item[0] for item in to_store}
        to_store += [(pk, c.key, c.rendered, c.baseline) for pk, c in fresh.items() if pk not in stored]
        self._cache.put_many(to_store)
        return renders

    def _reload(self, record: Record, report: BuildReport) -> LoadedPost | None:
        stamp = files.SourceStamp(record.source or "", record.mtime_ns, record.size)
        try:
            return self._load(stamp)
        except ContentError as error:
            report.errors.append(error)
            return None

    def _facts(self) -> SiteFacts:
        site = self.settings.site
        return SiteFacts(
            author=site.author or site.title, language=site.language, hubs=self.settings.feeds.hubs,
            icon=site.icon, logo=site.logo, id_template=self.settings.identity.id_template,
            fingerprint=digest(self.settings.model_dump_json(exclude={"store"}) + __version__),
        )


def _with_updated(record: Record, moment: Any, result: SyncResult) -> Record:
    from dataclasses import replace

    updated = replace(record, updated=moment)
    result.records[record.pk] = updated
    result.dirty.append(updated)
    return updated

