"""The StateStore protocol over a dict, for publisher tests: the ledger's `state` table is
tested elsewhere (publish/pool.py's LedgerState)."""

from __future__ import annotations


class MemoryState:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def put(self, key: str, value: str) -> None:
        self.values[key] = value
