"""A daemon's part in a cluster ([cluster] enabled): whether it owns the blog (and so builds
it), and the feeds every node serves from the ledger, kept current by LISTEN/NOTIFY."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from syndicate import __version__
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.daemon.owner_lease import OwnerLease
from syndicate.daemon.worker import RETRY, Worker
from syndicate.metrics import Metrics
from syndicate.store.ledger import Ledger
from syndicate.store.nodes import NodeBeat, Nodes
from syndicate.store.notifications import Listener
from syndicate.store.ownership import Ownership
from syndicate.web.shared_feeds import SharedFeeds

log = logging.getLogger("syndicate.daemon")

_REFRESH_SECONDS = 2.0  # at the latest, even when a notification was lost


class ClusterNode:
    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        clock: Clock,
        metrics: Metrics,
        *,
        on_gain: Callable[[], None],
        on_feeds_changed: Callable[[], None],
    ) -> None:
        self._clock = clock
        self._metrics = metrics
        ownership = Ownership(ledger.database, settings.blog_name)
        ttl = timedelta(seconds=settings.cluster.lease_seconds)
        self.lease = OwnerLease(ownership, ledger, settings.node_name, ttl, clock, on_gain=on_gain)
        self.shared = SharedFeeds(ledger, on_change=on_feeds_changed)
        self._listener = Listener(settings.store_url)
        self.worker = Worker("shared-feeds", self._follow, clock=clock, backoff=RETRY)
        self.followed: datetime | None = None  # the last refresh from the ledger that worked
        self._nodes = Nodes(ledger.database, settings.blog_name)
        self._name = settings.node_name
        self._started = clock.now()
        self._beat_every = ttl / 3
        self._beats = Worker("node-beat", self._beat, clock=clock, backoff=RETRY)

    def start(self) -> None:
        self.lease.start()
        self.worker.start()
        self._beats.start()

    def stop(self) -> None:
        """Stop following, then give the lease up (after the daemon's last build)."""
        self._beats.stop()
        self.worker.stop()
        self._listener.close()
        self.lease.stop()
        try:
            self._nodes.gone(self._name)
        except Exception:  # the row goes stale instead; status shows it as silent
            log.exception("cannot take this node off the cluster's list")

    def owns(self) -> bool:
        return self.lease.owns()

    def _follow(self) -> datetime:
        started = self._clock.now()
        self.shared.refresh()
        self.followed = started
        lease = self.lease.lease
        self._metrics.cluster_owner.set(1 if self.owns() else 0)
        self._metrics.cluster_epoch.set(lease.epoch if lease is not None else 0)
        self._metrics.cluster_followed.set(started.timestamp())
        self._listener.wait(_REFRESH_SECONDS)  # a build's commit notifies; else a timeout
        return self._clock.now()  # again at once: the wait paces the loop

    def _beat(self) -> datetime:
        """Tell the ledger this node is alive (what `syndicate status` lists)."""
        now = self._clock.now()
        host = socket.gethostname()
        self._nodes.beat(NodeBeat(self._name, host, os.getpid(), __version__, self._started, now))
        return now + self._beat_every
