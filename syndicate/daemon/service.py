"""`syndicate run`: watch the posts, rebuild what changed, tell hubs, serve the feeds.

    watcher (file events or polling) ──┐
    scheduler: rescans, future posts ───┼─> build loop (one build at a time) ─> hub worker
    scheduler: remote source polls ─────┘            │
                                                  ledger ─> HTTP app (uvicorn, 127.0.0.1)

Builds run in one thread, one at a time; requests that arrive meanwhile are merged into the
next. SIGTERM or SIGINT lets the build under way finish, then everything stops and the process
exits 0. Every step leaves the ledger and the feed files consistent (transactions, atomic
renames), so a process killed at any point resumes on the next start: its first build scans
the posts and catches up, and the hub worker pings what was left due.
"""

from __future__ import annotations

import ctypes
import gc
import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from syndicate.admin.dashboard import PostList
from syndicate.admin.routes import admin_routes
from syndicate.clock import Clock, SystemClock
from syndicate.config import Settings
from syndicate.content.tags import TagResolver
from syndicate.daemon.build_loop import BuildLoop
from syndicate.daemon.cluster_node import ClusterNode
from syndicate.daemon.hub_pings import HubWorker
from syndicate.daemon.inbox_reader import InboxReader
from syndicate.daemon.mirror import make_mirror
from syndicate.daemon.outbox_passes import PublishWorker, count_outcome
from syndicate.daemon.source_polls import SourcePoller
from syndicate.feeds.output import OutputDir
from syndicate.feeds.websub import HubPinger
from syndicate.logs import fields
from syndicate.metrics import Metrics
from syndicate.pipeline.builder import Builder, BuildReport
from syndicate.pipeline.events import visibility_boundary
from syndicate.pipeline.remote_entries import RemoteBatch
from syndicate.publish.opening import make_dispatcher
from syndicate.store.cache import RenderCache
from syndicate.store.inbox import PollInbox
from syndicate.store.ledger import Ledger
from syndicate.watch.local import LocalWatcher
from syndicate.watch.poll import Normaliser, make_client
from syndicate.web.app import create_app
from syndicate.web.catalog import FeedList, files_from_ledger
from syndicate.web.health import HealthFacts
from syndicate.web.limits import Limits
from syndicate.web.server import BackgroundServer

if TYPE_CHECKING:
    from syndicate.cluster.node import ClusterPublisher
    from syndicate.cluster.polls import ClusterPolls

log = logging.getLogger("syndicate.daemon")


