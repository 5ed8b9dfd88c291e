"""The daemon's publisher when the cluster is on: this replica's procrastinate worker, in a
thread with its own event loop, started and stopped as the single-node PublishWorker is."""

from __future__ import annotations

import asyncio
import logging
import threading

from syndicate.cluster.tasks import LIVENESS, Cluster, Liveness, prepare_jobs
from syndicate.publish.dispatch import Dispatcher, worker_id

log = logging.getLogger("syndicate.cluster")

_JOIN = 60.0  # seconds: a send under way is bounded by its publisher's timeout


class ClusterPublisher:
    def __init__(
        self,
        dispatcher: Dispatcher,
        jobs_url: str,
        *,
        blog: str,
        liveness: Liveness = LIVENESS,
    ) -> None:
        self.dispatcher = dispatcher
        self._jobs_url = jobs_url
        self.cluster = Cluster(dispatcher, jobs_url, blog=blog, liveness=liveness)
        self._thread = threading.Thread(target=self._run, name="cluster", daemon=True)

    def start(self) -> None:
        prepare_jobs(self._jobs_url)
        self._thread.start()

    def wake(self) -> None:
        """Nothing to do at once: the next tick (a few seconds) plans and defers the sends,
        on whichever replica takes it."""

    def stop(self) -> None:
        self.cluster.stop()
        if self._thread.is_alive():
            self._thread.join(_JOIN)
        self.dispatcher.pool.close()

    def _run(self) -> None:
        try:
            asyncio.run(self.cluster.run(worker_id()))
        except Exception:  # the daemon goes on serving feeds; the log says why sends stopped
            log.exception("the cluster worker stopped")
