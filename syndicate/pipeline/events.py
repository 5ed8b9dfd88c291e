"""Publication events: which posts became public, changed, or went away.

A pure function of what the ledger knew at the last build (each record's `public` flag and,
for records this build changed, their previous version), the posts now, and the clock:

- **published**: a post that was not public is now: published (not a draft), dated no later
  than now, not expired, and its file is there. A future-dated post is published by the first
  build after its date, with no file event needed.
- **updated**: a public post whose `updated` moved (a significant edit, or the frontmatter's
  own `updated`).
- **withdrawn**: a public post that is no longer: unpublished, made a draft, expired, deleted.

On the first build of a blog (an empty ledger), everything already public is recorded as seen
and produces no event: an existing blog must not be announced all over again. Posts that
should be announced anyway are asked for with `syndicate backfill`.

Events are stored in the same transaction as the records whose change caused them, so a crash
loses none and repeats none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from datetime import datetime

from msgspec.structs import replace

from syndicate.store.ledger import Event, Record

PUBLISHED = "published"
UPDATED = "updated"
WITHDRAWN = "withdrawn"


def settle(
    records: Mapping[int, Record],
    before: Mapping[int, Record | None],
    now: datetime,
    *,
    baseline: bool,
    quiet: Set[int] = frozenset(),
) -> tuple[list[Record], list[Event]]:
    """Records whose `public` flag (or first publication time) must change, and the events.

    `baseline` (the blog's first build) and `quiet` (the entries of a remote source's first
    poll) take what is public as already seen: no `published` event for them.
    """
    changed: list[Record] = []
    events: list[Event] = []
    for pk in _candidates(records, before, now):
        record = records[pk]
        public = _is_public(record, now)
        kind = _event_kind(record, before.get(pk), public)
        published_at = record.published_at or (now if public else None)
        if public != record.public or published_at != record.published_at:
            changed.append(replace(record, public=public, published_at=published_at))
        if kind is not None and not ((baseline or pk in quiet) and kind == PUBLISHED):
            events.append(Event(pk, record.entry_id, kind, now))
    return changed, events


def _candidates(
    records: Mapping[int, Record], before: Mapping[int, Record | None], now: datetime
) -> Iterable[int]:
    """Records this build changed, and those whose visibility time alone has changed."""
    flipped = {pk for pk, r in records.items() if r.public != _is_public(r, now)}
    return sorted(flipped | set(before))


def _is_public(record: Record, now: datetime) -> bool:
    return record.source is not None and record.post.is_public(now)


def _event_kind(record: Record, before: Record | None, public: bool) -> str | None:
    if public and not record.public:
        return PUBLISHED
    if record.public and not public:
        return WITHDRAWN
    if public and before is not None and before.updated != record.updated:
        return UPDATED
    return None


def visibility_boundary(records: Iterable[Record], now: datetime) -> datetime | None:
    """The next moment after `now` a post may become public (its date) or stop being (its
    expiry): until then only a change of its file changes whether a post is public."""
    moments: list[datetime] = []
    for record in records:
        if record.source is None:
            continue
        post = record.post
        if post.waits_for_date and post.date > now:
            moments.append(post.date)
        if post.expires is not None and post.expires > now:
            moments.append(post.expires)
    return min(moments, default=None)


def backfill(
    records: Iterable[Record],
    announced: set[int],
    now: datetime,
    *,
    since: datetime,
    until: datetime | None = None,
) -> list[Event]:
    """`published` events, marked as backfill, for public posts dated in [since, until] that
    were never announced; publishers drip them out."""
    chosen = [
        r
        for r in records
        if r.public
        and r.pk not in announced
        and r.post.date >= since
        and (until is None or r.post.date <= until)
    ]
    chosen.sort(key=lambda r: (r.post.date, r.pk))
    return [Event(r.pk, r.entry_id, PUBLISHED, now, backfill=True) for r in chosen]
