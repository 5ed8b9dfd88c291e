"""Replicas sharing one PostgreSQL outbox through procrastinate: each account is sent for by one
worker at a time across the cluster, and a delivery whose worker was SIGKILLed in the middle
of its send is found on the network by another replica, not posted again.

The networks are real peers on 127.0.0.1: webhook receivers (tests/peers/webhooks.py) and
mastodon-mock behind its relay (tests/peers/mastodon.py), whose "stall" lets the instance
post a status and never answer, as a process killed mid-send leaves it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text

from syndicate.clock import SystemClock
from syndicate.cluster.tasks import (
    KEEP_FINISHED_HOURS,
    Cluster,
    apply_schema,
    polls_queue_of,
    purge_queue,
)
from syndicate.config import Settings, load_settings
from syndicate.model import Delivery, DeliveryStatus
from syndicate.pipeline.opening import open_builder
from syndicate.publish.dispatch import Dispatcher, Outcome
from syndicate.publish.pool import PublisherPool
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Outbox
from tests.cluster.conftest import write_config
from tests.cluster.replica import QUICK
from tests.conftest import REPO, Blog
from tests.peers.mastodon import TOKEN, serve_mastodon
from tests.peers.webhooks import Answer, Request, SigningReceiver
from tests.test_daemon import Running, free_port

DEADLINE = 90.0  # seconds: generous on a loaded machine; only ever waited on a condition
STATUSES = "/api/v1/statuses"


def wait_for(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


def build(settings: Settings) -> None:
    with open_builder(settings, clock=SystemClock()) as builder:
        builder.build()


def deliveries(settings: Settings) -> list[Delivery]:
    ledger = Ledger.open(settings.store_url)
    try:
        return Outbox(ledger.engine).select()
    finally:
        ledger.close()


# -- one account, one worker at a time -------------------------------------------------------


class SlowHook(SigningReceiver):
    """A generic-webhook receiver that takes its time over each post and notes how many it
    was handling at once: two workers sending for its account together would show as 2."""

    def __init__(self) -> None:
        super().__init__(None)
        self.inside = 0
        self.most = 0
        self._count = threading.Lock()

    def respond(self, request: Request) -> Answer:
        with self._count:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(0.25)
        try:
            return super().respond(request)
        finally:
            with self._count:
                self.inside -= 1


def hook_account(name: str, tags: str = "") -> str:
    return f"""
[[accounts]]
name = "{name}"
network = "webhook"
credentials = {{url = "env:CLUSTER_HOOK_{name.upper()}"}}
{f'include_tags = ["{tags}"]' if tags else ""}
[accounts.timing]
delay = 0
"""


@dataclass
class Replica:
    """One replica in a thread of its own: its own engine, dispatcher and procrastinate app."""

    name: str
    settings: Settings
    environ: dict[str, str]
    sent: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ledger = Ledger.open(self.settings.store_url)
        clock = SystemClock()
        pool = PublisherPool(
            self.ledger.engine, clock, self.environ, self.settings.base_dir,
            site_url=self.settings.site.url,
        )  # fmt: skip
        self.dispatcher = Dispatcher(
            self.settings, self.ledger, Outbox(self.ledger.engine), pool,
            clock=clock, owner=f"{self.name}:1", on_outcome=self._count,
        )  # fmt: skip
        url = self.settings.jobs_url
        self.cluster = Cluster(self.dispatcher, url, blog=self.settings.blog_name, liveness=QUICK)
        self.thread = threading.Thread(target=self._work)

    def _work(self) -> None:
        asyncio.run(self.cluster.run(self.name))  # the coroutine made only if the thread runs

    def deferrer(self) -> Cluster:
        """Another procrastinate app over this replica's dispatcher, to defer jobs with."""
        return Cluster(self.dispatcher, self.settings.jobs_url, blog=self.settings.blog_name)

    def _count(self, outcome: Outcome) -> None:
        if outcome.result == "sent":
            self.sent.append(outcome.delivery.id)

    def close(self) -> None:
        self.cluster.stop()
        if self.thread.ident is not None:
            self.thread.join(DEADLINE)
        self.dispatcher.pool.close()
        self.ledger.close()


def workers(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one())


