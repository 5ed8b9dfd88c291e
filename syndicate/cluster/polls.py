"""On a cluster, remote sources are polled by every replica, a host at a time: procrastinate
jobs on a queue of the blog's own (`<queue>-polls`), run by a worker in each replica.

- `plan_polls`, every POLL_TICK seconds, deferred once per tick for the whole cluster: closes
  the jobs of a worker that went silent, and defers `poll_host` for each host with a source
  due (store/inbox.py: each replica gives its configured sources a due row when it starts);
- `poll_host(blog, host, slot)`: polls that host's due sources one after the other, and keeps
  what each poll found in the inbox, with the source's next due time, in one transaction.
  Its `lock` (one per host and slot, `watch.per_host` slots, shared by every blog of the
  deployment) means at most `per_host` polls in flight to a host across the cluster; its
  `queueing_lock` keeps one job of the blog waiting at most. Before each poll the job asks
  whether procrastinate still has it running: a worker frozen past its heartbeat wakes to
  find its job closed and the host handed on, and stops instead of polling beside the new job.

The owner's build takes the waiting polls in and deletes them in its own transaction
(daemon/inbox_reader.py), so a poll is stored once whichever node made it. A node killed
mid-job loses that poll only: the source stays due, its job is closed when the worker's
heartbeat stops, and the next tick hands the host to a living node.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.job_context import JobContext

from syndicate.clock import Clock
from syndicate.cluster.tasks import (
    KEEP_FINISHED_HOURS,
    Liveness,
    QueueWorker,
    apply_schema,
    close_stalled,
    conninfo,
    polls_queue_of,
    purge_queue,
)
from syndicate.config import Settings, SourceSettings
from syndicate.logs import fields
from syndicate.metrics import Metrics
from syndicate.pipeline.remote_entries import batch_to_json, source_prefix
from syndicate.store.database import Database
from syndicate.store.inbox import PollInbox
from syndicate.store.ledger import Ledger
from syndicate.watch.addresses import host_of
from syndicate.watch.poll import (
    KnownDates,
    Normaliser,
    SourceClients,
    batch_of,
    log_outcome,
    poll,
    stored_state,
)

log = logging.getLogger("syndicate.cluster")

PLAN_POLLS = "syndicate.plan_polls"
PURGE_POLLS = "syndicate.purge_polls"
POLL_HOST = "syndicate.poll_host"
POLL_THREADS = 4  # hosts polled at once by one replica
POLL_TICK = 1  # seconds between two looks for due hosts, cluster-wide
_JOIN = 30.0  # seconds to wait for the polls under way at a stop


def slot_of(name: str, slots: int) -> int:
    """Which of a host's `per_host` slots polls this source (the same on every node)."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % slots


