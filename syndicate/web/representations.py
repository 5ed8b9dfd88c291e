"""A feed file's bytes as served: identity and gzip, each with its strong ETag, kept in memory.

A feed changes only when a build replaces it (a new file renamed over the old one), so a
version is named by its *stamp*: inode, size and modification time. A request costs one
`stat`; while the stamp is the one cached, nothing is read, hashed or compressed again, and a
rename shows up at once as a new inode. Memory is bounded: the least recently served files
are dropped past `max_bytes`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
from collections import OrderedDict
from email.utils import formatdate
from pathlib import Path

import msgspec

DEFAULT_CACHE_BYTES = 64 * 1024 * 1024


Stamp = tuple[int, int, int, int]  # device, inode, size, mtime in ns


def stamp_of(info: os.stat_result) -> Stamp:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


class Body(msgspec.Struct, frozen=True):
    """One representation: the bytes sent and their ETag."""

    data: bytes
    etag: str
    encoding: str | None  # the Content-Encoding, None for identity


class Representation(msgspec.Struct, frozen=True):
    """One version of one file, in every encoding it is served in."""

    stamp: Stamp
    identity: Body
    gzipped: Body | None  # None when compressing does not make it smaller
    last_modified: str  # HTTP date
    modified: int  # whole seconds, for If-Modified-Since

    @property
    def size(self) -> int:
        return len(self.identity.data) + (len(self.gzipped.data) if self.gzipped else 0)


def etag_of(data: bytes) -> str:
    # blake2b-128, the digest the ledger records for each written feed: the ETag of a feed
    # file can be checked against FeedRecord.digest.
    return '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'


def load(path: Path) -> Representation | None:
    """Read one file and prepare its representations; None if it is not a regular file.

    The stamp comes from the open file, so bytes and stamp always belong together even if a
    build renames a new version over the path meanwhile. Blocking: run it in a thread.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # a directory opens too; never list one
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read()
    return prepare(data, stamp_of(info), info.st_mtime)


def prepare(data: bytes, stamp: Stamp, mtime: float, etag: str | None = None) -> Representation:
    """`data` in every encoding it is served in, each with its strong ETag (`etag`: the
    identity's, when already known)."""
    packed = gzip.compress(data, compresslevel=9, mtime=0)  # mtime=0: same bytes, same ETag
    return Representation(
        stamp=stamp,
        identity=Body(data, etag or etag_of(data), None),
        gzipped=Body(packed, etag_of(packed), "gzip") if len(packed) < len(data) else None,
        last_modified=formatdate(mtime, usegmt=True),
        modified=int(mtime),
    )


class RepresentationCache:
    """The current version of each recently served file, least recently served dropped first.

    Used from the event loop only, so it needs no lock.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._max = max_bytes
        self._items: OrderedDict[str, Representation] = OrderedDict()
        self._bytes = 0

    def get(self, rel: str, stamp: Stamp) -> Representation | None:
        found = self._items.get(rel)
        if found is None or found.stamp != stamp:
            return None
        self._items.move_to_end(rel)
        return found

    def put(self, rel: str, rep: Representation) -> None:
        old = self._items.pop(rel, None)
        if old is not None:
            self._bytes -= old.size
        if rep.size > self._max:
            return  # would evict everything else and still not fit
        self._items[rel] = rep
        self._bytes += rep.size
        while self._bytes > self._max:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= dropped.size

    def __len__(self) -> int:
        return len(self._items)
