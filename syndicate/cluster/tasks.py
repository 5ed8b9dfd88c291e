"""procrastinate jobs on the ledger's own PostgreSQL database hand each account's sends to one
replica at a time.

Three tasks, on a queue of the blog's own:
- `plan_outbox`, every TICK seconds: procrastinate defers it once per tick for the whole
  cluster (its `queueing_lock` skips a tick while one waits). It takes events in, queues
  re-shares, plans, closes the jobs of a worker that stopped beating (killed), and defers
  one `dispatch_account` per account with something due. It has no `lock`: a killed worker's
  plan job would hold it until a plan job freed it. Two plans at once (one took over a
  tick) are harmless: every step is an idempotent compare-and-set on the outbox;
- `dispatch_account(blog, account)`: the Dispatcher's `send_due` for that account alone. Its
  `lock` keeps two replicas from sending for one account at once (its order, caps and rate
  limit are seen by one worker at a time), its `queueing_lock` keeps one waiting at most;
- `purge_jobs`, hourly: procrastinate's own `delete_old_jobs` removes the blog's jobs that
  failed, were cancelled or aborted more than KEEP_FINISHED_HOURS ago (successful ones are
  deleted as they finish), so the job table does not grow for ever.

The jobs only decide who tries. Exactly once still rests on the outbox (claims with a fence,
`find()` before any resend), so a job run twice, or lost, does no harm: the next tick defers
whatever is still due.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from datetime import datetime

import msgspec
import procrastinate
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from syndicate.logs import fields
from syndicate.model import AccountState
from syndicate.publish.dispatch import Dispatcher
from syndicate.store.database import Database

log = logging.getLogger("syndicate.cluster")

TICK = 5  # seconds between two looks for due deliveries, cluster-wide
PLAN = "syndicate.plan_outbox"
DISPATCH = "syndicate.dispatch_account"
PURGE = "syndicate.purge_jobs"
KEEP_FINISHED_HOURS = 7 * 24  # a week to look at a failed job before it goes
_SCHEMA_LOCK = 7_306_030_105  # pg_advisory_xact_lock key: one replica creates the job tables


class Liveness(msgspec.Struct, frozen=True):
    """How soon a silent worker counts as gone and its jobs are closed."""

    heartbeat: float = 10.0  # seconds between a worker's heartbeats
    stalled: float = 30.0  # a worker silent this long is gone


LIVENESS = Liveness()  # procrastinate's own defaults


def conninfo(jobs_url: str) -> str:
    """libpq's form of a SQLAlchemy URL (procrastinate drives psycopg itself)."""
    url = make_url(jobs_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def queue_of(blog: str) -> str:
    """The blog's queue: several blogs may share a database, never each other's jobs."""
    return "syndicate-" + hashlib.sha256(blog.encode()).hexdigest()[:12]


def polls_queue_of(blog: str) -> str:
    """The queue of the blog's polls (cluster/polls.py), beside its sends'."""
    return queue_of(blog) + "-polls"


def dispatch_lock(blog: str, account: str) -> str:
    return f"dispatch:{blog}:{account}"


def prepare_jobs(jobs_url: str) -> None:
    """procrastinate's tables at `jobs_url` (Settings.jobs_url), made if they are missing."""
    database = Database(jobs_url)
    try:
        apply_schema(database.engine)
    finally:
        database.close()


def apply_schema(engine: Engine) -> None:
    """procrastinate's tables in the ledger's database, created once: replicas starting
    together wait on an advisory lock for the first one."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        cursor.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
        found = cursor.fetchone()
        if not (found and found[0]):
            cursor.execute(SchemaManager.get_schema())  # no parameters: several statements
        raw.commit()
    finally:
        raw.close()


class Cluster:
    """One replica's procrastinate app, its tasks bound to the replica's Dispatcher."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        jobs_url: str,
        *,
        blog: str,
        liveness: Liveness = LIVENESS,
    ) -> None:
        self.dispatcher = dispatcher
        self.blog = blog
        self.queue = queue_of(blog)
        self.liveness = liveness
        connector = procrastinate.PsycopgConnector(conninfo=conninfo(jobs_url))
        self.app = procrastinate.App(connector=connector)
        self._worker = QueueWorker(self.app, self.queue, liveness, jobs=1)
        self.stopping = self._worker.stopping  # a send loop stops between two sends

        # croniter's sixth field is the seconds: every TICK seconds of every minute.
        @self.app.periodic(cron=f"* * * * * */{TICK}", periodic_id=self.queue)
        @self.app.task(name=PLAN, queue=self.queue, queueing_lock=f"plan:{blog}")
        async def plan_outbox(timestamp: int) -> None:
            await self.plan()

        @self.app.task(name=DISPATCH, queue=self.queue)
        def dispatch_account(blog: str, account: str) -> None:
            self.dispatch(blog, account)

        @self.app.periodic(cron="17 * * * *", periodic_id=f"purge-{self.queue}")
        @self.app.task(name=PURGE, queue=self.queue, queueing_lock=f"purge:{blog}")
        async def purge_jobs(timestamp: int) -> None:
            await self.purge()

        self._dispatch_task = dispatch_account

    # -- the tasks' work ---------------------------------------------------------------------

    async def plan(self) -> list[str]:
        """One tick: plan the outbox and defer the sends due; the accounts deferred for."""
        accounts = await asyncio.to_thread(self._plan_outbox)
        await self._close_stalled()
        return [account for account in accounts if await self.defer(account)]

    async def purge(self, hours: int = KEEP_FINISHED_HOURS) -> None:
        await purge_queue(self.app, self.queue, hours)

    def dispatch(self, blog: str, account: str) -> None:
        """Send what is due for `account` (the job holds its lock cluster-wide)."""
        if blog != self.blog or account not in self.dispatcher.accounts:
            # A replica configured otherwise deferred it: it is not this one's to send.
            log.warning("dispatch job not for this replica", extra=fields(account=account))
            return
        self.dispatcher.send_due(self.stopping.is_set, account=account)

    async def defer(self, account: str) -> bool:
        """A dispatch job for `account`; False when one is waiting already."""
        lock = dispatch_lock(self.blog, account)
        deferrer = self._dispatch_task.configure(lock=lock, queueing_lock=lock)
        try:
            await deferrer.defer_async(blog=self.blog, account=account)
        except AlreadyEnqueued:
            return False
        return True

    def _plan_outbox(self) -> list[str]:
        dispatcher = self.dispatcher
        dispatcher.take_events()
        dispatcher.queue_reshares()
        dispatcher.replan()
        now = dispatcher.clock.now()
        states = dispatcher.outbox.accounts()
        due = {delivery.account for delivery in dispatcher.due()}
        return sorted(name for name in due if not _held(states.get(name), now))

    async def _close_stalled(self) -> None:
        """A killed worker's job stays `doing`, and a dispatch job would hold its account's
        lock for ever: `close_stalled` ends it. Not run again: a job for the same account may
        be waiting already (its queueing lock forbids two), and this tick defers one anyway;
        that job finds the claim abandoned and asks the network before any resend."""
        await close_stalled(self.app, self.queue, self.liveness.stalled)

    # -- the worker ----------------------------------------------------------------------------

    async def run(self, name: str) -> None:
        """Work on the blog's queue until `stop()`, one job at a time (the Dispatcher and its
        publishers are not shared between threads)."""
        await self._worker.run(name)

    def stop(self) -> None:
        """From any thread: the send under way ends, then the worker."""
        self._worker.stop()


