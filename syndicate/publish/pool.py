"""One publisher per account, made on first use with its credentials and kept for the run
(a Bluesky session, an HTTP connection pool)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy import Engine, select

from syndicate.accounts import AccountSettings
from syndicate.clock import Clock
from syndicate.publish.base import Context, Factory, Publisher
from syndicate.publish.credentials import resolve
from syndicate.publish.network import factory as registered
from syndicate.store import schema
from syndicate.store.schema import upsert


class LedgerState:
    """A publisher's durable state, in the ledger's `state` table under its account's name."""

    def __init__(self, engine: Engine, account: str) -> None:
        self._engine = engine
        self._prefix = f"account:{account}:"

    def get(self, key: str) -> str | None:
        with self._engine.connect() as conn:
            value = conn.execute(
                select(schema.state.c.value).where(schema.state.c.key == self._prefix + key)
            ).scalar()
        return None if value is None else str(value)

    def put(self, key: str, value: str) -> None:
        with self._engine.begin() as conn:
            upsert(conn, schema.state, [{"key": self._prefix + key, "value": value}], "key")


class PublisherPool:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        environ: Mapping[str, str],
        base_dir: Path,
        *,
        factory: Callable[[str], Factory] = registered,
        timeout: float = 30.0,
        site_url: str = "",
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._environ = environ
        self._base_dir = base_dir
        self._factory = factory
        self._timeout = timeout
        self._site_url = site_url
        self._made: dict[str, Publisher] = {}

    def get(self, account: AccountSettings) -> Publisher:
        """The account's publisher; AuthError when its credentials cannot be read."""
        if account.name not in self._made:
            secrets = resolve(account, self._environ, self._base_dir)
            context = Context(
                account=account,
                secrets=secrets,
                clock=self._clock,
                state=LedgerState(self._engine, account.name),
                timeout=self._timeout,
                site_url=self._site_url,
            )
            self._made[account.name] = self._factory(account.network)(context)
        return self._made[account.name]

    def forget(self, account: str) -> None:
        """Drop a publisher (after its credentials were refused: they may be fixed)."""
        publisher = self._made.pop(account, None)
        if publisher is not None:
            publisher.close()

    def close(self) -> None:
        for name in list(self._made):
            self.forget(name)
