"""The outbox worker: takes new events in, plans each account's queue, and sends what is due,
each delivery exactly once.

Exactly once, across crashes: a delivery is claimed (status `sending`, with a lease) before the
network is called and marked `sent` after. A delivery found still `sending` after its lease
ran out, or whose worker on this host is gone, may or may not have been posted: the publisher's
`find()` (the network's own idempotency record) is asked first, and only a delivery the
network does not have is sent again, with the same idempotency key.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import socket
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import msgspec
from msgspec.structs import replace

from syndicate.accounts import AccountSettings
from syndicate.backoff import Backoff
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.errors import (
    AmbiguousError,
    AuthError,
    DuplicateError,
    PublishError,
    RateLimitedError,
    RejectedError,
)
from syndicate.logs import fields
from syndicate.model import QUEUED, Delivery, DeliveryStatus
from syndicate.publish.base import Message, Publisher, Receipt
from syndicate.publish.evergreen import choose, reshare_due
from syndicate.publish.intake import intake
from syndicate.publish.messages import messages_for
from syndicate.publish.pool import PublisherPool
from syndicate.publish.timing import plan
from syndicate.store.cache import RenderCache
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import NewDelivery, Outbox

log = logging.getLogger("syndicate.publish")

BACKOFF_CAP = 3600.0  # seconds: a failing network is tried at least hourly
_EVENT_BATCH = 500


class Outcome(msgspec.Struct, frozen=True):
    """What one attempt at one delivery came to, for logs, metrics and the CLI."""

    delivery: Delivery
    result: str  # sent, retry, failed, paused, skipped, lost (another worker took it over)
    detail: str = ""


def delivery_key(delivery: Delivery) -> str:
    """Stable for the delivery: the idempotency key every network mechanism is keyed by (a
    re-share's differs from the first post's, and from every other re-share's)."""
    named = f"{delivery.account}\n{delivery.entry_id}"
    if delivery.reshare:
        named += f"\nreshare {delivery.reshare}"
    return hashlib.sha256(named.encode()).hexdigest()[:32]


def part_key(delivery: Delivery, part: int) -> str:
    """A thread part's idempotency key: the delivery's for its head, one of its own after."""
    key = delivery_key(delivery)
    return key if part == 1 else f"{key}-{part}"


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        outbox: Outbox,
        pool: PublisherPool,
        *,
        clock: Clock,
        cache: RenderCache | None = None,
        rng: random.Random | None = None,
        owner: str | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.outbox = outbox
        self.pool = pool
        self.clock = clock
        self.cache = cache
        self.rng = rng or random.Random()
        self.owner = owner or worker_id()
        self.on_outcome = on_outcome
        self.accounts: Mapping[str, AccountSettings] = {a.name: a for a in settings.accounts}

    # -- one pass ----------------------------------------------------------------------------

    def run_once(self, stop: Callable[[], bool] = lambda: False) -> datetime | None:
        """Take events in, plan, send everything due; the next time something falls due."""
        self.take_events()
        self.queue_reshares()
        self.replan()
        self.send_due(stop)
        self.replan()  # failures went back to the queue with their retry times
        return self.next_due()

    def send_due(
        self, stop: Callable[[], bool] = lambda: False, *, account: str | None = None
    ) -> None:
        """Attempt each due delivery (of `account` alone, when named), unless its account was
        paused or rate limited by an earlier one of this pass."""
        for delivery in self.due(account):
            if stop():
                return
            state = self.outbox.accounts().get(delivery.account)
            if state is not None and (
                state.paused or (state.not_before and state.not_before > self.clock.now())
            ):
                continue
            self.attempt(delivery)

    def take_events(self) -> int:
        """Queue deliveries for events not taken in yet; how many events were read."""
        cursor = self.outbox.cursor()
        events = self.ledger.events(after=cursor, limit=_EVENT_BATCH)
        read = 0
        while events:
            read += len(events)
            records = self.ledger.records_of(e.post_pk for e in events)
            paused = {name: s.paused for name, s in self.outbox.accounts().items()}
            self.outbox.take(
                intake(events, records, self.settings.accounts, paused, cursor), self.clock.now()
            )
            cursor = self.outbox.cursor()
            events = self.ledger.events(after=cursor, limit=_EVENT_BATCH)
        return read

    def queue_reshares(self) -> int:
        """Queue each account's next re-share when one is due (publish/evergreen.py); how
        many were queued."""
        if not any(account.reshare.enabled for account in self.accounts.values()):
            return 0  # the common case: no query at all
        now = self.clock.now()
        states = self.outbox.accounts()
        history = {
            account.name: self.outbox.select(account=account.name)
            for account in self.accounts.values()
            if account.reshare.enabled
            and not (states.get(account.name) and states[account.name].paused)
        }
        due = [
            account
            for account in self.accounts.values()
            if account.name in history and reshare_due(account, history[account.name], now)
        ]
        records = self.ledger.records() if due else {}
        queued = 0
        for account in due:
            chosen = choose(account, records, history[account.name], now)
            if chosen is None:
                continue
            record = chosen.record
            new = NewDelivery(record.pk, record.entry_id, account.name, now, reshare=chosen.number)
            queued += self.outbox.queue(new, now)
        return queued

    def replan(self) -> dict[int, datetime]:
        """Plan every account's queue (a pure function of the outbox and the clock) and store it."""
        now = self.clock.now()
        states = self.outbox.accounts()
        dues: dict[int, datetime] = {}
        queued = self.outbox.select(statuses=QUEUED)
        since = now - timedelta(days=2)  # covers a daily cap in any time zone, and the last gap
        for name, account in self.accounts.items():
            queue = [d for d in queued if d.account == name]
            if not queue:
                continue
            sent = [
                d.sent_at
                for d in self.outbox.select(statuses=[DeliveryStatus.SENT], account=name)
                if d.sent_at is not None and d.sent_at >= since
            ]
            state = states.get(name)
            not_before = state.not_before if state is not None else None
            dues.update(plan(queue, sent, account.timing, now, not_before=not_before))
        planned = {d.id: d.due for d in queued if d.status is DeliveryStatus.SCHEDULED}
        changed = {i: t for i, t in dues.items() if planned.get(i) != t}
        self.outbox.plan(changed, now)
        return dues

    def due(self, account: str | None = None) -> list[Delivery]:
        """Scheduled deliveries whose time has come, then abandoned claims, in due order (of
        `account` alone, when named)."""
        now = self.clock.now()
        ready = [
            d
            for d in self.outbox.select(statuses=[DeliveryStatus.SCHEDULED], account=account)
            if d.due is not None and d.due <= now and d.account in self.accounts
        ]
        ready.sort(key=lambda d: (d.due or now, d.id))
        return self.abandoned(account) + ready

    def abandoned(self, account: str | None = None) -> list[Delivery]:
        """Claims whose worker is gone: the lease ran out, or it was a process of this host
        that no longer runs (a crash: no need to wait out the lease)."""
        now = self.clock.now()
        return [
            d
            for d in self.outbox.select(statuses=[DeliveryStatus.SENDING], account=account)
            if (d.lease_until is not None and d.lease_until <= now) or _dead_here(d.lease_owner)
        ]

    def next_due(self) -> datetime | None:
        times = [
            d.due for d in self.outbox.select(statuses=[DeliveryStatus.SCHEDULED]) if d.due
        ] + [d.lease_until for d in self.outbox.select(statuses=[DeliveryStatus.SENDING])
             if d.lease_until]  # fmt: skip
        return min(times, default=None)

    # -- one delivery --------------------------------------------------------------------------

    def attempt(self, seen: Delivery) -> Outcome:
        now = self.clock.now()
        until = now + timedelta(seconds=self.settings.publish.lease)
        claimed = self.outbox.claim(seen, self.owner, now, until)
        if claimed is None:
            return self._report(Outcome(seen, "lost", "taken by another worker"))
        uncertain = seen.status is DeliveryStatus.SENDING or claimed.uncertain
        return self._report(self._deliver(claimed, uncertain=uncertain))

    def _deliver(self, claimed: Delivery, *, uncertain: bool) -> Outcome:
        account = self.accounts[claimed.account]
        record = self.ledger.records_of([claimed.post_pk]).get(claimed.post_pk)
        now = self.clock.now()
        if record is None or not record.public:
            self.outbox.cancel_claimed(claimed, "post withdrawn", now)
            return Outcome(claimed, "skipped", "post withdrawn")
        try:
            publisher = self.pool.get(account)
            messages = messages_for(
                claimed.post_pk,
                record.post,
                account,
                publisher.rules(),
                self.cache,
                reshare=claimed.reshare > 0,
            )
            message = messages[0]
            if len(messages) > 1:
                return self._send_thread(publisher, claimed, messages, uncertain=uncertain)
            if uncertain and (found := _find_sent(publisher, claimed, message)):
                return self._sent(claimed, found, "found after an interrupted send")
            composed = self.outbox.compose(claimed, message.text)
            if composed is None:
                return Outcome(claimed, "lost", "taken by another worker")
            return self._send(publisher, composed, message)
        except PublishError as error:
            return self._failed(claimed, error)

    def _send_thread(
        self,
        publisher: Publisher,
        claimed: Delivery,
        messages: tuple[Message, ...],
        *,
        uncertain: bool,
    ) -> Outcome:
        """Post a thread's parts in order, each recorded as it goes: a resumed delivery starts
        after the last recorded part, asking the network first (`find`) whether the next one
        was posted before the interruption. Each part has its own idempotency key."""
        done = {part.part: part.receipt for part in self.outbox.parts(claimed.id)}
        composed = self.outbox.compose(claimed, messages[0].text)
        if composed is None:
            return Outcome(claimed, "lost", "taken by another worker")
        for part in messages:
            if part.part in done:
                continue
            message = replace(part, thread_root=done.get(1), reply_to=done.get(part.part - 1))
            receipt = self._post_part(publisher, composed, message, look_first=uncertain)
            uncertain = False  # only the first part not recorded can have gone unrecorded
            if not self.outbox.part_sent(composed, part.part, part.text, receipt,
                                         self.clock.now()):  # fmt: skip
                return Outcome(claimed, "lost", "lease lost while sending a thread")
            done[part.part] = receipt
        return self._sent(composed, done[1], f"a thread of {len(messages)} parts")

    def _post_part(
        self, publisher: Publisher, claimed: Delivery, message: Message, *, look_first: bool
    ) -> Receipt:
        """One part of a thread posted (or found, when it may have been); a PublishError
        otherwise, and an unexpected one is taken as ambiguous."""
        key = part_key(claimed, message.part)
        found = publisher.find(message, key) if look_first else None
        if found is not None:
            return found
        try:
            return publisher.send(message, key)
        except DuplicateError:
            again = publisher.find(message, key)
            if again is None:
                raise
            return again
        except PublishError:
            raise
        except Exception as error:
            log.exception("publisher failed", extra=fields(account=claimed.account))
            raise AmbiguousError(f"unexpected error: {error!r}") from error

    def _send(self, publisher: Publisher, claimed: Delivery, message: Message) -> Outcome:
        try:
            receipt = publisher.send(message, delivery_key(claimed))
        except DuplicateError as error:
            found = publisher.find(message, delivery_key(claimed))
            if found is not None:
                return self._sent(claimed, found, "the network already had it")
            return self._give_up(claimed, f"{error.reason}; not among the account's recent posts")
        except PublishError as error:
            return self._failed(claimed, error)
        except Exception as error:  # a publisher bug must not lose the delivery: retry it
            log.exception("publisher failed", extra=fields(account=claimed.account))
            return self._retry(claimed, AmbiguousError(f"unexpected error: {error!r}"))
        return self._sent(claimed, receipt, "")

    def _failed(self, claimed: Delivery, error: PublishError) -> Outcome:
        now = self.clock.now()
        if isinstance(error, RateLimitedError):
            self.outbox.rate_limited(claimed.account, error.until)
            self.outbox.retry_later(
                claimed, error.until, error.reason, now, uncertain=False, count=False
            )
            return Outcome(claimed, "retry", f"rate limited until {error.until.isoformat()}")
        if isinstance(error, AuthError):
            self.pool.forget(claimed.account)
            self.outbox.pause(claimed.account, error.reason, now)
            self.outbox.hold(claimed, error.reason, now)
            log.error("account paused", extra=fields(account=claimed.account, reason=error.reason))
            return Outcome(claimed, "paused", error.reason)
        if isinstance(error, RejectedError):
            return self._give_up(claimed, error.reason)
        return self._retry(claimed, error)

    def _retry(self, claimed: Delivery, error: PublishError) -> Outcome:
        now = self.clock.now()
        if claimed.attempts + 1 >= self.settings.publish.max_attempts:
            return self._give_up(claimed, f"{error.reason} (after {claimed.attempts + 1} tries)")
        wait = self.backoff(claimed.attempts)
        self.outbox.retry_later(
            claimed,
            now + timedelta(seconds=wait),
            error.reason,
            now,
            uncertain=isinstance(error, AmbiguousError),
        )
        return Outcome(claimed, "retry", f"{error.reason}; again in {wait:.0f} s")

    def backoff(self, attempts: int) -> float:
        """Exponential with full jitter around it, so many deliveries do not retry in step."""
        backoff = Backoff(self.settings.publish.retry_base, BACKOFF_CAP, 0.5, 1.5)
        return backoff.delay(attempts + 1, self.rng.random)

    def _give_up(self, claimed: Delivery, reason: str) -> Outcome:
        self.outbox.give_up(claimed, reason, self.clock.now())
        log.error("delivery failed", extra=fields(account=claimed.account, reason=reason))
        return Outcome(claimed, "failed", reason)

    def _sent(self, claimed: Delivery, receipt: Receipt, detail: str) -> Outcome:
        if not self.outbox.sent(claimed, receipt, self.clock.now()):
            # The lease ran out mid-send and another worker took over: it will find this post.
            return Outcome(claimed, "lost", "lease lost while sending")
        return Outcome(claimed, "sent", detail or (receipt.url or receipt.remote_id))

    def _report(self, outcome: Outcome) -> Outcome:
        level = logging.INFO if outcome.result in ("sent", "skipped") else logging.WARNING
        log.log(
            level,
            f"delivery {outcome.result}",
            extra=fields(
                id=outcome.delivery.id,
                account=outcome.delivery.account,
                entry=outcome.delivery.entry_id,
                detail=outcome.detail,
            ),
        )
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome


def _find_sent(publisher: Publisher, claimed: Delivery, message: Message) -> Receipt | None:
    """What an interrupted attempt may have posted: looked up as composed now, then as that
    attempt stored its text. The two differ when the post's rendering was at hand for one and
    not the other (the summary comes from the node's render cache: a replica that never built
    the post, or a cache lost since), and a network that tells a resend by its text (X) would
    otherwise take the other text for a new post."""
    key = delivery_key(claimed)
    found = publisher.find(message, key)
    if found is None and claimed.text is not None and claimed.text != message.text:
        # Its spans were made for the text composed now; the stored text's URLs speak alone.
        found = publisher.find(replace(message, text=claimed.text, spans=()), key)
    return found


def _dead_here(owner: str | None) -> bool:
    """Whether `owner` (host:pid) names a process of this host that has exited."""
    if owner is None:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
