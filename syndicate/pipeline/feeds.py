"""From planned feeds to files: decide which outputs are stale, then make and write them.

An output is stale when its *signature* (the settings, the feed's spec and, for each entry, its
id, version and `updated`) differs from the one recorded when it was last written, or when its
file is missing. Only stale outputs need their entries rendered and their documents assembled;
a document is then written only if its bytes differ from the file's.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Container, Mapping, Sequence
from datetime import UTC, datetime

import msgspec

from syndicate.errors import OutputError
from syndicate.feeds.budget import Fit, fit
from syndicate.feeds.documents import FeedHead, shell
from syndicate.feeds.output import OutputDir, digest
from syndicate.feeds.plan import PlannedFeed, latest_update
from syndicate.model import FeedFormat, FeedOutput
from syndicate.store.identity import mint
from syndicate.store.ledger import FeedRecord

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Variant = tuple[FeedFormat, bool]  # (format, full content)


class FeedJob(msgspec.Struct, frozen=True):
    """One output file to (re)make."""

    feed: PlannedFeed
    output: FeedOutput
    signature: str


class SiteFacts(msgspec.Struct, frozen=True):
    """Feed-level facts that come from the settings rather than from posts."""

    author: str
    language: str | None
    hubs: tuple[str, ...]
    icon: str | None
    logo: str | None
    id_template: str
    fingerprint: str  # of the settings: any change makes every output stale


def stale_jobs(
    feeds: Sequence[PlannedFeed],
    known: Mapping[str, FeedRecord],
    versions: Callable[[PlannedFeed], str],
    facts: SiteFacts,
    existing: Container[str],
    *,
    full: bool = False,
) -> list[FeedJob]:
    """The outputs whose inputs changed since they were written (all of them with `full`).

    `versions` describes a feed's entries: everything they are made from besides the
    settings; `existing` holds the output paths present on disk.
    """
    jobs = []
    for feed in feeds:
        head = f"{facts.fingerprint}\n{feed.spec!r}\n"
        body = versions(feed)
        for output in feed.spec.outputs:
            signature = digest(f"{head}{output!r}\n{body}".encode())
            record = known.get(output.path)
            stale = record is None or record.signature != signature or output.path not in existing
            if full or stale:
                jobs.append(FeedJob(feed, output, signature))
    return jobs


class FeedAssembler:
    """Writes stale outputs as their entries arrive, in whatever order they are made.

    Each entry's serialised bytes are kept only until every output that lists it is written,
    so memory holds the entries of unfinished feeds, not of the whole blog.
    """

    def __init__(
        self,
        jobs: Sequence[FeedJob],
        known: Mapping[str, FeedRecord],
        facts: SiteFacts,
        output_dir: OutputDir,
        now: datetime,
        site_updated: datetime | None,
    ) -> None:
        self._facts = facts
        self._out = output_dir
        self._now = now
        self._site_updated = site_updated or _EPOCH
        self._known = known
        self._jobs = list(jobs)
        self._missing: list[int] = []
        self._done = [False] * len(self._jobs)
        self._waiting: dict[tuple[str, Variant], list[int]] = defaultdict(list)
        self._uses: dict[tuple[str, Variant], int] = defaultdict(int)
        self._pieces: dict[tuple[str, Variant], bytes] = {}
        self._briefs: dict[tuple[str, Variant], bytes] = {}
        self.records: list[FeedRecord] = []
        self.written: list[str] = []
        self.failed: list[tuple[PlannedFeed, OutputError]] = []  # left unrecorded: retried
        for index, job in enumerate(self._jobs):
            keys = {(e.id, _variant(job)) for e in job.feed.entries}
            self._missing.append(len(keys))
            for key in keys:
                self._waiting[key].append(index)
                self._uses[key] += 1

    def needs(self) -> dict[str, set[Variant]]:
        """For each entry some output lists, the variants (format, full content) it needs, in
        the order to make them: feed by feed as each lists them, the feeds whose oldest entry
        is newest first, so each output is written, and its entries' bytes let go, soon after
        they start to arrive. (Newest first across the whole blog kept a rare tag's feed
        waiting for its old entries: at 10,000 posts, 16 MB of bytes held at once; now 6.)"""
        feeds = sorted(
            (job.feed for job in self._jobs if job.feed.entries),
            key=lambda feed: min((e.post.date, e.id) for e in feed.entries),
            reverse=True,
        )
        needed: dict[str, set[Variant]] = {e.id: set() for f in feeds for e in f.entries}
        for entry_id, variant in self._waiting:
            needed[entry_id].add(variant)
        return needed

    def offer(
        self,
        entry_id: str,
        pieces: Mapping[Variant, bytes],
        briefs: Mapping[Variant, bytes] | None = None,
    ) -> None:
        """Take an entry's serialised variants (and the brief forms of the large ones, see
        feeds/budget.py); write every output they complete."""
        for variant, data in pieces.items():
            key = (entry_id, variant)
            if key not in self._waiting or key in self._pieces:
                continue
            self._pieces[key] = data
            if briefs and variant in briefs:
                self._briefs[key] = briefs[variant]
            for index in self._waiting[key]:
                self._missing[index] -= 1
                if self._missing[index] == 0:
                    self._write(index)

    def finish(self) -> None:
        """Write the outputs still waiting: those with no entries, and those where some entry
        could not be made (they go out without it)."""
        for index in range(len(self._jobs)):
            if not self._done[index]:
                self._write(index)

    def _write(self, index: int) -> None:
        self._done[index] = True
        job = self._jobs[index]
        feed, output = job.feed, job.output
        variant = _variant(job)
        head = self._head(feed, output, self._known.get(output.path))
        keys = [(e.id, variant) for e in feed.entries if (e.id, variant) in self._pieces]
        empty = shell(head, output)
        kept = self._within_budget(keys, feed.spec.max_bytes - len(empty))
        data = empty.fill(kept)
        self._release(feed, variant)
        try:
            if self._out.write_if_changed(output.path, data):
                self.written.append(output.path)
        except OutputError as exc:  # this feed only: the others are still written
            self.failed.append((feed, exc))
            return
        spec = feed.spec
        self.records.append(
            FeedRecord(
                output.path,
                spec.kind.value,
                spec.key,
                feed.name,
                head.feed_id,
                job.signature,
                digest(data),
                len(data),
                len(kept),
                members=members_of(feed),
            )
        )

    def _release(self, feed: PlannedFeed, variant: Variant) -> None:
        for entry in feed.entries:
            key = (entry.id, variant)
            self._uses[key] -= 1
            if self._uses[key] == 0:
                self._pieces.pop(key, None)
                self._briefs.pop(key, None)

    def _within_budget(self, keys: list[tuple[str, Variant]], budget: int) -> list[bytes]:
        """The pieces the document carries, whole or in brief (see feeds/budget.py)."""
        briefs = [self._briefs.get(key) for key in keys]
        sizes = [
            (len(self._pieces[k]), len(b) if b else None) for k, b in zip(keys, briefs, strict=True)
        ]
        chosen = fit(sizes, budget)
        return [
            self._pieces[key] if how is Fit.WHOLE else briefs[i] or b""
            for i, (key, how) in enumerate(zip(keys, chosen, strict=False))  # chosen may be shorter
        ]

    def _head(self, feed: PlannedFeed, output: FeedOutput, known: FeedRecord | None) -> FeedHead:
        history = output.history
        if history and history.current_path:  # an archive has its subscription's feed id
            known = self._known.get(history.current_path)
        url = history.current if history and history.current else output.url
        feed_id = (
            known.feed_id if known else mint(self._facts.id_template, url=url, day=self._now.date())
        )
        return FeedHead(
            spec=feed.spec,
            feed_id=feed_id,
            updated=latest_update(feed.entries) or self._site_updated,
            author=self._facts.author,
            language=self._facts.language,
            hubs=self._facts.hubs,
            icon=self._facts.icon,
            logo=self._facts.logo,
        )


def members_of(feed: PlannedFeed) -> str:
    """What `FeedRecord.members` holds for a planned feed: its entry ids, newest first."""
    return json.dumps([entry.id for entry in feed.entries], separators=(",", ":"))


def _variant(job: FeedJob) -> Variant:
    return (job.output.format, job.feed.spec.full_content)
