"""The build loop: one build at a time, the requests that arrive meanwhile merged into the next.

Requests (paths from the watcher, "scan everything", a poll's RemoteBatch, "a post's date
passed") queue while a build runs; the loop's Worker step takes them all at once, so a burst
of fifty files is one or two builds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from syndicate.clock import Clock
from syndicate.daemon.worker import Worker
from syndicate.pipeline.remote_entries import RemoteBatch, merge

Build = Callable[[set[str] | None, set[str], list[RemoteBatch]], None]  # paths, reasons, polls


class BuildLoop:
    """Runs `build` in its own thread, one at a time, merging the requests that queue up."""

    def __init__(self, build: Build, clock: Clock) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._paths: set[str] | None = set()
        self._reasons: set[str] = set()
        self._remote: list[RemoteBatch] = []
        self._pending = False
        self.worker = Worker("builder", self._step, clock=clock)

    def start(self) -> None:
        self.worker.start(wake=False)  # the daemon asks for its first build itself

    def request(
        self, paths: set[str] | None, reason: str, remote: RemoteBatch | None = None
    ) -> None:
        """Ask for a build of `paths` (None: scan everything), with a poll's findings."""
        with self._lock:
            if paths is None:
                self._paths = None
            elif self._paths is not None:
                self._paths |= paths
            if remote is not None:
                self._remote.append(remote)
            self._reasons.add(reason)
            self._pending = True
        self.worker.wake()

    def idle(self) -> bool:
        with self._lock:
            return not self._pending and self.worker.idle()

    def stop(self) -> None:
        """Let the build under way finish; drop what is queued (the next start scans and
        polls again)."""
        self.worker.stop()

    def _step(self) -> None:
        with self._lock:
            if not self._pending:
                return
            paths, reasons, remote = self._paths, self._reasons, merge(self._remote)
            self._paths, self._reasons, self._remote = set(), set(), []
            self._pending = False
        self._build(paths, reasons, remote)
