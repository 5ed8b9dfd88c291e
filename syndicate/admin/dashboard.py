"""The dashboard's facts and actions, for the pages and the API alike.

Reads come from what the daemon already holds (posts and feed files after the last build) and
from the ledger's tables (outbox, accounts, sources, last build); actions are the outbox's own
compare-and-set moves, after which the publisher is woken so a retry goes out at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from math import ceil
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import msgspec

from syndicate.admin import schemas as out
from syndicate.admin.chart import daily_counts
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.errors import ConflictError, NotFoundError
from syndicate.feedkinds import KINDS
from syndicate.feeds.structure import check_feed
from syndicate.model import QUEUED, Delivery, DeliveryStatus, FeedFormat, Post, Visibility
from syndicate.publish.dispatch import Dispatcher
from syndicate.publish.preview import preview
from syndicate.store.ledger import FeedRecord, Ledger, Record
from syndicate.store.outbox import Outbox
from syndicate.web.catalog import FeedFile, FeedIndex
from syndicate.web.health import Health, judge

PAUSED_HERE = "paused from the dashboard"
_LEDGER_REFRESH = 5.0  # seconds a read of every post from the ledger is trusted (serve)


class PostIndex(Protocol):
    """The posts as of the last build; the same object while nothing changed."""

    def __call__(self) -> Sequence[Record]: ...


class PostList:
    """A PostIndex the daemon replaces after each build."""

    def __init__(self, records: Iterable[Record] = ()) -> None:
        self._records = tuple(records)

    def replace(self, records: Iterable[Record]) -> None:
        self._records = tuple(records)  # one reference swap: readers see old or new, whole

    def __call__(self) -> tuple[Record, ...]:
        return self._records


class LedgerPosts:
    """For `syndicate serve`, which builds nothing: the ledger's posts, re-read every few
    seconds at most."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._lock = threading.Lock()
        self._read_at = -_LEDGER_REFRESH
        self._records: tuple[Record, ...] = ()

    def __call__(self) -> tuple[Record, ...]:
        with self._lock:
            if time.monotonic() - self._read_at > _LEDGER_REFRESH:
                self._records = tuple(self._ledger.records().values())
                self._read_at = time.monotonic()
            return self._records


class Parts(msgspec.Struct, frozen=True):
    settings: Settings
    ledger: Ledger
    posts: PostIndex
    feeds: FeedIndex
    health: Health
    clock: Clock
    wake: Callable[[], None]  # tells the publisher the outbox changed
    previewer: Dispatcher | None  # None: no accounts


