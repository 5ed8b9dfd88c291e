"""What the mirror's bucket must change to hold what the daemon serves (pure; see mirror.py).

The daemon serves its feed files (every format, archives included) and `/feeds.opml`. Each is
*wanted* at its own path under the bucket's prefix, with the digest the ledger recorded for
its bytes. *Confirmed* is what the bucket was last seen to accept, path by digest. A round
uploads every wanted file whose digest differs from the confirmed one and deletes every
confirmed path no longer wanted: only paths the mirror itself put there, never anything else
under the prefix (the bucket may hold the rest of the site).
"""

from __future__ import annotations

import json
from collections.abc import Container, Mapping, Sequence

import msgspec

from syndicate.config import MirrorSettings
from syndicate.feeds.opml import MEDIA_TYPE as OPML_TYPE
from syndicate.feeds.output import digest
from syndicate.store.ledger import FeedRecord
from syndicate.web.catalog import FeedFile
from syndicate.web.page import OPML_PATH

OPML_CONTENT_TYPE = f"{OPML_TYPE}; charset=utf-8"


class Wanted(msgspec.Struct, frozen=True):
    """A file the bucket should hold: its path, the digest of its bytes as last built, its
    Content-Type, and its bytes when they are made in memory (the OPML list)."""

    path: str
    digest: str
    content_type: str
    data: bytes | None = None

    def __repr__(self) -> str:  # without the bytes, which can be a whole OPML list
        return f"Wanted(path={self.path!r}, digest={self.digest!r}, type={self.content_type!r})"


class Changes(msgspec.Struct, frozen=True):
    uploads: list[Wanted]
    deletions: list[str]

    def __bool__(self) -> bool:
        return bool(self.uploads or self.deletions)

    def __len__(self) -> int:
        return len(self.uploads) + len(self.deletions)


def wanted_files(
    files: Sequence[FeedFile], records: Mapping[str, FeedRecord], opml: bytes
) -> dict[str, Wanted]:
    """The served files, as the web app types them, and the OPML list. A file the ledger has
    no record of yet (never written) is left for a later round."""
    wanted = {OPML_PATH: Wanted(OPML_PATH, digest(opml), OPML_CONTENT_TYPE, opml)}
    for file in files:
        record = records.get(file.path)
        if record is not None:
            kind = f"{file.format.media_type}; charset=utf-8"
            wanted[file.path] = Wanted(file.path, record.digest, kind)
    return wanted


def changes(
    wanted: Mapping[str, Wanted], confirmed: Mapping[str, str], failed: Container[str] = ()
) -> Changes:
    """What to upload and delete. Paths that failed last time go last, so that one object the
    bucket keeps refusing cannot hold back every other."""
    uploads = [w for p, w in wanted.items() if confirmed.get(p) != w.digest]
    uploads.sort(key=lambda w: (w.path in failed, w.path))
    return Changes(uploads, sorted(p for p in confirmed if p not in wanted))


def state_key(settings: MirrorSettings) -> str:
    """Where the ledger's `state` table keeps what this bucket and prefix hold: another
    target starts from nothing confirmed."""
    return f"mirror:{settings.endpoint_url or 'aws'}/{settings.s3_bucket}/{settings.prefix}"


def object_key(settings: MirrorSettings, path: str) -> str:
    return settings.prefix + path


def decode(text: str | None) -> dict[str, str]:
    """The confirmed digests as stored; anything unreadable means nothing is confirmed (every
    file is uploaded again, which is always safe)."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def encode(confirmed: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(confirmed.items())), separators=(",", ":"))
