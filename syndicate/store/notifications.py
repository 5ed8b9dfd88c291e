"""PostgreSQL's LISTEN/NOTIFY: a build that stores feed documents notifies `syndicate_feeds`
at its commit (store/ledger.py); every node of a cluster listens, and refreshes its copy.

A notification is a hint, not the truth: one sent while a node was reconnecting is lost, so
the caller refreshes on a timer too (`wait` returns after `timeout` seconds regardless).
"""

from __future__ import annotations

from typing import Any

from syndicate.errors import StoreError

CHANNEL = "syndicate_feeds"


class Listener:
    """One dedicated connection listening on CHANNEL (reopened after a failure)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        # psycopg's own connection string: the SQLAlchemy URL without its driver name.
        parsed = make_url(url).set(drivername="postgresql")
        self._conninfo = parsed.render_as_string(hide_password=False)
        self._conn: Any = None

    def wait(self, timeout: float) -> bool:
        """Block until a notification arrives (True) or `timeout` seconds pass (False)."""
        import psycopg

        try:
            if self._conn is None:
                self._conn = psycopg.connect(self._conninfo, autocommit=True)
                self._conn.execute(f"LISTEN {CHANNEL}")
            for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                return True
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"cannot listen for feed changes: {exc}") from exc
        return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