class QueueWorker:
    """A procrastinate worker on one queue, run in the caller's event loop until `stop()`,
    which may come from any thread: the jobs under way end first (procrastinate's way to stop
    a worker is to cancel it), and a job's own loop can look at `stopping` between items."""

    def __init__(self, app: procrastinate.App, queue: str, liveness: Liveness, jobs: int) -> None:
        self._app = app
        self._queue = queue
        self._liveness = liveness
        self._jobs = jobs  # at once
        self.stopping = threading.Event()
        self._running: tuple[asyncio.AbstractEventLoop | None, asyncio.Task[None] | None] = (
            None,
            None,
        )

    async def run(self, name: str) -> None:
        async with self._app.open_async():
            self._running = (asyncio.get_running_loop(), asyncio.current_task())
            if self.stopping.is_set():
                return
            try:
                await self._app.run_worker_async(
                    queues=[self._queue],
                    name=name,
                    concurrency=self._jobs,
                    install_signal_handlers=False,  # the daemon's own handlers stop it
                    delete_jobs="successful",  # ticks every few seconds: the table stays small
                    update_heartbeat_interval=self._liveness.heartbeat,
                    stalled_worker_timeout=self._liveness.stalled,
                )
            except asyncio.CancelledError:
                if not self.stopping.is_set():
                    raise

    def stop(self) -> None:
        self.stopping.set()
        loop, task = self._running
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)


async def purge_queue(app: procrastinate.App, queue: str, hours: int) -> None:
    """Remove the queue's jobs that ended without success more than `hours` ago (procrastinate
    deletes the successful ones as they end)."""
    await app.job_manager.delete_old_jobs(
        nb_hours=hours,
        queue=queue,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )


async def close_stalled(app: procrastinate.App, queue: str, silent: float) -> None:
    """Close, as failed, the jobs of `queue` whose worker has been silent `silent` seconds
    (killed or frozen): a job left `doing` would hold its lock for ever."""
    manager = app.job_manager
    for job in await manager.get_stalled_jobs(queue=queue, seconds_since_heartbeat=silent):
        assert job.id is not None
        log.warning("a silent worker's job is closed", extra=fields(job=job.id))
        try:
            await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
        except ConnectorException:  # another replica's tick has just done it
            log.info("stalled job already closed", extra=fields(job=job.id))


def _held(state: AccountState | None, now: datetime) -> bool:
    """Paused, or rate limited: a job would only find it so."""
    if state is None:
        return False
    return state.paused or (state.not_before is not None and state.not_before > now)