class ClusterPolls:
    """One replica's share of the polling: its procrastinate app and worker for the polls."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        normaliser: Normaliser,
        clock: Clock,
        metrics: Metrics,
        *,
        liveness: Liveness,
        clients: SourceClients | None = None,
    ) -> None:
        self.blog = settings.blog_name
        self.queue = polls_queue_of(self.blog)
        self._sources = {s.name: s for s in settings.sources}
        self._per_host = settings.watch.per_host
        self._ledger = ledger
        self._inbox = PollInbox(ledger.database)
        self._normaliser = normaliser
        self._clock = clock
        self._metrics = metrics
        self._liveness = liveness
        self._clients = clients or SourceClients()
        # The job tables' database: made ready at start, asked after a job that may be closed.
        self._jobs = Database(settings.jobs_url)
        connector = procrastinate.PsycopgConnector(conninfo=conninfo(settings.jobs_url))
        self.app = procrastinate.App(connector=connector)
        self._worker = QueueWorker(self.app, self.queue, liveness, jobs=POLL_THREADS)
        self.stopping = self._worker.stopping  # a job stops between two polls
        self._thread: threading.Thread | None = None

        @self.app.periodic(cron=f"* * * * * */{POLL_TICK}", periodic_id=self.queue)
        @self.app.task(name=PLAN_POLLS, queue=self.queue, queueing_lock=f"plan-polls:{self.blog}")
        async def plan_polls(timestamp: int) -> None:
            await self.plan()

        @self.app.periodic(cron="47 * * * *", periodic_id=f"purge-{self.queue}")
        @self.app.task(name=PURGE_POLLS, queue=self.queue, queueing_lock=f"purge-polls:{self.blog}")
        async def purge_polls(timestamp: int) -> None:
            await purge_queue(self.app, self.queue, KEEP_FINISHED_HOURS)

        @self.app.task(name=POLL_HOST, queue=self.queue, pass_context=True)
        def poll_host(context: JobContext, blog: str, host: str, slot: int) -> None:
            job = context.job.id
            assert job is not None  # a job that runs has been stored
            self.poll_host(blog, host, slot, still_ours=partial(self.doing, job))

        self._poll_task = poll_host

    # -- the tasks' work ---------------------------------------------------------------------

    async def plan(self) -> list[tuple[str, int]]:
        """One tick: the hosts (and slots) a poll job was deferred for."""
        now = self._clock.now()
        await close_stalled(self.app, self.queue, self._liveness.stalled)
        due = await asyncio.to_thread(self._inbox.due_hosts, now, self._sources)
        slots = range(self._per_host)
        return [(host, slot) for host in due for slot in slots if await self._defer(host, slot)]

    def poll_host(
        self, blog: str, host: str, slot: int, still_ours: Callable[[], bool] = lambda: True
    ) -> int:
        """Poll the sources of `host` (in `slot`) that are due, while `still_ours()`; how many
        were polled. A worker frozen past its heartbeat has had its job closed and the host
        handed on when it wakes: asked before every poll, `still_ours` stops it there rather
        than send the host a request beside the new job's."""
        if blog != self.blog:
            log.warning("poll job not for this replica", extra=fields(host=host))
            return 0
        polled = 0
        for name in self._inbox.due_on(host, self._clock.now()):
            source = self._sources.get(name)
            if source is None or slot_of(name, self._per_host) != slot:
                continue  # another slot's, or a source this replica's settings do not have
            if self.stopping.is_set() or not still_ours():
                break
            self.poll_one(source, host)
            polled += 1
        return polled

    def doing(self, job: int) -> bool:
        """Whether procrastinate still has `job` running (not closed as a silent worker's)."""
        with self._jobs.reading() as cursor:
            query = "SELECT status FROM procrastinate_jobs WHERE id = :job"
            cursor.execute(self._jobs.statement(query), {"job": job})
            row = cursor.fetchone()
        return row is not None and str(row[0]) == "doing"

    def poll_one(self, source: SourceSettings, host: str) -> None:
        """Poll `source` from its newest state, and keep what the poll found."""
        text = self._inbox.latest_state(source.name) or self._ledger.source_state(source.name)
        state = stored_state(text)
        prefix = source_prefix(source.name)
        now = self._clock.now()
        outcome = poll(
            self._clients.get(source),
            source,
            state,
            now,
            normaliser=self._normaliser,
            known_dates=KnownDates(lambda: self._ledger.dates_under(prefix)),
        )
        self._metrics.source_polls.labels(outcome=outcome.kind.value).inc()
        log_outcome(outcome, log)
        batch = batch_of(source, state, outcome)
        due = outcome.state.next_poll or now + timedelta(seconds=source.interval)
        self._inbox.put(source.name, host, batch.state, batch_to_json(batch), due)

    async def _defer(self, host: str, slot: int) -> bool:
        # The lock names the host alone: every blog of a deployment shares the job tables
        # (Settings.jobs_url), so at most `per_host` polls are in flight to a host for them all.
        lock = f"poll:{host}:{slot}"
        deferrer = self._poll_task.configure(
            lock=lock, queueing_lock=f"poll:{self.blog}:{host}:{slot}"
        )
        try:
            await deferrer.defer_async(blog=self.blog, host=host, slot=slot)
        except AlreadyEnqueued:
            return False
        return True

    # -- the worker ----------------------------------------------------------------------------

    def start(self, name: str) -> None:
        """The worker, in a thread with its own event loop, once the job tables exist and
        every source this replica knows has a due row (a new one due now)."""
        apply_schema(self._jobs.engine)
        hosts = {name: host_of(source.url) for name, source in self._sources.items()}
        self._inbox.plan(hosts, self._clock.now())
        self._thread = threading.Thread(target=self._run, args=(name,), name="polls", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """From any thread: the polls under way end (each bounded by its timeout), then the
        worker; the clients close."""
        self._worker.stop()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(_JOIN)
        self._clients.close()
        self._jobs.close()

    def _run(self, name: str) -> None:
        try:
            asyncio.run(self._worker.run(name))
        except Exception:  # the daemon goes on serving feeds; the log says why polls stopped
            log.exception("the cluster's poll worker stopped")
