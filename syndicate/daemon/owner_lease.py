"""On a cluster: this node's hold on the blog. A Worker takes or renews the owner lease every
third of its length (store/ownership.py); while it holds it the node builds, and the ledger
is fenced with it, so a write after the lease was lost is refused, not merely unlikely."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from syndicate.clock import Clock
from syndicate.daemon.worker import RETRY, Worker
from syndicate.logs import fields
from syndicate.store.ledger import Ledger
from syndicate.store.ownership import Lease, Ownership

log = logging.getLogger("syndicate.daemon")


class OwnerLease:
    def __init__(
        self,
        ownership: Ownership,
        ledger: Ledger,
        node: str,
        ttl: timedelta,
        clock: Clock,
        *,
        on_gain: Callable[[], None],
    ) -> None:
        self._ownership = ownership
        self._ledger = ledger
        self._node = node
        self._ttl = ttl
        self._clock = clock
        self._on_gain = on_gain
        self.lease: Lease | None = None
        # Until a lease is taken, the ledger refuses this node's writes (epoch 0 is nobody's).
        ledger.fence = Lease(ownership.blog, node, 0, datetime.fromtimestamp(0, UTC))
        self.worker = Worker("owner", self._step, clock=clock, backoff=RETRY)

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        """Stop renewing and give the lease up, so another node takes over at once."""
        self.worker.stop()
        if self.lease is not None:
            try:
                self._ownership.release(self.lease)
            except Exception:  # the lease runs out anyway
                log.exception("cannot release the blog's lease")

    def owns(self) -> bool:
        lease = self.lease
        return lease is not None and lease.until > self._clock.now()

    def _step(self) -> datetime:
        now = self._clock.now()
        lease = self._ownership.take(self._node, now, self._ttl)
        before, self.lease = self.lease, lease
        if lease is not None:
            self._ledger.fence = lease
        gained = lease is not None and (before is None or before.epoch != lease.epoch)
        if gained:
            assert lease is not None
            log.info("this node owns the blog now", extra=fields(epoch=lease.epoch))
            self._on_gain()
        elif before is not None and lease is None:
            log.warning("another node owns the blog now; building stops here")
        return now + self._ttl / 3
