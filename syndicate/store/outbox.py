"""The outbox: deliveries (one per post and account) and account states, in the ledger's database.

Every change of a delivery's status is a compare-and-set on what the caller last read, so two
workers (two daemons sharing a PostgreSQL database, or a worker and the CLI) can never both
claim a delivery, and a worker whose lease ran out cannot overwrite the one that took over.
Each claim also increments the row's `fence`, and every write about a claim must match it: a
worker whose claim was taken over is refused even when the new claim carries the same owner
and lease (two containers are both "host:1"; a clock that stood still). On PostgreSQL the
claim first locks its row with FOR UPDATE SKIP LOCKED, so a replica whose peer is claiming the
same row moves on at once instead of queueing behind that transaction only to lose.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Engine, and_, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from syndicate.errors import StoreError
from syndicate.model import QUEUED, AccountState, Delivery, DeliveryStatus, Receipt, SentPart
from syndicate.redaction import redact
from syndicate.store import schema
from syndicate.store.schema import upsert

_D = schema.deliveries.c
_A = schema.account_states.c
_P = schema.delivery_parts.c
_CURSOR = "outbox_cursor"  # the last event sequence number the outbox has taken in


class NewDelivery(msgspec.Struct, frozen=True):
    post_pk: int
    entry_id: str
    account: str
    published_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    reason: str | None = None  # for a delivery created skipped or paused
    reshare: int = 0  # a planned re-share's number (see publish/evergreen.py)


class Intake(msgspec.Struct, frozen=True):
    """What a batch of events asks of the outbox, applied in one transaction with the cursor."""

    cursor: int
    new: Sequence[NewDelivery] = ()
    reopen: Sequence[tuple[int, str]] = ()  # (post, account): a withdrawn post is back
    withdrawn: Sequence[int] = ()  # posts no longer public: cancel what has not gone out
    accounts: Mapping[str, bool] = msgspec.field(
        default_factory=dict
    )  # account -> paused, for new rows


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- reading -------------------------------------------------------------------------

    def get(self, delivery_id: int) -> Delivery | None:
        rows = self._select(_D.id == delivery_id)
        return rows[0] if rows else None

    def select(
        self,
        *,
        statuses: Iterable[DeliveryStatus] | None = None,
        account: str | None = None,
        post_pk: int | None = None,
        post_pks: Iterable[int] | None = None,
    ) -> list[Delivery]:
        """Deliveries in creation order, filtered."""
        clauses: list[Any] = []
        if post_pks is not None:
            clauses.append(_D.post_pk.in_(sorted(set(post_pks))))
        if statuses is not None:
            clauses.append(_D.status.in_([str(s) for s in statuses]))
        if account is not None:
            clauses.append(_D.account == account)
        if post_pk is not None:
            clauses.append(_D.post_pk == post_pk)
        return self._select(and_(True, *clauses))

    def counts(self) -> dict[tuple[str, DeliveryStatus], int]:
        """How many deliveries each account has in each status, counted by the database."""
        query = select(_D.account, _D.status, func.count()).group_by(_D.account, _D.status)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return {(str(account), DeliveryStatus(status)): int(n) for account, status, n in rows}

    def accounts(self) -> dict[str, AccountState]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(schema.account_states)).mappings().all()
        return {
            str(r["account"]): AccountState(
                account=str(r["account"]),
                paused=bool(r["paused"]),
                reason=None if r["reason"] is None else redact(r["reason"]),
                since=_time(r["since"]),
                not_before=_time(r["not_before"]),
            )
            for r in rows
        }

    def cursor(self) -> int:
        with self._engine.connect() as conn:
            value = conn.execute(
                select(schema.state.c.value).where(schema.state.c.key == _CURSOR)
            ).scalar()
        return int(value) if value is not None else 0

    # -- taking events in ------------------------------------------------------------------

    def take(self, intake: Intake, now: datetime) -> None:
        moment = _stamp(now)
        new = [_new_row(d, intake.accounts.get(d.account, False), moment) for d in intake.new]
        with self._write() as conn:
            _insert_ignoring_duplicates(conn, schema.deliveries, new)
            for post_pk, account in intake.reopen:
                conn.execute(
                    update(schema.deliveries)
                    .where(
                        _D.post_pk == post_pk,
                        _D.account == account,
                        _D.reshare == 0,  # a withdrawn post's re-shares stay cancelled
                        _D.status == DeliveryStatus.SKIPPED,
                        _D.last_error == WITHDRAWN,
                    )
                    .values(status=DeliveryStatus.PENDING, last_error=None, updated=moment)
                )
            if intake.withdrawn:
                conn.execute(
                    update(schema.deliveries)
                    .where(
                        _D.post_pk.in_(list(intake.withdrawn)),
                        _D.status.in_([*QUEUED, DeliveryStatus.PAUSED, DeliveryStatus.FAILED]),
                    )
                    .values(status=DeliveryStatus.SKIPPED, last_error=WITHDRAWN, updated=moment)
                )
            upsert(conn, schema.state, [{"key": _CURSOR, "value": str(intake.cursor)}], "key")

    def queue(self, new: NewDelivery, now: datetime) -> bool:
        """Queue one delivery made outside the events (a re-share); False when that post,
        account and re-share number is queued already (another worker chose it too)."""
        row = _new_row(new, False, _stamp(now))
        with self._write() as conn:
            return _insert_ignoring_duplicates(conn, schema.deliveries, [row]) == 1

    # -- planning and sending --------------------------------------------------------------

    def plan(self, dues: Mapping[int, datetime], now: datetime) -> None:
        """Store planned times; a delivery that left the queue meanwhile is left alone."""
        with self._write() as conn:
            for delivery_id, due in dues.items():
                conn.execute(
                    update(schema.deliveries)
                    .where(_D.id == delivery_id, _D.status.in_(list(QUEUED)))
                    .values(status=DeliveryStatus.SCHEDULED, due=_stamp(due), updated=_stamp(now))
                )

    def claim(self, seen: Delivery, owner: str, now: datetime, until: datetime) -> Delivery | None:
        """Take `seen` for sending, if it is still as it was read; the claimed row, or None."""
        values = {
            "status": DeliveryStatus.SENDING,
            "fence": _D.fence + 1,  # this claim's number: its later writes must name it
            "lease_owner": owner,
            "lease_until": _stamp(until),
            "updated": _stamp(now),
        }
        with self._write() as conn:
            if conn.dialect.name == "postgresql":
                free = select(_D.id).where(*_as_seen(seen)).with_for_update(skip_locked=True)
                if conn.execute(free).first() is None:
                    return None  # changed, or being claimed by another worker right now
            if conn.execute(self._cas_statement(seen, values)).rowcount != 1:
                return None
        return self.get(seen.id)

    def compose(self, claimed: Delivery, text: str) -> Delivery | None:
        """Record the exact text before the network is called (it is what was sent)."""
        if self._cas(claimed, text=text):
            return self.get(claimed.id)
        return None

    def parts(self, delivery_id: int) -> list[SentPart]:
        """The thread parts a delivery has posted, in order."""
        query = select(schema.delivery_parts).where(_P.delivery_id == delivery_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(_P.part)).mappings().all()
        return [
            SentPart(row["part"], row["text"], row["remote_id"], row["remote_url"],
                     _required_time(row["sent_at"]))
            for row in rows
        ]  # fmt: skip

    def part_sent(
        self, claimed: Delivery, part: int, text: str, receipt: Receipt, now: datetime
    ) -> bool:
        """Record one posted part of a thread, if `claimed` still holds its lease (in the same
        transaction: a worker whose lease ran out cannot record a part)."""
        row = {"delivery_id": claimed.id, "part": part, "text": text, "sent_at": _stamp(now),
               "remote_id": receipt.remote_id, "remote_url": receipt.url}  # fmt: skip
        with self._write() as conn:
            if conn.execute(self._cas_statement(claimed, {"updated": _stamp(now)})).rowcount != 1:
                return False
            _insert_ignoring_duplicates(conn, schema.delivery_parts, [row])
        return True

    def sent(self, claimed: Delivery, receipt: Receipt, now: datetime) -> bool:
        return self._cas(
            claimed,
            status=DeliveryStatus.SENT,
            remote_id=receipt.remote_id,
            remote_url=receipt.url,
            sent_at=_stamp(now),
            uncertain=0,
            last_error=None,
            lease_owner=None,
            lease_until=None,
            updated=_stamp(now),
        )

    def retry_later(
        self,
        claimed: Delivery,
        not_before: datetime,
        error: str,
        now: datetime,
        *,
        uncertain: bool,
        count: bool = True,
    ) -> bool:
        return self._cas(
            claimed,
            status=DeliveryStatus.PENDING,
            attempts=claimed.attempts + (1 if count else 0),
            not_before=_stamp(not_before),
            uncertain=int(uncertain or claimed.uncertain),
            last_error=error,
            lease_owner=None,
            lease_until=None,
            due=None,
            updated=_stamp(now),
        )

    def give_up(self, claimed: Delivery, error: str, now: datetime, *, count: bool = True) -> bool:
        return self._cas(
            claimed,
            status=DeliveryStatus.FAILED,
            attempts=claimed.attempts + (1 if count else 0),
            last_error=error,
            lease_owner=None,
            lease_until=None,
            updated=_stamp(now),
        )

    def cancel_claimed(self, claimed: Delivery, reason: str, now: datetime) -> bool:
        return self._cas(
            claimed,
            status=DeliveryStatus.SKIPPED,
            last_error=reason,
            lease_owner=None,
            lease_until=None,
            updated=_stamp(now),
        )

    def hold(self, claimed: Delivery, error: str, now: datetime) -> bool:
        """Back to waiting, paused with its account (credentials refused)."""
        return self._cas(
            claimed,
            status=DeliveryStatus.PAUSED,
            last_error=error,
            lease_owner=None,
            lease_until=None,
            due=None,
            updated=_stamp(now),
        )

    # -- steering --------------------------------------------------------------------------

    def retry(self, delivery_id: int, now: datetime) -> bool:
        """A failed delivery goes back to the queue with its attempts reset."""
        return self._move(
            delivery_id,
            [DeliveryStatus.FAILED],
            status=DeliveryStatus.PENDING,
            attempts=0,
            not_before=None,
            due=None,
            updated=_stamp(now),
        )

    def send_now(self, delivery_id: int, now: datetime) -> bool:
        """Skip the plan: due at once (rate limits and pauses still hold)."""
        return self._move(
            delivery_id,
            [*QUEUED, DeliveryStatus.FAILED],
            status=DeliveryStatus.SCHEDULED,
            due=_stamp(now),
            not_before=None,
            updated=_stamp(now),
        )

    def cancel(self, delivery_id: int, now: datetime, reason: str = "cancelled") -> bool:
        return self._move(
            delivery_id,
            [*QUEUED, DeliveryStatus.FAILED, DeliveryStatus.PAUSED],
            status=DeliveryStatus.SKIPPED,
            last_error=reason,
            updated=_stamp(now),
        )

    def pause(self, account: str, reason: str, now: datetime) -> None:
        with self._write() as conn:
            _upsert_account(conn, account, paused=1, reason=reason, since=_stamp(now))
            conn.execute(
                update(schema.deliveries)
                .where(_D.account == account, _D.status.in_(list(QUEUED)))
                .values(status=DeliveryStatus.PAUSED, due=None, updated=_stamp(now))
            )

    def resume(self, account: str, now: datetime) -> None:
        with self._write() as conn:
            _upsert_account(conn, account, paused=0, reason=None, since=_stamp(now))
            conn.execute(
                update(schema.deliveries)
                .where(_D.account == account, _D.status == DeliveryStatus.PAUSED)
                .values(status=DeliveryStatus.PENDING, updated=_stamp(now))
            )

    def rate_limited(self, account: str, until: datetime) -> None:
        with self._write() as conn:
            _upsert_account(conn, account, not_before=_stamp(until))

    # -- internals -------------------------------------------------------------------------

    def _select(self, where: Any) -> list[Delivery]:
        query = select(schema.deliveries).where(where).order_by(_D.id)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_delivery(row) for row in rows]

    def _cas(self, seen: Delivery, **values: Any) -> bool:
        """Update `seen`'s row only if its status, lease and fence are still what `seen` says."""
        with self._write() as conn:
            return bool(conn.execute(self._cas_statement(seen, values)).rowcount == 1)

    def _cas_statement(self, seen: Delivery, values: dict[str, Any]) -> Any:
        return update(schema.deliveries).where(*_as_seen(seen)).values(**_redacted(values))

    def _move(self, delivery_id: int, sources: Sequence[DeliveryStatus], **values: Any) -> bool:
        statement = (
            update(schema.deliveries)
            .where(_D.id == delivery_id, _D.status.in_([str(s) for s in sources]))
            .values(**_redacted(values))
        )
        with self._write() as conn:
            return bool(conn.execute(statement).rowcount == 1)

    def _write(self) -> AbstractContextManager[Any]:
        return _writing(self._engine)