class Daemon:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.started = self.clock.now()
        self.metrics = Metrics()
        self.ledger = Ledger.open(settings.store_url)
        self.cache = RenderCache(settings.cache_path)
        self.builder = Builder(
            settings,
            ledger=self.ledger,
            cache=self.cache,
            output=_swept(OutputDir(settings.output_dir, fsync=settings.build.fsync)),
            clock=self.clock,
        )
        self.last_success: datetime | None = None
        self.feeds = FeedList(files_from_ledger(settings, self.builder.feed_records.values()))
        self.loop = BuildLoop(self._build, self.clock)
        # The clock's triggers: periodic rescans and the moments posts go live or expire. They
        # only ask the build loop for a build. A job that runs late (a busy machine, a
        # suspended laptop) still runs, once. Polls and publishing have workers of their own:
        # twelve slow sources must not hold back a rescan or a future post going live.
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"misfire_grace_time": None, "coalesce": True},
        )
        self.watcher = LocalWatcher(
            self.builder.root,
            self.builder.layout.posts_dir,
            self.builder.loader.accepts,
            lambda paths: self.loop.request(paths, "files"),
            poll=settings.watch.poll,
            poll_interval=settings.watch.poll_interval,
            debounce=settings.watch.debounce,
        )
        self._stop = threading.Event()
        self._http = make_client()
        self.hubs = self._hub_worker()
        self.poller = self._source_poller()
        self.cluster_polls, self.inbox_reader = self._cluster_polls()
        self.publisher = self._publish_worker()
        self.posts = PostList(self.builder.records.values())
        self._owner_work_started = False
        self._catch_up = False  # set when this node took the blog over: reload, rebuild all
        self.cluster = self._cluster_node()
        self.mirror = make_mirror(
            settings, self.ledger, self.feeds, lambda: self.builder.feed_records,
            clock=self.clock, metrics=self.metrics,
            owns=lambda: self.cluster is None or self.cluster.owns(),
        )  # fmt: skip
        admin = admin_routes(
            settings, self.ledger, self.posts, self.feeds, self._health, self.clock,
            wake=self._wake_publisher, metrics=self.metrics,
        )  # fmt: skip
        app = create_app(
            settings,
            self.feeds,
            self.metrics,
            self._health,
            clock=self.clock,
            admin=admin,
            shared=self.cluster.shared if self.cluster is not None else None,
        )
        self.server = BackgroundServer(
            app,
            settings.server.host,
            settings.server.port,
            limits=Limits.of(settings.server),
            parser=settings.server.http,
        )

    # -- lifecycle -----------------------------------------------------------------------

    def run(self, on_ready: Callable[[str], None] | None = None) -> int:
        """Run until SIGTERM or SIGINT (or `stop()`); returns the exit status. `on_ready` is
        told the server's URL once it listens."""
        if threading.current_thread() is threading.main_thread():
            self._install_signal_handlers()
        self.server.start()
        if on_ready is not None:
            on_ready(self.url)
        self.watcher.start()  # before the first scan, so no change falls between the two
        if self.cluster is not None:
            self.cluster.start()  # polls and hub pings start once this node owns the blog
        if self.cluster_polls is not None:
            self.cluster_polls.start(self.settings.node_name)  # every node polls its share
        self.loop.start()
        self.loop.request(None, "start")
        self.scheduler.start()
        if self.settings.watch.rescan:
            self.scheduler.add_job(
                lambda: self.loop.request(None, "rescan"),
                "interval",
                seconds=self.settings.watch.rescan,
                id="rescan",
            )
        if self.cluster is None:
            self._start_owner_work()
        if self.publisher is not None:
            self.publisher.start()
        log.info(
            "syndicate is running",
            extra=fields(url=self.url, feeds=str(self.settings.output_dir)),
        )
        self._stop.wait()
        self._shutdown()
        return 0

    def stop(self) -> None:
        self._stop.set()

    @property
    def url(self) -> str:
        return self.server.url

    def _install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("stopping", extra=fields(signal=signal.Signals(signum).name))
            self._stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _shutdown(self) -> None:
        self.watcher.stop()
        if self.publisher is not None:
            self.publisher.stop()  # the send under way ends first: no delivery left in doubt
        self.scheduler.shutdown(wait=False)
        self._http.close()
        if self.poller is not None:
            self.poller.close()  # a poll under way ends now; it is polled again after a restart
        if self.cluster_polls is not None:
            self.cluster_polls.stop()
        if self.inbox_reader is not None:
            self.inbox_reader.stop()
        self.loop.stop()  # the build under way finishes first
        if self.mirror is not None:
            self.mirror.stop()  # its upload under way ends, and what it confirmed is saved
        if self.cluster is not None:
            self.cluster.stop()  # then the lease is given up: another node takes over at once
        if self.hubs is not None:
            self.hubs.stop()
        self.server.stop()
        self.cache.close()
        self.ledger.close()
        log.info("stopped")

    # -- building ------------------------------------------------------------------------

    def _build(self, paths: set[str] | None, reasons: set[str], remote: list[RemoteBatch]) -> None:
        if self.cluster is not None and not self.cluster.owns():
            return  # another node builds; this one serves what it stores
        trigger = ",".join(sorted(reasons))
        started_at = self.clock.now()
        started = time.perf_counter()
        full, self._catch_up = self._catch_up, False
        try:
            if full:  # the former owner wrote the ledger since this node last read it
                self.builder.reload()
            changed = None if paths is None or full else sorted(paths)
            report = self.builder.build(changed=changed, remote=remote, full=full)
        except Exception as exc:
            self.metrics.errors.labels(where="build").inc()
            log.exception("build failed", extra=fields(trigger=trigger))
            self._remember_error(f"build failed: {exc}")
            self._catch_up = self._catch_up or full
            if remote and self.poller is not None:
                self.poller.reset(self.ledger.source_states())
            if remote and self.inbox_reader is not None:
                self.inbox_reader.reset()  # the polls still wait in the ledger
            return
        finally:
            self.metrics.build_seconds.observe(time.perf_counter() - started)
            self.metrics.scans.labels(trigger=trigger).inc()
        self.last_success = started_at
        if paths is None or report.read + len(report.written) > _LARGE_BUILD:
            release_memory()  # a scan of every post, or a large change, frees a lot
        self.feeds.replace(files_from_ledger(self.settings, self.builder.feed_records.values()))
        self.posts.replace(self.builder.records.values())
        if report.written and self.hubs is not None:
            self.hubs.wake()
        if report.events and self.publisher is not None:
            self.publisher.wake()
        if self.mirror is not None:
            self.mirror.wake()  # after every build: it also catches up after S3 failures
        self._record(report, trigger)
        self._schedule_wakeup()

    def _record(self, report: BuildReport, trigger: str) -> None:
        moment = self.last_success or self.clock.now()
        self.metrics.last_scan.set(moment.timestamp())
        self.metrics.posts.set(report.public)
        self.metrics.feeds_written.inc(len(report.written))
        for event in report.events:
            self.metrics.events.labels(kind=event.kind).inc()
        for error in report.errors:
            self.metrics.errors.labels(where="post").inc()
            log.warning("post skipped", extra=fields(file=error.path, reason=error.reason))
        log.info(
            "built",
            extra=fields(
                trigger=trigger,
                seconds=round(report.seconds, 3),
                changes=len(report.changes),
                events=len(report.events),
                written=len(report.written),
                errors=len(report.errors),
            ),
        )
        self.builder.remember(report, trigger)

    def _remember_error(self, message: str) -> None:
        entry = {"at": self.clock.now().isoformat(), "error": message}
        try:
            known = json.loads(self.ledger.state().get("last_errors", "[]"))
            self.ledger.save(state={"last_errors": json.dumps([entry, *known][:20])})
        except Exception:  # the ledger itself may be what failed; the log has the error
            log.exception("cannot record the error in the ledger")

    def _schedule_wakeup(self) -> None:
        """A future-dated post goes live (and an expiring one goes) with no file event: wake up
        for the next such moment."""
        moment = visibility_boundary(self.builder.records.values(), self.clock.now())
        if moment is None:
            return
        self.scheduler.add_job(
            lambda: self.loop.request(set(), "schedule"),
            "date",
            run_date=moment + timedelta(seconds=1),
            id="visibility",
            replace_existing=True,
        )

    # -- a cluster's node ------------------------------------------------------------------

    def _cluster_node(self) -> ClusterNode | None:
        if not self.settings.cluster.enabled:
            return None
        return ClusterNode(
            self.settings,
            self.ledger,
            self.clock,
            self.metrics,
            on_gain=self._took_over,
            on_feeds_changed=self._shared_feeds_changed,
        )

    def _took_over(self) -> None:
        """This node owns the blog now: catch up with what the former owner wrote, then build
        every feed (so the ledger holds them all), and start the owner's work."""
        self._catch_up = True
        self.loop.request(None, "owner")
        self._start_owner_work()
        if self.poller is not None:
            self.poller.reset(self.ledger.source_states())  # what the former owner recorded
        if self.inbox_reader is not None:
            self.inbox_reader.reset()  # every poll the former owner left waiting

    def _shared_feeds_changed(self) -> None:
        self.feeds.replace(files_from_ledger(self.settings, self.ledger.feeds().values()))

    def _start_owner_work(self) -> None:
        """Polls and hub pings: only by the blog's owner (once; their writes are fenced)."""
        if self._owner_work_started:
            return
        self._owner_work_started = True
        if self.poller is not None:
            self.poller.start()
        if self.inbox_reader is not None:
            self.inbox_reader.start()
        if self.hubs is not None:
            self.hubs.start()
        if self.mirror is not None:
            self.mirror.start()

    # -- parts ---------------------------------------------------------------------------

    def _health(self) -> HealthFacts:
        last = self.last_success
        if self.cluster is not None and self.cluster.followed is not None:
            # A node that does not own the blog is doing its work when it keeps up with the
            # feeds the owner stores.
            last = max(last, self.cluster.followed) if last else self.cluster.followed
        return HealthFacts(
            last_success=last,
            rescan=self.settings.watch.rescan,
            started=self.started,
        )

    def _hub_worker(self) -> HubWorker | None:
        hubs = self.settings.feeds.hubs
        if not hubs:
            return None
        stopping = threading.Event()
        pinger = HubPinger(hubs, self._http, sleep=stopping.wait, metrics=self.metrics)

        def urls() -> dict[str, str]:
            # Hubs are told of subscription documents only: archives are not subscribed to.
            return {f.path: f.url for f in self.feeds() if not f.archive}

        return HubWorker(self.ledger, pinger, urls, stopping, clock=self.clock)

    def _normaliser(self) -> Normaliser:
        tags = TagResolver(self.settings.content.tag_aliases)
        return Normaliser(tags, self.builder.blog.authors)

    def _source_poller(self) -> SourcePoller | None:
        if not self.settings.sources or self.settings.cluster.enabled:
            return None  # a cluster's nodes share the polls (_cluster_polls)
        normaliser = self._normaliser()
        return SourcePoller(
            self.settings.sources,
            self.ledger.source_states(),
            normaliser=normaliser,
            records=lambda: self.builder.records,
            deliver=lambda batch: self.loop.request(set(), "source", batch),
            clock=self.clock,
            metrics=self.metrics,
            per_host=self.settings.watch.per_host,
        )

    def _cluster_polls(self) -> tuple[ClusterPolls | None, InboxReader | None]:
        """On a cluster: this node's share of the polls, and (once it owns the blog) the
        reader that hands every node's polls to its builds."""
        if not self.settings.sources or not self.settings.cluster.enabled:
            return None, None
        from syndicate.cluster.polls import ClusterPolls  # procrastinate: a cluster's alone
        from syndicate.cluster.tasks import Liveness

        lease = self.settings.cluster.lease_seconds
        polls = ClusterPolls(
            self.settings, self.ledger, self._normaliser(), self.clock, self.metrics,
            liveness=Liveness(heartbeat=lease / 3, stalled=lease),
        )  # fmt: skip
        deliver = lambda batch: self.loop.request(set(), "source", batch)  # noqa: E731
        return polls, InboxReader(PollInbox(self.ledger.database), deliver, self.clock)

    def _publish_worker(self) -> PublishWorker | ClusterPublisher | None:
        if not self.settings.accounts:
            return None
        dispatcher = make_dispatcher(
            self.settings,
            self.ledger,
            self.cache,
            self.clock,
            on_outcome=count_outcome(self.metrics),
        )
        if self.settings.cluster.enabled and not self.settings.publish.dry_run:
            # Imported here: procrastinate is the `postgresql` extra's, and a single node
            # (a dry run included: it sends nothing to share) never loads it.
            from syndicate.cluster.node import ClusterPublisher
            from syndicate.cluster.tasks import Liveness

            # A dead replica's job (and the account it holds) is let go within the lease, as
            # the blog is: heartbeats every third of it.
            lease = self.settings.cluster.lease_seconds
            return ClusterPublisher(
                dispatcher, self.settings.jobs_url, blog=self.settings.blog_name,
                liveness=Liveness(heartbeat=lease / 3, stalled=lease),
            )  # fmt: skip
        return PublishWorker(
            dispatcher,
            self.clock,
            self.metrics,
            dry_run=self.settings.publish.dry_run,
        )

    def _wake_publisher(self) -> None:
        """The dashboard changed the outbox: a retry or a send-now goes out at once."""
        if self.publisher is not None:
            self.publisher.wake()


_LARGE_BUILD = 200  # posts read plus files written after which freed memory is handed back


def _swept(output: OutputDir) -> OutputDir:
    """`output` without the temporary files a killed run left behind."""
    for rel in output.sweep():
        log.info("removed a temporary file left by a killed run", extra=fields(file=rel))
    output.forget_listing()  # the first build may come much later (a replica made owner)
    return output


def release_memory() -> None:
    """Give the memory a large build freed back to the system. glibc keeps freed blocks in its
    arenas; after a scan of 10,000 posts that is a third of the process (200 MB resident, 131 MB
    after trimming, which takes 70 ms), held for as long as the daemon runs."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc: nothing to do
    gc.collect()
    libc.malloc_trim(0)
