"""What each account would post for a post, and when: for `syndicate preview` and the
dashboard. Reads only; never sends."""

from __future__ import annotations

from datetime import datetime

import msgspec

from syndicate.errors import PublishError
from syndicate.model import Delivery, DeliveryStatus
from syndicate.publish.base import TextRules
from syndicate.publish.counting import count
from syndicate.publish.dispatch import Dispatcher
from syndicate.publish.messages import messages_for
from syndicate.publish.network import describe
from syndicate.publish.routing import route
from syndicate.publish.timing import plan
from syndicate.store.ledger import Record


class ThreadPart(msgspec.Struct, frozen=True):
    """A thread's later part, as it would be (or was) posted."""

    text: str
    length: int

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "length": self.length}


class PreviewItem(msgspec.Struct, frozen=True):
    account: str
    network: str
    text: str | None  # None when the account does not take the post; a thread's first part
    length: int = 0
    limit: int = 0
    when: datetime | None = None  # planned, or sent
    status: str = ""  # the delivery's status, or "not queued"
    note: str = ""  # why not, or what the numbers rest on
    thread: tuple[ThreadPart, ...] = ()  # the parts after the first, in order
    image: str | None = None  # the image uploaded with the post, when the account sends one
    image_alt: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "account": self.account,
            "network": self.network,
            "text": self.text,
            "length": self.length,
            "limit": self.limit,
            "when": self.when.isoformat() if self.when else None,
            "status": self.status,
            "note": self.note,
            "thread": [part.to_json() for part in self.thread],
            "image": self.image,
            "image_alt": self.image_alt,
        }


def find_post(records: dict[int, Record], wanted: str | None) -> Record | None:
    """By file path (or its end), entry id, permalink or title words; else the newest public."""
    public = sorted(
        (r for r in records.values() if r.public), key=lambda r: r.post.date, reverse=True
    )
    if not wanted:
        return public[0] if public else None
    folded = wanted.casefold()
    for matches in (
        lambda r: wanted in (r.source, r.entry_id, r.post.permalink),
        lambda r: r.source is not None and r.source.endswith(wanted),
        lambda r: folded in r.post.title.casefold(),
    ):
        found = [r for r in public if matches(r)] or [r for r in records.values() if matches(r)]
        if found:
            return found[0]
    return None


def preview(dispatcher: Dispatcher, record: Record) -> list[PreviewItem]:
    deliveries = {
        d.account: d for d in dispatcher.outbox.select(post_pk=record.pk) if not d.reshare
    }
    return [
        _item(dispatcher, record, account.name, deliveries.get(account.name))
        for account in dispatcher.settings.accounts
    ]


def _item(
    dispatcher: Dispatcher, record: Record, name: str, delivery: Delivery | None
) -> PreviewItem:
    account = dispatcher.accounts[name]
    reason = route(record.post, account) if account.enabled else "account disabled"
    if reason is not None:
        return PreviewItem(name, account.network, None, status="not queued", note=reason)
    rules, note = account_rules(dispatcher, name)
    image = record.post.image if account.images else None
    pictured = {"image": image, "image_alt": record.post.image_alt if image else None}
    if delivery is not None and delivery.status is DeliveryStatus.SENT and delivery.text:
        sent = dispatcher.outbox.parts(delivery.id)[1:]
        return PreviewItem(
            name,
            account.network,
            delivery.text,
            when=delivery.sent_at,
            status="sent",
            note=delivery.remote_url or "",
            length=count(delivery.text, rules),  # as sent, by the same rules it was fitted to
            limit=rules.limit,
            thread=tuple(ThreadPart(part.text, count(part.text, rules)) for part in sent),
            **pictured,
        )
    try:
        messages = messages_for(record.pk, record.post, account, rules, dispatcher.cache)
    except PublishError as error:
        return PreviewItem(name, account.network, None, status="cannot compose", note=error.reason)
    when, status = _when(dispatcher, record, name, delivery)
    first = messages[0]
    notes = [note, delivery.last_error or "" if delivery else ""]
    if image and not record.post.image_alt:
        notes.append("the image has no alt text")
    return PreviewItem(
        name,
        account.network,
        first.text,
        length=first.length,
        limit=first.limit,
        when=when,
        status=status,
        note="; ".join(n for n in notes if n),
        thread=tuple(ThreadPart(m.text, m.length) for m in messages[1:]),
        **pictured,
    )


def account_rules(dispatcher: Dispatcher, name: str) -> tuple[TextRules, str]:
    """The account's own rules (Mastodon asks its instance); the network's defaults when the
    publisher cannot be made (no credentials here)."""
    account = dispatcher.accounts[name]
    try:
        return dispatcher.pool.get(account).rules(), ""
    except PublishError as error:
        return describe(account.network).rules, f"default limits ({error.reason})"


def _when(
    dispatcher: Dispatcher, record: Record, name: str, delivery: Delivery | None
) -> tuple[datetime | None, str]:
    if delivery is not None:
        return delivery.due, str(delivery.status)
    now = dispatcher.clock.now()
    probe = Delivery(
        id=-1,
        post_pk=record.pk,
        entry_id=record.entry_id,
        account=name,
        status=DeliveryStatus.PENDING,
        published_at=record.published_at or now,
        created=now,
        updated=now,
    )
    account = dispatcher.accounts[name]
    return plan([probe], [], account.timing, now).get(-1), "not queued"
