"""The render cache: rendered HTML per post, in a local SQLite file that can be thrown away.

It is written without fsync (a crash of the process is safe; a power cut may lose it) because
everything in it can be rebuilt from the posts. A damaged file is deleted and started afresh.
Besides the latest rendering, a row keeps the *baseline*: the rendering that subscribers last
saw as a significant version, which the next edit is compared against.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from syndicate.model import Rendered

_SCHEMA = """
CREATE TABLE IF NOT EXISTS renders (
    pk INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    content TEXT NOT NULL,
    summary TEXT NOT NULL,
    summary_text TEXT NOT NULL,
    warnings TEXT NOT NULL,
    baseline TEXT
)
"""


class CachedRender(msgspec.Struct, frozen=True):
    key: str
    rendered: Rendered
    baseline: str  # HTML of the last significant version


class RenderCache:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._open()
        except sqlite3.DatabaseError:
            self._discard()
            return self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute(_SCHEMA)
        return db

    def _discard(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self._path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self._db.close()

    def get_many(self, pks: Sequence[int]) -> dict[int, CachedRender]:
        found: dict[int, CachedRender] = {}
        for start in range(0, len(pks), 500):
            chunk = list(pks[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT pk, key, content, summary, summary_text, warnings, baseline "  # noqa: S608
                f"FROM renders WHERE pk IN ({marks})",
                chunk,
            )
            for pk, key, content, summary, text, warnings, baseline in rows:
                rendered = Rendered(content, summary, text, tuple(json.loads(warnings)))
                found[pk] = CachedRender(
                    key, rendered, baseline if baseline is not None else content
                )
        return found

    def put_many(self, items: Iterable[tuple[int, str, Rendered, str | None]]) -> None:
        """Store (pk, key, rendering, baseline); a None baseline means "this rendering"."""
        rows = [
            (
                pk,
                key,
                r.content_html,
                r.summary_html,
                r.summary_text,
                json.dumps(list(r.warnings)),
                baseline if baseline != r.content_html else None,
            )
            for pk, key, r, baseline in items
        ]
        if not rows:
            return
        try:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT OR REPLACE INTO renders VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )
        except sqlite3.DatabaseError:
            self._reset()

    def _query(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        try:
            rows: list[tuple[Any, ...]] = self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError:
            self._reset()
            return []
        return rows

    def _reset(self) -> None:
        self._db.close()
        self._discard()
        self._db = self._open()