WITHDRAWN = "post withdrawn"


def _as_seen(seen: Delivery) -> list[Any]:
    """The row is still as `seen` says: status, lease, and the claim it was read under."""
    return [
        _D.id == seen.id,
        _D.status == str(seen.status),
        _D.fence == seen.fence,
        _D.lease_owner.is_(None)
        if seen.lease_owner is None
        else _D.lease_owner == seen.lease_owner,
        _D.lease_until.is_(None)
        if seen.lease_until is None
        else _D.lease_until == _stamp(seen.lease_until),
    ]


@contextmanager
def _writing(engine: Engine) -> Iterator[Any]:
    """A transaction, with database errors turned into StoreError."""
    try:
        with engine.begin() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot write the outbox: {exc}") from exc


def _new_row(new: NewDelivery, paused: bool, moment: str) -> dict[str, Any]:
    status = new.status
    if paused and status is DeliveryStatus.PENDING:
        status = DeliveryStatus.PAUSED
    return {
        "post_pk": new.post_pk,
        "entry_id": new.entry_id,
        "account": new.account,
        "status": str(status),
        "published_at": _stamp(new.published_at),
        "created": moment,
        "updated": moment,
        "attempts": 0,
        "uncertain": 0,
        "last_error": new.reason,
        "reshare": new.reshare,
    }


