"""Watching the posts directory: file events (inotify and friends), or polling.

watchfiles gathers a burst of changes (an editor's save, a `git pull` of fifty files) and
yields it once things have been quiet for `debounce` seconds; the paths that are post sources
go to `on_change`, relative to the blog root. Renames arrive as a deletion and an addition, and
the build recognises the post by its content. Editor droppings (swap files, backups, lock
files) and temporary files never get that far.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

from syndicate.content.files import body_format, is_dropping
from syndicate.logs import fields

log = logging.getLogger(__name__)


class LocalWatcher:
    def __init__(
        self,
        root: Path,
        posts_dir: str,
        accepts: Callable[[str], bool],
        on_change: Callable[[set[str]], None],
        *,
        poll: bool = False,
        poll_interval: float = 1.0,
        debounce: float = 0.05,
    ) -> None:
        self._root = root
        self._target = root / posts_dir if (root / posts_dir).is_dir() else root
        self._accepts = accepts
        self._on_change = on_change
        self._poll = poll
        self._poll_interval = poll_interval
        self._debounce = debounce
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        step = max(int(self._debounce * 1000), 10)
        log.info("watching posts", extra=fields(path=str(self._target), polling=self._poll))
        try:
            for changes in watchfiles.watch(
                self._target,
                watch_filter=self._is_post,
                step=step,
                debounce=max(step * 10, 500),
                stop_event=self._stop,
                force_polling=self._poll,
                poll_delay_ms=int(self._poll_interval * 1000),
                recursive=True,
                raise_interrupt=False,
            ):
                found = (self._relative(Path(path)) for _change, path in changes)
                paths = {rel for rel in found if rel is not None}
                if paths:
                    self._on_change(paths)
        except Exception:
            log.exception("the file watcher stopped; full scans still run")

    def _is_post(self, _change: watchfiles.Change, path: str) -> bool:
        name = Path(path).name
        return not is_dropping(name) and body_format(name) is not None

    def _relative(self, path: Path) -> str | None:
        try:
            rel = path.relative_to(self._root).as_posix()
        except ValueError:
            return None
        return rel if self._accepts(rel) else None