class Dashboard:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.zone = ZoneInfo(parts.settings.content.timezone)
        self.outbox = Outbox(parts.ledger.engine)
        self._started = parts.clock.now()
        self._sorted_for: Sequence[Record] | None = None
        self._sorted: list[Record] = []
        self._by_pk: dict[int, Record] = {}
        self._checks: dict[tuple[str, str], list[str]] = {}  # (path, digest) -> problems
        self._lock = threading.Lock()

    # -- overview ----------------------------------------------------------------------

    def overview(self) -> out.Overview:
        now = self.parts.clock.now()
        verdict = judge(self.parts.health(), now, self._started)
        state = self.parts.ledger.state()
        records = [r for r in self._posts() if r.source is not None]
        counts = self.outbox.counts()
        by_status = Counter[str]()
        for (_, status), n in counts.items():
            by_status[str(status)] += n
        return out.Overview(
            health=out.Health(healthy=verdict.healthy, **verdict.body),
            dry_run=self.settings.publish.dry_run,
            posts=out.PostCounts(
                public=sum(r.public for r in records),
                present=len(records),
                known=len(self._posts()),
            ),
            feeds=len(self.parts.feeds()),
            last_build=_last_build(state.get("last_build")),
            last_errors=[out.ErrorEntry(**e) for e in json.loads(state.get("last_errors", "[]"))],
            sources=self._sources(),
            deliveries={str(s): by_status.get(str(s), 0) for s in DeliveryStatus},
            accounts=self.accounts(counts),
        )

    def _sources(self) -> list[out.Source]:
        states = self.parts.ledger.source_states()
        return [
            _source(source.name, source.url, _json(states.get(source.name)))
            for source in self.settings.sources
        ]

    # -- accounts ------------------------------------------------------------------------

    def accounts(
        self, counts: Mapping[tuple[str, DeliveryStatus], int] | None = None
    ) -> list[out.Account]:
        counts = self.outbox.counts() if counts is None else counts
        states = self.outbox.accounts()
        now = self.parts.clock.now()
        result = []
        for account in self.settings.accounts:
            state = states.get(account.name)
            paused = bool(state and state.paused)
            limited = state.not_before if state and state.not_before else None
            result.append(
                out.Account(
                    name=account.name,
                    network=account.network,
                    enabled=account.enabled,
                    state="disabled" if not account.enabled else ("paused" if paused else "active"),
                    reason=state.reason if paused and state else None,
                    since=state.since if paused and state else None,
                    rate_limited_until=limited if limited and limited > now else None,
                    counts={
                        str(s): counts.get((account.name, s), 0)
                        for s in DeliveryStatus
                        if counts.get((account.name, s))
                    },
                )
            )
        return result

    def account(self, name: str) -> out.Account:
        for account in self.accounts():
            if account.name == name:
                return account
        raise NotFoundError(f"no account named {name!r}")

    def steer_account(self, name: str, action: str) -> out.Account:
        account = self.account(name)
        now = self.parts.clock.now()
        if action == "pause":
            if account.state == "paused":
                raise ConflictError(f"account {name} is already paused")
            self.outbox.pause(name, PAUSED_HERE, now)
        elif action == "resume":
            if account.state != "paused":
                raise ConflictError(f"account {name} is not paused")
            self.outbox.resume(name, now)
            self.parts.wake()
        else:
            raise NotFoundError(f"no action {action!r}")
        return self.account(name)

    # -- deliveries ----------------------------------------------------------------------

    def deliveries(
        self, *, status: str | None = None, account: str | None = None, limit: int = 200
    ) -> out.DeliveryList:
        statuses = None if status is None else [DeliveryStatus(status)]
        rows = order_for_outbox(self.outbox.select(statuses=statuses, account=account))
        return out.DeliveryList(total=len(rows), items=self._deliveries(rows[:limit]))

    def outbox_sections(self, shown: int = 100) -> dict[str, tuple[list[out.Delivery], int]]:
        """The outbox page's sections, each (its first `shown` deliveries, how many in all):
        only the shown ones are turned into answers, so a backfill of thousands stays quick."""
        groups: dict[str, list[Delivery]] = {}
        for delivery in order_for_outbox(self.outbox.select()):
            groups.setdefault(_SECTION[delivery.status], []).append(delivery)
        return {
            name: (self._deliveries(groups.get(name, [])[:shown]), len(groups.get(name, [])))
            for name in ("waiting", "paused", "failed", "finished")
        }

    def delivery(self, delivery_id: int) -> out.Delivery:
        found = self.outbox.get(delivery_id)
        if found is None:
            raise NotFoundError(f"no delivery #{delivery_id}")
        return self._deliveries([found])[0]

    def act(self, delivery_id: int, action: str) -> out.Delivery:
        current = self.delivery(delivery_id)
        moves = {"retry": self.outbox.retry, "cancel": self.outbox.cancel}
        moves["send-now"] = self.outbox.send_now
        if action not in moves:
            raise NotFoundError(f"no action {action!r}")
        if action not in current.actions or not moves[action](delivery_id, self.parts.clock.now()):
            now = self.delivery(delivery_id)
            raise ConflictError(f"delivery #{delivery_id} is {now.status}: cannot {action} it")
        if action != "cancel":
            self.parts.wake()
        return self.delivery(delivery_id)

    def _deliveries(self, rows: Sequence[Delivery]) -> list[out.Delivery]:
        titles = self._titles({d.post_pk for d in rows})
        networks = {a.name: a.network for a in self.settings.accounts}
        return [
            _delivery(d, titles.get(d.post_pk, d.entry_id), networks.get(d.account, "?"))
            for d in rows
        ]

    def _titles(self, pks: set[int]) -> dict[int, str]:
        self._posts()
        titles = {pk: self._by_pk[pk].post.title for pk in pks if pk in self._by_pk}
        missing = pks - titles.keys()
        if missing:  # posts deleted since: the ledger still has their last metadata
            titles |= {pk: r.post.title for pk, r in self.parts.ledger.records_of(missing).items()}
        return titles

    # -- posts ---------------------------------------------------------------------------

    def posts(
        self, *, query: str = "", tag: str = "", page: int = 1, per_page: int = 30
    ) -> out.PostPage:
        found = search_posts(self._sorted_posts(), query, tag)
        pages = max(1, ceil(len(found) / per_page))
        shown = found[(page - 1) * per_page : page * per_page]
        by_post: dict[int, list[Delivery]] = {}
        for delivery in self.outbox.select(post_pks=[r.pk for r in shown]) if shown else []:
            by_post.setdefault(delivery.post_pk, []).append(delivery)
        now = self.parts.clock.now()
        items = [self._summary(r, by_post.get(r.pk, []), now) for r in shown]
        return out.PostPage(
            total=len(found), page=page, pages=pages, per_page=per_page, items=items
        )

    def post(self, pk: int) -> out.PostDetail:
        record = self._record(pk)
        deliveries = self.outbox.select(post_pk=pk)
        summary = self._summary(record, deliveries, self.parts.clock.now())
        return out.PostDetail(post=summary, feeds=feeds_of(record.post, self.parts.feeds()))

    def preview(self, pk: int) -> out.Preview:
        record = self._record(pk)
        dispatcher = self.parts.previewer
        items = preview(dispatcher, record) if dispatcher is not None else []
        return out.Preview(
            post=pk,
            title=record.post.title,
            items=[out.PreviewItem.model_validate(item.to_json()) for item in items],
        )

    def recent_posts(self, count: int = 50) -> list[Record]:
        return self._sorted_posts()[:count]

    def tags(self) -> list[tuple[str, str, int]]:
        """(slug, name, posts) for every tag of a present post, most used first."""
        counts: Counter[str] = Counter()
        names: dict[str, str] = {}
        for record in self._sorted_posts():
            for tag in record.post.tags:
                counts[tag.slug] += 1
                names.setdefault(tag.slug, tag.name)
        return [(slug, names[slug], n) for slug, n in counts.most_common()]

    def _summary(
        self, record: Record, deliveries: Sequence[Delivery], now: datetime
    ) -> out.PostSummary:
        post = record.post
        rows = sorted(deliveries, key=lambda d: d.account)
        return out.PostSummary(
            id=record.pk,
            entry_id=record.entry_id,
            title=post.title,
            date=post.date,
            permalink=post.permalink,
            source=record.source or "",
            state=post_state(post, now),
            tags=[out.TagRef(slug=t.slug, name=t.name) for t in post.tags],
            authors=[a.name for a in post.authors],
            deliveries=self._deliveries(rows),
        )

    def _record(self, pk: int) -> Record:
        self._posts()
        record = self._by_pk.get(pk)
        if record is None or record.source is None:
            raise NotFoundError(f"no post #{pk}")
        return record

    def _posts(self) -> Sequence[Record]:
        records = self.parts.posts()
        with self._lock:
            if records is not self._sorted_for:
                present = [r for r in records if r.source is not None]
                present.sort(key=lambda r: (r.post.date, r.pk), reverse=True)
                self._sorted, self._by_pk = present, {r.pk: r for r in records}
                self._sorted_for = records
        return records

    def _sorted_posts(self) -> list[Record]:
        self._posts()
        return self._sorted

    # -- feeds ---------------------------------------------------------------------------

    def feeds(self, *, query: str = "", page: int = 1, per_page: int = 100) -> out.FeedPage:
        files = sorted((f for f in self.parts.feeds() if _matches_feed(f, query)), key=_feed_order)
        pages = max(1, ceil(len(files) / per_page))
        shown = files[(page - 1) * per_page : page * per_page]
        records = self.parts.ledger.feeds()
        items = [self._feed(f, records.get(f.path)) for f in shown]
        return out.FeedPage(
            total=len(files), page=page, pages=pages, per_page=per_page, items=items
        )

    def _feed(self, file: FeedFile, record: FeedRecord | None) -> out.Feed:
        path = self.settings.output_dir / file.path
        modified, problems = _inspect(path, file, record, self._checks)
        return out.Feed(
            path=file.path,
            url=file.url,
            format=file.format.value,
            kind=file.kind,
            name=file.name or self.settings.site.title,
            title=file.title,
            entries=record.entries if record else 0,
            size=record.size if record else 0,
            modified=modified,
            valid=None if problems is None else not problems,
            problems=problems or [],
        )

    # -- chart ---------------------------------------------------------------------------

    def chart(self, days: int = 28) -> out.Chart:
        counts = self.daily(days)
        return out.Chart(
            days=list(counts.days),
            series=[
                out.Series(account=name, counts=list(values), total=sum(values))
                for name, values in counts.series
            ],
        )

    def daily(self, days: int) -> Any:
        sent = self.outbox.select(statuses=[DeliveryStatus.SENT])
        today = self.parts.clock.now().astimezone(self.zone).date()
        return daily_counts(
            ((d.account, d.sent_at) for d in sent if d.sent_at is not None),
            [a.name for a in self.settings.accounts],
            end=today,
            days=days,
            zone=self.zone,
        )


