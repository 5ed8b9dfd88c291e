"""The per-post work of a build (reading, rendering, serialising entries), spread over cores.

A cold build spends most of its time on work that is independent per post, so it goes to
forked processes: one helper beside this process for a mid-sized phase, a pool of workers for
a large one. Small incremental builds stay in-process, where forking would cost more than it
saves.

Each phase forks its helper or pool *after* its jobs are prepared, so they inherit the jobs and
receive only their numbers; what comes back is kept flat (tuples of strings and bytes), since
on two cores the parent's time spent unpickling is time taken from the workers.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

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

# From HELPER_THRESHOLD items, one forked child takes part of a phase's work while this
# process does the rest (_Helper): one fork and one message, where a pool's parent only
# collects. From POOL_THRESHOLD, a pool of workers: its results come back in chunks, so memory
# stays flat at 10k posts, and it uses more than two cores. Cold builds on two cores, medians
# (bench/ab.py): RDO blog (306 read, 172 rendered) 417 ms wall with a helper, 514 in-process;
# generated 1,000 posts 767 ms with a helper, 1,152 with a pool; 2,000 1,154 against 1,346;
# 5,000 2,268 against 2,348 (and a fifth less CPU).
HELPER_THRESHOLD = 100
POOL_THRESHOLD = 5000
# This process's share of the work under a helper, where both end about together (RDO blog,
# 306 posts read, 172 rendered): the child's reading costs more (its posts travel back as
# JSON), this process's rendering costs more (it also assembles and writes the feeds).
_OWN_READING = 0.6
_OWN_RENDERING = 0.4
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
        if self._parallel(len(stamps)):
            for index, packed in self._fan_out(_load_job, stamps, ordered=True):
                yield stamps[index], self._unpack_loaded(packed)
                on_done()
            return
        costs = [1] * len(stamps)
        with self._helper(_load_job, stamps, costs, _OWN_READING, len(stamps)) as helper:
            for stamp in stamps[: helper.start]:
                yield stamp, self.load(stamp, keep_body=True)
                on_done()
            for index, packed in helper.results():
                yield stamps[index], self._unpack_loaded(packed)
                on_done()

    def render_many(self, jobs: Sequence[RenderJob]) -> Iterator[RenderResult]:
        to_render = sum(1 for job in jobs if job.rendered is None)
        if self._parallel(to_render):
            self._renderer.before_fork()
            yield from self._results(self._fan_out(_render_job, jobs, ordered=False), jobs)
            return
        # A job with its rendering only serialises it: a fraction of rendering's cost.
        costs = [1 if job.rendered is not None else 8 for job in jobs]
        with self._helper(
            _render_job, jobs, costs, _OWN_RENDERING, to_render, self._renderer.before_fork
        ) as helper:
            yield from (self.render(job) for job in jobs[: helper.start])
            yield from self._results(helper.results(), jobs)

    @staticmethod
    def _results(
        packed: Iterator[tuple[int, Any]], jobs: Sequence[RenderJob]
    ) -> Iterator[RenderResult]:
        for index, (rendered, fresh, pieces, error, briefs) in packed:
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

    @contextlib.contextmanager
    def _helper(
        self,
        function: Callable[[int], Any],
        jobs: Sequence[Any],
        costs: Sequence[int],
        share: float,
        items: int,
        before_fork: Callable[[], None] | None = None,
    ) -> Iterator[_Helper]:
        """A helper for the jobs past this process's `share` of their `costs`; none (its
        `start` is then the end) for fewer than HELPER_THRESHOLD `items` or one worker."""
        global _WORK, _JOBS
        alone = self._workers < 2 or items < HELPER_THRESHOLD or not hasattr(os, "fork")
        start = len(jobs) if alone else _split_at(costs, share)
        if not alone and before_fork is not None:
            before_fork()
        _WORK, _JOBS = self, jobs
        try:
            with _Helper(function, len(jobs), start) as helper:
                yield helper
        finally:
            _WORK, _JOBS = None, ()

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


def _split_at(costs: Sequence[int], share: float) -> int:
    """How many of the first jobs make up `share` of the total cost."""
    goal, total = share * sum(costs), 0
    for index, cost in enumerate(costs):
        total += cost
        if total >= goal:
            return index + 1
    return len(costs)


class _Helper:
    """One forked child running `function(i)` for i in range(start, count) while this process
    does the jobs before `start`. Its results come back in one pickle through an unlinked
    temporary file: a pipe would stop the child once full, while this process is still busy
    with its own share."""

    def __init__(self, function: Callable[[int], Any], count: int, start: int) -> None:
        self._function, self._count = function, count
        self._pid: int | None = None
        self._file: IO[bytes] | None = None
        self.start = start if start < count and self._fork(start) else count

    def _fork(self, start: int) -> bool:
        """Start the child; False where the system cannot (this process then does it all)."""
        # Only here: 5 ms of the start of a build too small for a helper (one new post).
        import pickle  # noqa: F401 (for the child and results(), loaded once before the fork)
        import tempfile

        try:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__)
        except OSError:
            return False
        gc.freeze()  # as for a pool: the child's collector would copy every inherited page
        try:
            self._pid = os.fork()
        except OSError:
            return False
        if self._pid == 0:
            self._child(self._file, start)
        return True

    def _child(self, file: IO[bytes], start: int) -> None:
        import pickle

        code = 1
        try:
            done = [self._function(i) for i in range(start, self._count)]
            pickle.dump(done, file, pickle.HIGHEST_PROTOCOL)
            file.flush()
            code = 0
        finally:
            os._exit(code)  # nothing of the parent's (atexit, buffers, connections) runs here

    def results(self) -> Iterator[Any]:
        """The child's results once it is done; if it failed, they are made here, so an
        error surfaces as it would have in-process."""
        if self._pid is None or self._file is None:
            return
        import pickle

        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        done: list[Any] | None = None
        if status == 0:
            self._file.seek(0)
            # Any failure to read them back (a truncated file, a result that does not
            # unpickle) only costs the time: they are made again below.
            with contextlib.suppress(Exception):
                done = pickle.load(self._file)  # noqa: S301 (our own child wrote it)
        if done is None:
            done = [self._function(i) for i in range(self.start, self._count)]
        yield from done

    def __enter__(self) -> _Helper:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pid is not None:  # the results were not wanted after all
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None
        if self._file is not None:
            self._file.close()
            self._file = None
            gc.unfreeze()


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
