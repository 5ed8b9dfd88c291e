"""Writing feed files: atomically, and only when their bytes change."""

from __future__ import annotations

import os
from pathlib import Path

from syndicate.content.text import digest_bytes
from syndicate.errors import OutputError


def digest(data: bytes) -> str:
    return digest_bytes(data)


class OutputDir:
    """The directory feeds are written into. Paths given to it are relative and stay inside."""

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root.resolve()
        self._fsync = fsync
        self._made: set[Path] = set()
        # On a cluster's owner: every feed's bytes, written or already there, kept until
        # taken, so the build can store them for the other nodes (Builder).
        self.collect = False
        self._collected: dict[str, bytes] = {}
        # The files under root as last walked, kept up to date with what this object writes
        # and sweeps, until `forget_listing` (a build's end): one walk serves the sweep and
        # the build's checks instead of one walk each.
        self._listing: set[str] | None = None

    def take_collected(self) -> dict[str, bytes]:
        taken, self._collected = self._collected, {}
        return taken

    def path(self, rel: str) -> Path:
        target = self.root / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise OutputError(f"feed path {rel!r} leaves the output directory {self.root}")
        return target

    def write_if_changed(self, rel: str, data: bytes) -> bool:
        """Write `data` to `rel` unless the file already holds exactly these bytes.

        The new file appears whole or not at all: it is written beside the target and renamed
        over it. Returns whether the file was written.
        """
        target = self.path(rel)
        if self.collect:
            self._collected[rel] = data
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                return False
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise OutputError(f"cannot read {target}: {exc}") from exc
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            self._ensure_dir(target.parent)
            # 0o644 before the umask: feeds are public files a web server must read.
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if self._fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
            temp.replace(target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise OutputError(f"cannot write {target}: {exc}") from exc
        if self._listing is not None:
            self._listing.add(rel)
        return True

    def sweep(self) -> list[str]:
        """Remove the temporary files (`.name.PID.tmp`) a killed process left behind: those of
        processes that no longer run, and this one's own (call it before writing). Returns
        their relative paths."""
        removed = []
        for rel in self.files():
            name = rel.rpartition("/")[2]
            pid = _temporary_pid(name)
            if pid is not None and (pid == os.getpid() or not _running(pid)):
                (self.root / rel).unlink(missing_ok=True)
                removed.append(rel)
        if self._listing is not None:
            self._listing.difference_update(removed)
        return removed

    def _ensure_dir(self, directory: Path) -> None:
        if directory not in self._made:
            directory.mkdir(parents=True, exist_ok=True)
            self._made.add(directory)

    def files(self) -> set[str]:
        """Every file under the output directory, as paths relative to it: walked once, then
        as this object changed it until `forget_listing`."""
        if self._listing is None:
            self._listing = self._walk()
        return set(self._listing)

    def forget_listing(self) -> None:
        """Walk the directory again at the next `files`: others may change it meanwhile."""
        self._listing = None

    def _walk(self) -> set[str]:
        found: set[str] = set()
        stack = [(self.root, "")]
        while stack:
            directory, prefix = stack.pop()
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), f"{prefix}{entry.name}/"))
                else:
                    found.add(prefix + entry.name)
        return found

    def exists(self, rel: str) -> bool:
        return self.path(rel).is_file()


def _temporary_pid(name: str) -> int | None:
    """The process id in a temporary file's name (`.name.PID.tmp`), else None."""
    if not (name.startswith(".") and name.endswith(".tmp")):
        return None
    pid = name.removesuffix(".tmp").rpartition(".")[2]
    return int(pid) if pid.isdigit() else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
