"""Writing feed files: atomically, and only when their bytes change."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from syndicate.errors import OutputError


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class OutputDir:
    """The directory feeds are written into. Paths given to it are relative and stay inside."""

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root.resolve()
        self._fsync = fsync

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
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                return False
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise OutputError(f"cannot read {target}: {exc}") from exc
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    if self._fsync:
                        handle.flush()
                        os.fsync(handle.fileno())
                os.chmod(temp, 0o644)
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc}") from exc
        return True

    def exists(self, rel: str) -> bool:
        return self.path(rel).is_file()
