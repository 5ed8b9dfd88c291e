"""The per-post work of a build (reading, rendering, serialising entries), spread over cores.

A cold build of a large blog spends most of its time on work that is independent per post,
so it goes to forked worker processes; small incremental builds stay in-process, where
starting workers would cost more than it saves.

Each phase forks its own pool *after* its jobs are prepared, so workers inherit the jobs and
receive only their numbers; what comes back is kept flat (tuples of strings and bytes), since
on two cores the parent's time spent unpickling is time taken from the workers.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from syndicate.content.files import SourceStamp, decode
from syndicate.content.frontmatter import body_of
from syndicate.content.loader import LoadedPost, PostLoader
from syndicate.content.render import Renderer
from syndicate.errors import ContentError
from syndicate.feeds.entries import serialise, serialise_briefs
from syndicate.model import Entry, Rendered
from syndicate.pipeline.feeds import Variant
from syndicate.pipeline.remote_entries import is_remote
from syndicate.store.codec import dump_post, load_post

POOL_THRESHOLD = 1000  # below this many items, a pool costs more than it saves (bench: rdo, 1k)
# Checked again at the RDO blog's size (306 posts read, 172 rendered) with a threshold of 100:
# 304 ms wall and 411 ms CPU against 288 and 284 in-process (bench/ab.py, 7 alternating runs).
# Jobs per message at most. A worker holds a chunk's results until it is done, and the parent
# holds the chunks that arrive while it writes: at 256 that was 16 MB more tree PSS at 10k
# posts (157-162 MB against 139-141 at 32), and no quicker (bench/measure.py's sampling).
_CHUNK = 32


class RenderJob(msgspec.Struct, frozen=True):
    """Make one entry's serialised variants, rendering its body first unless `rendered` is given."""

    entry: Entry
    variants: tuple[Variant, ...]
    source: str | None = None  # file to read the body from
    body: str | None = None  # the body, when already in memory
    body_format: str = "markdown"
    rendered: Rendered | None = None


class RenderResult(msgspec.Struct, frozen=True):
    entry_id: str
    rendered: Rendered | None  # None when rendering failed
    fresh: bool  # rendered by this job (worth caching)
    pieces: dict[Variant, bytes]
    error: ContentError | None = None
    briefs: dict[Variant, bytes] = msgspec.field(default_factory=dict)  # of the large pieces