def _insert_ignoring_duplicates(conn: Any, table: Any, rows: list[dict[str, Any]]) -> int:
    """Insert `rows`, skipping any that would repeat a unique key; how many went in (exact
    for one row; a batch's count is as the driver reports it)."""
    if not rows:
        return 0
    statement: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        statement = postgresql.insert(table).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects import sqlite

        statement = sqlite.insert(table).on_conflict_do_nothing()
    if len(rows) == 1:  # the keys it returns say whether it went in, on every driver
        keys = statement.values(rows[0]).returning(*table.primary_key.columns)
        return len(conn.execute(keys).all())
    return int(conn.execute(statement, rows).rowcount)


def _redacted(values: dict[str, Any]) -> dict[str, Any]:
    """Error texts are stored without any credential value they quote (redaction.py)."""
    for key in ("last_error", "reason"):
        if isinstance(values.get(key), str):
            values[key] = redact(values[key])
    return values


def _upsert_account(conn: Any, account: str, **values: Any) -> None:
    values = _redacted(values)
    found = conn.execute(select(_A.account).where(_A.account == account)).first()
    if found:
        conn.execute(update(schema.account_states).where(_A.account == account).values(**values))
    else:
        conn.execute(
            schema.account_states.insert().values(account=account, **{"paused": 0, **values})
        )


def _delivery(row: Mapping[Any, Any]) -> Delivery:
    return Delivery(
        id=int(row["id"]),
        post_pk=int(row["post_pk"]),
        entry_id=str(row["entry_id"]),
        account=str(row["account"]),
        status=DeliveryStatus(row["status"]),
        published_at=_required_time(row["published_at"]),
        created=_required_time(row["created"]),
        updated=_required_time(row["updated"]),
        due=_time(row["due"]),
        attempts=int(row["attempts"] or 0),
        not_before=_time(row["not_before"]),
        uncertain=bool(row["uncertain"]),
        lease_owner=row["lease_owner"],
        lease_until=_time(row["lease_until"]),
        text=row["text"],
        remote_id=row["remote_id"],
        remote_url=row["remote_url"],
        sent_at=_time(row["sent_at"]),
        last_error=None if row["last_error"] is None else redact(row["last_error"]),
        reshare=int(row["reshare"] or 0),
        fence=int(row["fence"] or 0),
    )


def _stamp(moment: datetime) -> str:
    """Fixed width, UTC: stamps compare as strings in the order of time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _time(value: str | None) -> datetime | None:
    return None if value is None else _required_time(value)


def _required_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