def test_one_account_is_sent_for_by_one_worker_at_a_time_across_the_cluster(
    cluster_blog: Blog,
) -> None:
    blog = cluster_blog
    blog.post("2024-05-01-old.html.md", {"title": "Old news"})
    with ExitStack() as stack:
        hooks = {name: stack.enter_context(SlowHook()) for name in ("a", "b")}
        environ = {f"CLUSTER_HOOK_{n.upper()}": hook.url for n, hook in hooks.items()}
        accounts = hook_account("a") + hook_account("b", tags="brief")
        settings = load_settings(write_config(blog, accounts))
        build(settings)  # what is there is taken as seen
        # Eight posts for "a", one of them for "b" too: while one replica works through a's
        # queue, the other is soon free, and would take a's next job were it not locked.
        for number in range(1, 9):
            tags = "brief" if number == 1 else "news"
            blog.post(f"2024-06-0{number}-news.html.md", {"title": f"News {number}", "tags": tags})
        build(settings)
        one, two = (Replica(name, settings, environ) for name in ("one", "two"))
        stack.callback(two.close)
        stack.callback(one.close)
        apply_schema(one.ledger.engine)
        apply_schema(two.ledger.engine)  # again: a replica starting after another
        one.dispatcher.take_events()
        one.dispatcher.replan()  # nine deliveries due now
        one.thread.start()
        two.thread.start()
        wait_for(lambda: workers(one.ledger) == 2, "both workers to register")
        # Both replicas' ticks would do it too; deferring from a third app, over and over,
        # makes a second job for each account wait while the first is under way.
        asyncio.run(defer(one.deferrer(), ("a", "b"), times=20))
        sent = DeliveryStatus.SENT
        wait_for(lambda: all(d.status is sent for d in deliveries(settings)), "every send")
    everything = deliveries(settings)
    assert len(everything) == 9
    assert sorted(one.sent + two.sent) == sorted(d.id for d in everything)  # each once
    assert one.sent and two.sent  # both replicas worked, on different accounts at a time
    for hook, count in ((hooks["a"], 8), (hooks["b"], 1)):
        assert hook.most == 1  # never two sends for one account at once
        assert len(hook.requests) == len(hook.stored) == count


async def defer(cluster: Cluster, accounts: tuple[str, ...], *, times: int = 1) -> None:
    """Dispatch jobs deferred from an app that runs no worker (another replica's tick)."""
    async with cluster.app.open_async():
        for _ in range(times):
            for account in accounts:
                await cluster.defer(account)
            await asyncio.sleep(0.1)


# -- a worker killed in the middle of a send ---------------------------------------------------


