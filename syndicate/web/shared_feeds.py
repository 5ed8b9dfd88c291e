"""On a cluster: the feeds as the owner built them, from the ledger, so that every node serves
the same bytes and ETag whichever built them.

Each node keeps the current documents in memory, prepared as served (identity and gzip, with
their ETags). `refresh` asks the ledger for every document's ETag (no bodies) and reads only
those that changed; the daemon calls it when PostgreSQL notifies that a build stored
documents, and every few seconds in case a notification was lost with a connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from syndicate.store.ledger import FeedDocument, Ledger
from syndicate.web.representations import Representation, prepare


class SharedFeeds:
    def __init__(self, ledger: Ledger, on_change: Callable[[], None] = lambda: None) -> None:
        self._ledger = ledger
        self._on_change = on_change
        self._served: dict[str, Representation] = {}
        self._lock = threading.Lock()  # one refresh at a time; readers need none

    def get(self, path: str) -> Representation | None:
        return self._served.get(path)

    def refresh(self) -> int:
        """Take in the documents whose ETag changed; returns how many did."""
        with self._lock:
            etags = self._ledger.document_etags()
            served = self._served
            changed = [p for p, e in etags.items() if p not in served or _etag(served[p]) != e]
            gone = [p for p in served if p not in etags]
            if not changed and not gone:
                return 0
            fresh = {d.path: prepared(d) for d in self._ledger.documents(changed)}
            # A new dictionary, swapped in whole: a request never sees a half-made one.
            self._served = {p: r for p, r in {**served, **fresh}.items() if p in etags}
        self._on_change()
        return len(changed) + len(gone)


def prepared(document: FeedDocument) -> Representation:
    stamp = (0, 0, len(document.body), document.modified_ms)
    return prepare(document.body, stamp, document.modified_ms / 1000, document.etag)


def _etag(served: Representation) -> str:
    return served.identity.etag