class PostWork:
    """Runs per-post steps in this process or in pools of forked workers."""

    def __init__(
        self,
        root: Path,
        loader: PostLoader,
        renderer: Renderer,
        workers: int,
        site_author: str | None = None,
    ) -> None:
        self._root = root
        self._site_author = site_author  # credited in RSS items of posts naming no author
        self._loader = loader
        self._renderer = renderer
        self._workers = workers or min(os.cpu_count() or 1, 8)

    def load_many(
        self, stamps: Sequence[SourceStamp], on_done: Callable[[], None]
    ) -> Iterator[tuple[SourceStamp, LoadedPost | ContentError]]:
        """Read and parse files. Bodies are kept only when read in this process."""
        if not self._parallel(len(stamps)):
            for stamp in stamps:
                yield stamp, self.load(stamp, keep_body=True)
                on_done()
            return
        for index, packed in self._fan_out(_load_job, stamps, ordered=True):
            yield stamps[index], self._unpack_loaded(packed)
            on_done()

    def render_many(self, jobs: Sequence[RenderJob]) -> Iterator[RenderResult]:
        if not self._parallel(sum(1 for j in jobs if j.rendered is None)):
            yield from (self.render(job) for job in jobs)
            return
        for index, (rendered, fresh, pieces, error, briefs) in self._fan_out(
            _render_job, jobs, ordered=False
        ):
            job = jobs[index]
            yield RenderResult(
                job.entry.id, rendered if fresh else job.rendered, fresh, pieces, error, briefs
            )

    def load(self, stamp: SourceStamp, *, keep_body: bool) -> LoadedPost | ContentError:
        try:
            data = (self._root / stamp.rel).read_bytes()
        except OSError as exc:
            return ContentError(stamp.rel, f"cannot read: {exc.strerror or exc}")
        try:
            loaded = self._loader.load(stamp.rel, data)
        except ContentError as error:
            return error
        if keep_body:
            return loaded
        return LoadedPost(
            loaded.post,
            None,
            loaded.body_format,
            loaded.content_hash,
            loaded.source_hash,
            loaded.warnings,
        )

    def render(self, job: RenderJob) -> RenderResult:
        rendered, fresh = job.rendered, False
        if rendered is None:
            body = job.body if job.body is not None else self._read_body(job)
            if isinstance(body, ContentError):
                return RenderResult(job.entry.id, None, False, {}, body)
            post = job.entry.post
            # A remote entry's HTML is what its site published: its `{{ }}` and `{% %}` are
            # text to show, not this blog's template syntax.
            expand = not is_remote(job.source or post.source)
            rendered = self._renderer.render(
                body,
                job.body_format,
                post.permalink,
                post.summary,
                expand=expand,
                source=job.source or post.source,
            )
            fresh = True
        pieces = serialise(job.variants, job.entry, rendered, self._site_author)
        briefs = serialise_briefs(pieces, job.entry, rendered, self._site_author)
        return RenderResult(job.entry.id, rendered, fresh, pieces, briefs=briefs)

    def _read_body(self, job: RenderJob) -> str | ContentError:
        source = job.source or job.entry.post.source
        try:
            data = (self._root / source).read_bytes()
            return body_of(decode(source, data)[0])
        except OSError as exc:
            return ContentError(source, f"cannot read: {exc.strerror or exc}")
        except ContentError as error:
            return error

    def _parallel(self, items: int) -> bool:
        if self._workers < 2 or items < POOL_THRESHOLD:
            return False
        import multiprocessing  # only for a pool: 5 ms of the start of a build without one

        return "fork" in multiprocessing.get_all_start_methods()

    def _fan_out(
        self, function: Callable[[int], Any], jobs: Sequence[Any], *, ordered: bool
    ) -> Iterator[tuple[int, Any]]:
        """Run function(i) for every job number in a pool forked now, so it sees `jobs`."""
        import multiprocessing  # loaded by _parallel already

        global _WORK, _JOBS
        _WORK, _JOBS = self, jobs
        chunk = max(8, min(_CHUNK, len(jobs) // (self._workers * 8)))
        gc.freeze()  # so the workers' collector does not touch (and copy) every inherited page
        try:
            with multiprocessing.get_context("fork").Pool(self._workers) as pool:
                mapper = pool.imap if ordered else pool.imap_unordered
                yield from mapper(function, range(len(jobs)), chunksize=chunk)
        finally:
            gc.unfreeze()
            _WORK, _JOBS = None, ()

    @staticmethod
    def _unpack_loaded(packed: tuple[Any, ...] | ContentError) -> LoadedPost | ContentError:
        if isinstance(packed, ContentError):
            return packed
        post_json, body_format, content_hash, source_hash, warnings = packed
        return LoadedPost(
            load_post(post_json), None, body_format, content_hash, source_hash, warnings, post_json
        )


_WORK: PostWork | None = None  # what forked workers inherit
_JOBS: Sequence[Any] = ()


def _load_job(index: int) -> tuple[int, tuple[Any, ...] | ContentError]:
    assert _WORK is not None
    loaded = _WORK.load(_JOBS[index], keep_body=False)
    if isinstance(loaded, ContentError):
        return index, loaded
    # The post travels as the JSON the ledger stores: cheap to send, and encoded only once.
    return index, (
        dump_post(loaded.post),
        loaded.body_format,
        loaded.content_hash,
        loaded.source_hash,
        loaded.warnings,
    )


_Pieces = dict[Variant, bytes]


def _render_job(
    index: int,
) -> tuple[int, tuple[Rendered | None, bool, _Pieces, ContentError | None, _Pieces]]:
    assert _WORK is not None
    result = _WORK.render(_JOBS[index])
    # The parent already holds a rendering it sent; do not pay to send it back.
    return index, (
        result.rendered if result.fresh else None,
        result.fresh,
        result.pieces,
        result.error,
        result.briefs,
    )
