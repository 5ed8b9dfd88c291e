"""From planned feeds to files: decide which outputs are stale, then make and write them.

An output is stale when its *signature* (the settings, the feed's spec and, for each entry, its
id, version and `updated`) differs from the one recorded when it was last written, or when its
file is missing. Only stale outputs need their entries rendered and their documents assembled;
a document is then written only if its bytes differ from the file's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from syndicate.feeds.documents import FeedHead, assemble, overhead
from syndicate.feeds.entries import atom_entry, json_item_bytes, rss_item
from syndicate.feeds.output import OutputDir, digest
from syndicate.feeds.plan import PlannedFeed, latest_update
from syndicate.model import Entry, FeedFormat, FeedOutput, Rendered
from syndicate.store.identity import mint
from syndicate.store.ledger import FeedRecord

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SERIALISERS: dict[FeedFormat, Callable[..., bytes]] = {
    FeedFormat.ATOM: atom_entry, FeedFormat.RSS: rss_item, FeedFormat.JSON: json_item_bytes,
}


@dataclass(frozen=True, slots=True)
class FeedJob:
    """One output file to (re)make."""

    feed: PlannedFeed
    output: FeedOutput
    signature: str


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """Feed-level facts that come from the settings rather than from posts."""

    author: str
    language: str | None
    hubs: tuple[str, ...]
    icon: str | None
    logo: str | None
    id_template: str
    fingerprint: str  # of the settings: any change makes every output stale


def stale_jobs(feeds: Sequence[PlannedFeed], known: Mapping[str, FeedRecord],
               versions: Mapping[str, str], facts: SiteFacts, output_dir: OutputDir,
               *, full: bool = False) -> list[FeedJob]:
    """The outputs whose inputs changed since they were written (all of them with `full`)."""
    jobs = []
    for feed in feeds:
        for output in feed.spec.outputs:
            signature = _signature(feed, output, versions, facts)
            record = known.get(output.path)
            if full or record is None or record.signature != signature or not output_dir.exists(output.path):
                jobs.append(FeedJob(feed, output, signature))
    return jobs


def _signature(feed: PlannedFeed, output: FeedOutput, versions: Mapping[str, str], facts: SiteFacts) -> str:
    parts = [facts.fingerprint, repr(feed.spec), repr(output)]
    parts += [f"{e.id}|{versions.get(e.id, '')}|{e.updated.isoformat()}" for e in feed.entries]
    return digest("\n".join(parts).encode("utf-8"))


def entries_needed(jobs: Iterable[FeedJob]) -> dict[str, Entry]:
    """Every entry some stale output lists, by id."""
    return {e.id: e for job in jobs for e in job.feed.entries}


class FeedMaker:
    """Serialises each entry once per format and assembles and writes documents."""

    def __init__(self, facts: SiteFacts, output_dir: OutputDir, now: datetime,
                 site_updated: datetime | None) -> None:
        self._facts = facts
        self._out = output_dir
        self._now = now
        self._site_updated = site_updated or _EPOCH
        self._serialised: dict[tuple[str, FeedFormat, bool], bytes] = {}

    def make(self, job: FeedJob, renders: Mapping[str, Rendered], known: FeedRecord | None
             ) -> tuple[FeedRecord, bool]:
        """Write one output if its bytes changed; returns its new record and whether written."""
        feed, output = job.feed, job.output
        head = self._head(feed, output, known)
        entries = [e for e in feed.entries if e.id in renders]
        pieces = [self._entry_bytes(e, output.format, feed.spec.full_content, renders[e.id]) for e in entries]
        pieces = _within_budget(pieces, feed.spec.max_bytes - overhead(head, output))
        data = assemble(head, output, pieces)
        written = self._out.write_if_changed(output.path, data)
        spec = feed.spec
        record = FeedRecord(output.path, spec.kind.value, spec.key, feed.name, head.feed_id,
                            job.signature, digest(data), len(data), len(pieces))
        return record, written

    def _head(self, feed: PlannedFeed, output: FeedOutput, known: FeedRecord | None) -> FeedHead:
        feed_id = known.feed_id if known else mint(
            self._facts.id_template, url=output.url, day=self._now.date()
        )
        return FeedHead(
            spec=feed.spec, feed_id=feed_id,
            updated=latest_update(feed.entries) or self._site_updated,
            author=self._facts.author, language=self._facts.language, hubs=self._facts.hubs,
            icon=self._facts.icon, logo=self._facts.logo,
        )

    def _entry_bytes(self, entry: Entry, fmt: FeedFormat, full: bool, rendered: Rendered) -> bytes:
        key = (entry.id, fmt, full)
        data = self._serialised.get(key)
        if data is None:
            data = _SERIALISERS[fmt](entry, rendered, full=full)
            self._serialised[key] = data
        return data


def _within_budget(pieces: list[bytes], budget: int) -> list[bytes]:
    """The newest entries that fit in `budget` bytes; always at least one."""
    kept: list[bytes] = []
    used = 0
    for piece in pieces:
        used += len(piece) + 1
        if kept and used > budget:
            break
        kept.append(piece)
    return kept