@contextmanager
def replica_process(config: Path, environ: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """tests/cluster/replica.py in a process of its own, as `syndicate run` would run it."""
    log = (config.parent / f"replica-{time.monotonic_ns()}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.cluster.replica", str(config)],
        cwd=REPO, env={**os.environ, **environ}, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(DEADLINE)
        log.close()


def test_a_send_cut_off_by_killing_its_worker_is_found_by_another_not_repeated(
    cluster_blog: Blog,
) -> None:
    blog = cluster_blog
    blog.post("2024-05-01-old.html.md", {"title": "Old news"})
    with serve_mastodon() as mastodon:
        account = f"""
[[accounts]]
name = "toots"
network = "mastodon"
server = "{mastodon.url}"
credentials = {{token = "env:CLUSTER_TOOTS_TOKEN"}}
[accounts.timing]
delay = 0
"""
        config = write_config(blog, account)
        settings = load_settings(config)
        environ = {"CLUSTER_TOOTS_TOKEN": TOKEN}
        build(settings)
        blog.post("2024-06-01-release.html.md", {"title": "A release"})
        build(settings)
        # The instance posts the status, and the answer never comes: the worker waits on it.
        mastodon.relay.lose("POST", STATUSES, "stall")

        def posts() -> int:
            return sum(1 for seen in mastodon.relay.seen if (seen.method, seen.path) ==
                       ("POST", STATUSES))  # fmt: skip

        with replica_process(config, environ) as first:
            wait_for(lambda: posts() == 1, "the first replica to post")
            (sending,) = deliveries(settings)
            assert sending.status is DeliveryStatus.SENDING
            assert sending.lease_owner is not None and sending.lease_owner.endswith(f":{first.pid}")
            first.kill()
            first.wait(DEADLINE)  # reaped: its pid is gone, so its claim is abandoned at once
        assert len(mastodon.statuses()) == 1
        # A job for the account waits already (a tick deferred it) while the killed one is
        # still `doing`, holding the account's lock: closing the killed job must free it.
        waiting = Replica("tick", settings, environ)
        try:
            asyncio.run(defer(waiting.deferrer(), ("toots",)))
        finally:
            waiting.close()
        with replica_process(config, environ):
            sent = DeliveryStatus.SENT
            wait_for(lambda: deliveries(settings)[0].status is sent, "the second to resolve it")
        (done,) = deliveries(settings)
        (status,) = mastodon.statuses()
        assert posts() == 1  # asked the network (find), never posted again
        assert done.remote_id == status["id"] and done.fence == 2
        assert done.lease_owner is None and "A release" in str(done.text)


# -- the daemon ----------------------------------------------------------------------------------


def test_syndicate_run_sends_through_the_cluster_and_stops_cleanly(
    cluster_blog: Blog, monkeypatch: pytest.MonkeyPatch
) -> None:
    blog = cluster_blog
    blog.post("2024-05-01-old.html.md", {"title": "Old news"})
    port = free_port()
    daemon_settings = f"[server]\nport = {port}\n[watch]\ndebounce = 0.05\nrescan = 0\n"
    with SigningReceiver(None) as hook:
        monkeypatch.setenv("CLUSTER_HOOK_A", hook.url)
        config = write_config(blog, hook_account("a") + daemon_settings)
        daemon = Running(config, port)
        try:
            wait_for(daemon.caught_up, "the first build")
            blog.post("2024-06-01-fresh.html.md", {"title": "Fresh news"})
            wait_for(lambda: len(hook.stored) == 1, "the post to reach the hook")
        finally:
            assert daemon.stop() == 0, daemon.log()
    (delivery,) = deliveries(load_settings(config))
    assert delivery.status is DeliveryStatus.SENT and delivery.fence == 1
    assert "syndicate.dispatch_account" in daemon.log()  # sent by a job, not an outbox pass
    assert "the cluster worker stopped" not in daemon.log()


# -- finished jobs are purged -------------------------------------------------------------------


def test_jobs_that_ended_without_success_are_purged_after_a_week(cluster_blog: Blog) -> None:
    """procrastinate deletes successful jobs as they end; the hourly purge removes the blog's
    failed, cancelled and aborted ones once they are older than a week, and no other queue's."""
    with SlowHook() as hook:
        settings = load_settings(write_config(cluster_blog, hook_account("a")))
        build(settings)
        replica = Replica("one", settings, {"CLUSTER_HOOK_A": hook.url})
        try:
            apply_schema(replica.ledger.engine)
            queue = replica.cluster.queue
            jobs = {
                "old failure": ended(replica.ledger, queue, "failed", hours_ago=200),
                "old cancel": ended(replica.ledger, queue, "cancelled", hours_ago=200),
                "recent failure": ended(replica.ledger, queue, "failed", hours_ago=2),
                "another blog's": ended(replica.ledger, "syndicate-other", "failed", hours_ago=200),
                "old failed poll": ended(replica.ledger, f"{queue}-polls", "failed", hours_ago=200),
            }
            asyncio.run(purge(replica.cluster))
            left = {name for name, job in jobs.items() if job in job_ids(replica.ledger)}
            assert left == {"recent failure", "another blog's", "old failed poll"}
            polls = polls_queue_of(settings.blog_name)
            assert polls == f"{queue}-polls"  # the polls' own hourly purge (cluster/polls.py)
            asyncio.run(purge_polls(replica.cluster, polls))
            left = {name for name, job in jobs.items() if job in job_ids(replica.ledger)}
        finally:
            replica.close()
    assert left == {"recent failure", "another blog's"}


def job_ids(ledger: Ledger) -> set[int]:
    with ledger.engine.connect() as conn:
        return set(conn.execute(text("SELECT id FROM procrastinate_jobs")).scalars())


def ended(ledger: Ledger, queue: str, status: str, *, hours_ago: float) -> int:
    """A job of `queue` that went todo -> doing -> `status` (cancelled: todo -> cancelled),
    its events moved `hours_ago` into the past."""
    with ledger.engine.begin() as conn:
        job = conn.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name) "
                "VALUES (:queue, 'syndicate.dispatch_account') RETURNING id"
            ),
            {"queue": queue},
        ).scalar_one()
        steps = ["cancelled"] if status == "cancelled" else ["doing", status]
        for step in steps:
            conn.execute(
                text("UPDATE procrastinate_jobs SET status = CAST(:s AS procrastinate_job_status) "
                     "WHERE id = :id"),
                {"s": step, "id": job},
            )  # fmt: skip
        conn.execute(
            text(
                "UPDATE procrastinate_events SET at = at - make_interval(hours => :h) "
                "WHERE job_id = :id"
            ),
            {"h": hours_ago, "id": job},
        )
    return int(job)


async def purge(cluster: Cluster) -> None:
    async with cluster.app.open_async():
        await cluster.purge()


async def purge_polls(cluster: Cluster, queue: str) -> None:
    async with cluster.app.open_async():
        await purge_queue(cluster.app, queue, KEEP_FINISHED_HOURS)
