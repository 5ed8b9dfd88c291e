"""Sessions ended by logging out, kept in the ledger's `state` table until they would have
expired anyway.

A session cookie is checked by its MAC alone (admin/auth.py), so without this a cookie copied
before logging out would keep working until it expired. Each logout stores the session's nonce
(`admin:ended:<nonce>`, with the moment it expires); a session whose nonce is there is refused.
The rows are few (one per logout within a session's lifetime) and expired ones go at the next
logout. In the ledger, so every daemon sharing it, and a restart, agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, select

from syndicate.store import schema
from syndicate.store.schema import upsert

_PREFIX = "admin:ended:"
_S = schema.state.c


def _stamp(moment: datetime) -> str:
    return f"{int(moment.timestamp()):012d}"  # fixed width: compares as text in time order


class EndedSessions:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def ended(self, nonce: str) -> bool:
        """Whether the session with `nonce` was logged out."""
        with self._engine.connect() as conn:
            found = conn.execute(select(_S.key).where(_S.key == _PREFIX + nonce)).first()
        return found is not None

    def end(self, nonce: str, expires: datetime, now: datetime) -> None:
        """Refuse the session with `nonce` from now on (it expires at `expires` anyway), and
        forget the ended sessions that have expired."""
        with self._engine.begin() as conn:
            conn.execute(
                delete(schema.state).where(
                    _S.key.startswith(_PREFIX, autoescape=True), _S.value < _stamp(now)
                )
            )
            upsert(conn, schema.state, [{"key": _PREFIX + nonce, "value": _stamp(expires)}], "key")
