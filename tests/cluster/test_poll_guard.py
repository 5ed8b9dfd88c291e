"""A cluster's poll job stops polling its host once procrastinate has closed it: a worker frozen
past its heartbeat (SIGSTOP, a suspended VM) has its job closed and the host handed to another
node; when it wakes, the next request it would send would be a second one in flight to that
host. The two-blog chaos storm (test_chaos_blogs.py) saw one; the job now asks before each poll.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial

import pytest
import sqlalchemy

from syndicate.clock import SystemClock
from syndicate.cluster.polls import ClusterPolls
from syndicate.cluster.tasks import LIVENESS, polls_queue_of, prepare_jobs
from syndicate.config import load_settings
from syndicate.metrics import Metrics
from syndicate.store.inbox import PollInbox
from syndicate.store.ledger import Ledger
from syndicate.watch.addresses import host_of
from syndicate.watch.normalise import Normaliser
from tests.cluster.conftest import write_config
from tests.conftest import Blog
from tests.peers.planet import HOSTS, Planet, sources_config


@pytest.fixture
def planet() -> Iterator[Planet]:
    with Planet() as serving:
        yield serving


def a_job(url: str, queue: str) -> int:
    """A poll_host job as a worker holds it: doing."""
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        job = conn.execute(
            sqlalchemy.text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, status) "
                "VALUES (:queue, 'syndicate.poll_host', 'doing') RETURNING id"
            ),
            {"queue": queue},
        ).scalar_one()
    engine.dispose()
    return int(job)


def close(url: str, job: int) -> None:
    """What close_stalled does to a silent worker's job."""
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sqlalchemy.text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = :id"),
            {"id": job},
        )
    engine.dispose()


def due_again(ledger: Ledger) -> None:
    with ledger.database.writing() as cursor:
        cursor.execute("UPDATE source_due SET due_ms = 0")


def test_a_poll_job_closed_under_its_worker_sends_its_host_nothing_more(
    cluster_blog: Blog, planet: Planet
) -> None:
    sources = 2 * len(HOSTS)  # two on each host
    settings = load_settings(write_config(cluster_blog, sources_config(planet, sources,
                                                                       include=False)))  # fmt: skip
    ledger = Ledger.open(settings.store_url)
    polls = ClusterPolls(settings, ledger, Normaliser(), SystemClock(), Metrics(),
                         liveness=LIVENESS)  # fmt: skip
    try:
        prepare_jobs(settings.jobs_url)
        inbox = PollInbox(ledger.database)
        inbox.plan({s.name: host_of(s.url) for s in settings.sources}, datetime.now(UTC))
        host = HOSTS[0]
        job = a_job(settings.jobs_url, polls_queue_of(settings.blog_name))
        assert polls.doing(job)
        still_ours = partial(polls.doing, job)
        assert polls.poll_host(settings.blog_name, host, 0, still_ours) == 2  # both due

        due_again(ledger)
        close(settings.jobs_url, job)  # the worker was silent too long: its job is closed
        assert not polls.doing(job)
        before = sum(planet.requests.values())
        assert polls.poll_host(settings.blog_name, host, 0, still_ours) == 0
        assert sum(planet.requests.values()) == before
        assert polls.poll_host(settings.blog_name, host, 0) == 2  # what the guard held back
    finally:
        polls.stop()
        ledger.close()
