"""Events -> outbox changes: a pure function of the events, the posts they name and the
accounts. `published` queues one delivery per account that takes the post (and brings back a
delivery cancelled by an earlier withdrawal); `withdrawn` cancels what has not gone out;
`updated` changes nothing (an edit never makes a second delivery)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from syndicate.accounts import AccountSettings
from syndicate.model import DeliveryStatus
from syndicate.publish.routing import route
from syndicate.store.ledger import Event, Record
from syndicate.store.outbox import Intake, NewDelivery


def intake(
    events: Sequence[Event],
    records: Mapping[int, Record],
    accounts: Sequence[AccountSettings],
    paused: Mapping[str, bool],
    cursor: int,
) -> Intake:
    new: list[NewDelivery] = []
    reopen: list[tuple[int, str]] = []
    withdrawn: list[int] = []
    for event in events:
        cursor = max(cursor, event.seq or 0)
        if event.kind == "withdrawn":
            withdrawn.append(event.post_pk)
            continue
        record = records.get(event.post_pk)
        if event.kind != "published" or record is None:
            continue
        withdrawn = [pk for pk in withdrawn if pk != event.post_pk]  # back before this batch ends
        for account in accounts:
            if not account.enabled:
                continue
            reason = route(record.post, account)
            if reason is None:
                new.append(NewDelivery(event.post_pk, event.entry_id, account.name, event.at))
                reopen.append((event.post_pk, account.name))
            elif record.post.overrides.skip:
                new.append(
                    NewDelivery(
                        event.post_pk,
                        event.entry_id,
                        account.name,
                        event.at,
                        status=DeliveryStatus.SKIPPED,
                        reason=reason,
                    )
                )
    return Intake(cursor, new, reopen, withdrawn, dict(paused))
