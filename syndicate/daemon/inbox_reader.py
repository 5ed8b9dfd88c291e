"""On a cluster, the owner's side of the polls: what any node's poll found waits in the
ledger's inbox (store/inbox.py, cluster/polls.py); this worker hands each waiting poll to the
build loop once, and the build deletes it in the transaction that stores its entries.

It looks every READ_EVERY seconds: the waiting ids, then the rows it has not handed on yet.
Not "the rows after the last id handed on": ids are drawn when a poll's transaction starts and
seen when it commits, so a poll from one node can appear after a later-numbered one from
another, and a high-water mark would skip it for good. After a build that failed, or when
this node has just taken the blog over, `reset()` hands every waiting poll on again: a poll
handed on twice is merged, and stored once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from syndicate.clock import Clock
from syndicate.daemon.worker import RETRY, Worker
from syndicate.logs import fields
from syndicate.pipeline.remote_entries import RemoteBatch, batch_from_json
from syndicate.store.inbox import PollInbox

log = logging.getLogger(__name__)

READ_EVERY = timedelta(seconds=1)


class InboxReader:
    def __init__(
        self, inbox: PollInbox, deliver: Callable[[RemoteBatch], None], clock: Clock
    ) -> None:
        self._inbox = inbox
        self._deliver = deliver
        self._clock = clock
        self._handed: set[int] = set()  # waiting polls handed on, until a build deletes them
        self._generation = 0  # one more at each reset: a step under way then hands on no mark
        self._lock = threading.Lock()
        self.worker = Worker("inbox", self._step, clock=clock, backoff=RETRY)

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()

    def reset(self) -> None:
        """Hand every waiting poll on again (the build that had them did not store them)."""
        with self._lock:
            self._handed.clear()
            self._generation += 1
        self.worker.wake()

    def _step(self) -> datetime:
        with self._lock:
            handed, generation = set(self._handed), self._generation
        ids = self._inbox.waiting_ids()
        new = [i for i in ids if i not in handed]
        rows = self._inbox.waiting(since=new[0]) if new else []
        for waiting in rows:
            if waiting.id in handed:
                continue
            try:
                batch = batch_from_json(waiting.batch, waiting.id)
            except (ValueError, KeyError, TypeError):  # said once, not every second
                log.exception("a waiting poll cannot be read", extra=fields(source=waiting.source))
            else:
                self._deliver(batch)
            with self._lock:
                if self._generation == generation:
                    self._handed.add(waiting.id)
        with self._lock:
            if self._generation == generation:  # forget those a build has deleted since
                self._handed.intersection_update(ids + [w.id for w in rows])
        return self._clock.now() + READ_EVERY
