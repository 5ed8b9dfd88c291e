"""Remote entries in a build: what a poll of a remote feed hands the builder.

A remote entry has no file, so it gets a stand-in stamp: its key (`sources/<name>/<hash>`)
for a path, and numbers taken from what it is made of, so an entry that comes back unchanged
in the next poll is skipped exactly as an untouched file is. Entries that leave a feed (it
shows only its newest ones) stay in the ledger; only a source removed from the settings takes
its entries away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from syndicate.content.files import SourceStamp
from syndicate.content.loader import LoadedPost
from syndicate.content.tags import slugify
from syndicate.content.text import digest

SOURCE_PREFIX = "sources/"


@dataclass(frozen=True, slots=True)
class RemoteBatch:
    """The entries one successful poll found, and the source's state to store with them."""

    name: str  # the source's name in the settings
    prefix: str  # what the keys of its entries start with
    posts: tuple[LoadedPost, ...]
    state: str  # the source's state as JSON, stored in the same transaction as its entries
    first: bool = False  # the source's first poll: its entries are taken as already seen


def source_prefix(name: str) -> str:
    """What the key of every entry of the source named `name` starts with."""
    return f"{SOURCE_PREFIX}{slugify(name) or digest(name)[:8]}/"


def is_remote(source: str) -> bool:
    """Whether a `Record.source` is a remote entry's key rather than a file's path."""
    return source.startswith(SOURCE_PREFIX)


def stamp_of(loaded: LoadedPost) -> SourceStamp:
    """The stand-in stamp of a remote entry: changes exactly when the entry does."""
    return SourceStamp(loaded.post.source, int(loaded.source_hash[:15], 16), len(loaded.body or ""))


def merge(batches: Iterable[RemoteBatch]) -> list[RemoteBatch]:
    """One batch per source, the latest; a first poll stays first when polled again before
    the build (its entries were never recorded)."""
    merged: dict[str, RemoteBatch] = {}
    for batch in batches:
        earlier = merged.get(batch.name)
        first = batch.first or (earlier is not None and earlier.first)
        merged[batch.name] = RemoteBatch(batch.name, batch.prefix, batch.posts, batch.state, first)
    return list(merged.values())


def unclaimed(sources: Iterable[str], prefixes: Sequence[str]) -> list[str]:
    """Remote keys belonging to no configured source: the source was removed."""
    return [s for s in sources if is_remote(s) and not s.startswith(tuple(prefixes))]