# -- pure helpers ----------------------------------------------------------------------------


def post_state(post: Post, now: datetime) -> out.PostState:
    if post.visibility is Visibility.DRAFT:
        return "draft"
    if post.visibility is Visibility.UNPUBLISHED:
        return "unpublished"
    if post.waits_for_date and post.date > now:
        return "future"
    if post.expires is not None and post.expires <= now:
        return "expired"
    return "public"


def search_posts(records: Sequence[Record], query: str, tag: str) -> list[Record]:
    """Every word of `query` in the title (case and accents as written), and the tag if given
    (by slug or name)."""
    words = query.casefold().split()
    wanted_tag = tag.strip().casefold()
    found = []
    for record in records:
        title = record.post.title.casefold()
        if not all(word in title for word in words):
            continue
        if wanted_tag and not any(
            wanted_tag in (t.slug, t.name.casefold()) for t in record.post.tags
        ):
            continue
        found.append(record)
    return found


def feeds_of(post: Post, files: Iterable[FeedFile]) -> list[out.FeedRef]:
    """The feed files a post belongs in: the site's, its tags', its authors'."""
    keys = {
        kind.kind: {key for key, _ in kind.members(post)} if kind.members else {""}
        for kind in KINDS
    }
    return [
        out.FeedRef(path=f.path, url=f.url, format=f.format.value, kind=f.kind, name=f.name)
        for f in files
        if f.key in keys[f.kind]
    ]


