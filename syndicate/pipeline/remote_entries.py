"""Remote entries in a build: what a poll of a remote feed hands the builder.

A remote entry has no file, so it gets a stand-in stamp: its key (`sources/<name>/<hash>`)
for a path, and numbers taken from what it is made of, so an entry that comes back unchanged
in the next poll is skipped exactly as an untouched file is. Entries that leave a feed (it
shows only its newest ones) stay in the ledger; only a source removed from the settings takes
its entries away.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from syndicate.content.files import SourceStamp
from syndicate.content.loader import LoadedPost
from syndicate.content.tags import slugify
from syndicate.content.text import digest
from syndicate.store.codec import dump_post, load_post

SOURCE_PREFIX = "sources/"


class RemoteBatch(msgspec.Struct, frozen=True):
    """The entries one successful poll found, and the source's state to store with them."""

    name: str  # the source's name in the settings
    prefix: str  # what the keys of its entries start with
    posts: tuple[LoadedPost, ...]
    state: str  # the source's state as JSON, stored in the same transaction as its entries
    first: bool = False  # the source's first poll: its entries are taken as already seen
    inbox_ids: tuple[int, ...] = ()  # on a cluster, the waiting polls it came from (store/inbox.py)


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
    """One batch per source: the latest state, and the entries of every poll (the latest
    version of each). An entry an earlier poll found and a later one no longer lists (the
    feed shows only its newest) is kept, as it would be had a build come between; a first poll
    stays first when polled again before the build (its entries were never recorded)."""
    merged: dict[str, RemoteBatch] = {}
    for batch in batches:
        earlier = merged.get(batch.name)
        if earlier is None:
            merged[batch.name] = batch
            continue
        found = {lp.post.source for lp in batch.posts}
        kept = tuple(lp for lp in earlier.posts if lp.post.source not in found)
        merged[batch.name] = RemoteBatch(
            batch.name,
            batch.prefix,
            kept + batch.posts,
            batch.state,
            batch.first or earlier.first,
            earlier.inbox_ids + batch.inbox_ids,
        )
    return list(merged.values())


def batch_to_json(batch: RemoteBatch) -> str:
    """A batch as a waiting poll keeps it (store/inbox.py); the posts as the ledger does."""
    return json.dumps(
        {
            "name": batch.name,
            "prefix": batch.prefix,
            "state": batch.state,
            "first": batch.first,
            "posts": [_loaded_to_json(lp) for lp in batch.posts],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def batch_from_json(text: str, inbox_id: int) -> RemoteBatch:
    data = json.loads(text)
    return RemoteBatch(
        str(data["name"]),
        str(data["prefix"]),
        tuple(_loaded_from_json(item) for item in data["posts"]),
        str(data["state"]),
        bool(data["first"]),
        (inbox_id,),
    )


def _loaded_to_json(loaded: LoadedPost) -> dict[str, Any]:
    return {
        "post": loaded.post_json or dump_post(loaded.post),
        "body": loaded.body,
        "body_format": loaded.body_format,
        "content_hash": loaded.content_hash,
        "source_hash": loaded.source_hash,
        "warnings": list(loaded.warnings),
    }


def _loaded_from_json(data: dict[str, Any]) -> LoadedPost:
    post_json = str(data["post"])
    return LoadedPost(
        post=load_post(post_json),
        body=data["body"],
        body_format=str(data["body_format"]),
        content_hash=str(data["content_hash"]),
        source_hash=str(data["source_hash"]),
        warnings=tuple(str(w) for w in data["warnings"]),
        post_json=post_json,
    )


def unclaimed(sources: Iterable[str], prefixes: Sequence[str]) -> list[str]:
    """Remote keys belonging to no configured source: the source was removed."""
    return [s for s in sources if is_remote(s) and not s.startswith(tuple(prefixes))]
