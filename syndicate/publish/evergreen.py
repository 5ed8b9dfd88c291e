"""Re-sharing good older posts (an account's `[accounts.reshare]`): which post, and when.
Pure functions of the posts, the account's deliveries and the clock; the dispatcher queues
what they decide as a delivery of its own (`reshare` 1, 2, ...), which is then planned, sent
and found again exactly like a new post's.

When: at most one re-share every `every_hours`, only when nothing else of the account waits
(new posts go first, and a re-share never queues behind another), and then inside the
account's windows, gap and daily cap like any delivery.

Which: among the public posts the account takes (its routing and `syndicate: skip`), aged
between `min_age_days` and `max_age_days`, with one of `tags` if it names any, and not posted
by this account within `not_within_days` (as a new post or a re-share): the one it posted
longest ago (never first), older posts first among equals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import msgspec

from syndicate.accounts import AccountSettings
from syndicate.content.tags import slugify
from syndicate.model import QUEUED, Delivery, DeliveryStatus
from syndicate.publish.network import describe
from syndicate.publish.routing import route
from syndicate.sections import replace
from syndicate.store.ledger import Record

PREFIX = "From the archive: "
_NEVER = datetime.min
_WAITING = QUEUED | {DeliveryStatus.SENDING, DeliveryStatus.PAUSED}


class Reshare(msgspec.Struct, frozen=True):
    record: Record
    number: int  # this post's re-share number for the account: 1 for the first


def reshare_due(account: AccountSettings, deliveries: Iterable[Delivery], now: datetime) -> bool:
    """Whether `account` may queue a re-share now (given all of its deliveries)."""
    if not (account.enabled and account.reshare.enabled):
        return False
    mine = list(deliveries)
    if any(d.status in _WAITING for d in mine):
        return False
    last = max((d.created for d in mine if d.reshare), default=None)
    return last is None or now - last >= timedelta(hours=account.reshare.every_hours)


def choose(
    account: AccountSettings,
    records: Mapping[int, Record],
    deliveries: Iterable[Delivery],
    now: datetime,
) -> Reshare | None:
    """The post `account` re-shares next, or None when none qualifies."""
    rules = account.reshare
    posted: dict[int, datetime] = {}
    numbers: dict[int, int] = {}
    for d in deliveries:
        when = d.sent_at or d.created
        if d.status is not DeliveryStatus.SKIPPED:
            posted[d.post_pk] = max(posted.get(d.post_pk, when), when)
        numbers[d.post_pk] = max(numbers.get(d.post_pk, 0), d.reshare)
    wanted = {slugify(tag) for tag in rules.tags}
    quiet_since = now - timedelta(days=rules.not_within_days)
    candidates = [
        record
        for record in records.values()
        if record.public
        and _aged(record, rules.min_age_days, rules.max_age_days, now)
        and (not wanted or wanted & {t.slug for t in record.post.tags})
        and route(record.post, account) is None
        and posted.get(record.pk, quiet_since) <= quiet_since
    ]
    if not candidates:
        return None
    naive = _NEVER.replace(tzinfo=now.tzinfo)
    best = min(candidates, key=lambda r: (posted.get(r.pk, naive), r.post.date, r.pk))
    return Reshare(best, numbers.get(best.pk, 0) + 1)


def reshare_account(account: AccountSettings) -> AccountSettings:
    """The account as a re-share is written: its re-share template (else "From the
    archive: " and its usual one), never a thread, no per-post text (it would repeat the
    first post word for word)."""
    template = account.reshare.template or PREFIX + (
        account.template or describe(account.network).template
    )
    return replace(account, template=template, thread=False)


def _aged(record: Record, least: float, most: float | None, now: datetime) -> bool:
    age = now - record.post.date
    return age >= timedelta(days=least) and (most is None or age <= timedelta(days=most))