def actions_for(status: DeliveryStatus) -> list[out.DeliveryAction]:
    actions: list[out.DeliveryAction] = []
    if status is DeliveryStatus.FAILED:
        actions.append("retry")
    if status in QUEUED or status is DeliveryStatus.FAILED:
        actions.append("send-now")
    if status in QUEUED or status in (DeliveryStatus.FAILED, DeliveryStatus.PAUSED):
        actions.append("cancel")
    return actions


_SECTION = {
    DeliveryStatus.SENDING: "waiting",
    DeliveryStatus.SCHEDULED: "waiting",
    DeliveryStatus.PENDING: "waiting",
    DeliveryStatus.PAUSED: "paused",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.SENT: "finished",
    DeliveryStatus.SKIPPED: "finished",
}
_OUTBOX_ORDER = ("sending", "scheduled", "pending", "paused", "failed", "sent", "skipped")


def order_for_outbox(rows: Sequence[Delivery]) -> list[Delivery]:
    """Waiting ones first, soonest due first; then failed; then finished ones, newest first."""
    far = datetime.max.replace(tzinfo=UTC)

    def key(d: Delivery) -> tuple[int, float]:
        rank = _OUTBOX_ORDER.index(str(d.status))
        if rank < 5:
            moment = d.due or d.not_before or (far if rank < 4 else d.updated)
            return rank, moment.timestamp() if moment is not far else float("inf")
        return rank, -(d.sent_at or d.updated).timestamp()

    return sorted(rows, key=lambda d: (*key(d), d.id))


def _delivery(d: Delivery, title: str, network: str) -> out.Delivery:
    return out.Delivery(
        id=d.id,
        post=d.post_pk,
        entry_id=d.entry_id,
        title=title,
        account=d.account,
        network=network,
        status=d.status.value,
        due=d.due,
        published_at=d.published_at,
        attempts=d.attempts,
        not_before=d.not_before,
        text=d.text,
        remote_id=d.remote_id,
        remote_url=d.remote_url,
        sent_at=d.sent_at,
        last_error=d.last_error,
        reshare=d.reshare,
        actions=actions_for(d.status),
    )


def _source(name: str, url: str, state: dict[str, Any]) -> out.Source:
    failing = bool(state.get("failures"))
    return out.Source(
        name=name,
        url=url,
        state="failing" if failing else ("ok" if state.get("last_ok") else "never polled"),
        last_polled=state.get("last_polled"),
        last_ok=state.get("last_ok"),
        next_poll=state.get("next_poll"),
        failures=int(state.get("failures", 0)),
        last_status=state.get("last_status"),
        last_error=state.get("last_error"),
    )


def _last_build(text: str | None) -> out.LastBuild | None:
    data = _json(text)
    return out.LastBuild(**data) if data else None


def _json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_KINDS = [kind.kind for kind in KINDS]
_FORMATS = [FeedFormat.ATOM, FeedFormat.RSS, FeedFormat.JSON]


def _feed_order(file: FeedFile) -> tuple[int, str, int]:
    """In the kinds' order (the site's first), by name; Atom, RSS, JSON within."""
    return _KINDS.index(file.kind), file.name.casefold(), _FORMATS.index(file.format)


def _matches_feed(file: FeedFile, query: str) -> bool:
    folded = query.strip().casefold()
    return not folded or folded in file.path.casefold() or folded in file.name.casefold()


def _inspect(
    path: Path,
    file: FeedFile,
    record: FeedRecord | None,
    checks: dict[tuple[str, str], list[str]],
) -> tuple[datetime | None, list[str] | None]:
    """The file's last change and its problems (None when it is missing). A check is cached
    by the digest the ledger recorded, so each version of a file is parsed once."""
    try:
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None, None
    key = (file.path, record.digest if record else str(modified))
    if key not in checks:
        try:
            checks[key] = check_feed(path.read_bytes(), file.format)
        except OSError as exc:
            checks[key] = [f"cannot read the file: {exc.strerror}"]
    return modified, checks[key]
