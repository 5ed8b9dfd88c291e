"""Archived feeds (RFC 5005): every post a feed ever listed stays reachable from it.

The subscription document is the feed as it always was (its newest `limit` entries); the
posts older than those are in archive documents, one per period (the year or the month of the
post's date, UTC), each marked `fh:archive` and linked: the subscription document to the newest
archive (`prev-archive`), each archive to the next older (`prev-archive`) and newer
(`next-archive`; the newest's is the subscription document) one and to the subscription
document (`current`). JSON Feed has one link,
`next_url`, to older items: the same chain. A feed whose posts all fit is marked `fh:complete`
instead.

Why periods rather than pages of a fixed size: a post belongs to its period whatever happens to
other posts, so an archive's bytes change only when one of its own posts does (a deletion or
a new post shifts no other post into another document). A new post pushes the oldest entry
of the subscription document into the archive of its period, which is the newest one.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from msgspec.structs import replace

from syndicate.content.urls import absolute
from syndicate.model import Entry, FeedOutput, FeedSpec, History

ARCHIVE_MAX_BYTES = 1_000_000_000  # an archive is never cut short: every post must stay reachable


def period_of(entry: Entry, period: str) -> str:
    """`2024` or `2024-05`: the archive an entry belongs to."""
    return _period(entry.post.date, period)


@functools.lru_cache(maxsize=65536)  # every build asks again for every post of every feed
def _period(moment: datetime, period: str) -> str:
    date = moment.astimezone(UTC)
    return f"{date.year:04d}" if period == "year" else f"{date.year:04d}-{date.month:02d}"


def archive_path(path: str, name: str) -> str:
    """`tag/news.xml` -> `tag/news-archive-2024.xml` (beside the subscription document)."""
    folder, _, file = path.rpartition("/")
    stem, dot, suffix = file.rpartition(".")
    if not dot:
        stem, suffix = file, ""
    archived = f"{stem}-archive-{name}" + (f".{suffix}" if dot else "")
    return f"{folder}/{archived}" if folder else archived


def subscription_path(path: str) -> str | None:
    """The subscription document an archive's path belongs to, or None for one that is not an
    archive's (the inverse of `archive_path`)."""
    folder, slash, file = path.rpartition("/")
    stem, dot, suffix = file.rpartition(".")
    if not dot:
        stem, suffix = file, ""
    base, marker, name = stem.rpartition("-archive-")
    if not marker or not _is_period(name):
        return None
    return f"{folder}{slash}{base}" + (f".{suffix}" if dot else "")


def _is_period(name: str) -> bool:
    parts = name.split("-")
    return len(parts) in (1, 2) and all(p.isdigit() for p in parts) and len(parts[0]) == 4


def archived(
    spec: FeedSpec, members: Sequence[Entry], period: str, site_url: str
) -> tuple[FeedSpec, list[tuple[FeedSpec, tuple[Entry, ...]]]]:
    """The subscription document's spec with its links, and each archive (spec and entries,
    newest first), oldest archive first. `members` are all the feed's entries, newest first."""
    older = members[spec.limit :]
    if not older:
        complete = History(complete=True)
        return replace(spec, outputs=tuple(replace(o, history=complete) for o in spec.outputs)), []
    by_period: dict[str, list[Entry]] = defaultdict(list)
    for entry in older:
        by_period[period_of(entry, period)].append(entry)
    names = sorted(by_period)  # oldest first
    paths = {o.format: [archive_path(o.path, name) for name in names] for o in spec.outputs}
    urls = {fmt: [absolute(site_url, path) for path in made] for fmt, made in paths.items()}
    archives = []
    for index, name in enumerate(names):
        outputs = tuple(
            _archive_output(o, paths[o.format], urls[o.format], index) for o in spec.outputs
        )
        entries = tuple(by_period[name])
        archive = replace(spec, outputs=outputs, limit=len(entries), max_bytes=ARCHIVE_MAX_BYTES)
        archives.append((archive, entries))
    newest = {o.format: urls[o.format][-1] for o in spec.outputs}
    subscription = tuple(
        replace(o, history=History(prev_archive=newest[o.format])) for o in spec.outputs
    )
    return replace(spec, outputs=subscription), archives


def _archive_output(
    subscription: FeedOutput, paths: Sequence[str], urls: Sequence[str], index: int
) -> FeedOutput:
    history = History(
        current=subscription.url,
        current_path=subscription.path,
        prev_archive=urls[index - 1] if index > 0 else "",
        # The newest archive's next is the subscription document: every archive links both
        # ways (validators take an archive with no links for a cut-off one).
        next_archive=urls[index + 1] if index + 1 < len(urls) else subscription.url,
        archive=True,
    )
    return FeedOutput(subscription.format, paths[index], urls[index], history)
