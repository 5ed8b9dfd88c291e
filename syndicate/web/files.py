"""From a request path to a file under the output directory, or to nothing.

Only plain files inside the output directory are ever named: no `..` or `.` segments (the
path arrives percent-decoded, so `%2e%2e` is caught here too), no empty segments (`//etc`),
no dotfiles (the builder's temporary files are `.name.pid.tmp`), no editor droppings, no
directories, and no symlink whose target lies outside the directory or is itself hidden.
And of those, only the files the feed index lists are served (web/feeds.py).
"""

from __future__ import annotations

from pathlib import Path

_HIDDEN_SUFFIXES = (".tmp", "~", ".swp", ".part")


def clean_path(url_path: str) -> str | None:
    """The request path as a relative output path, or None if it could name something else."""
    parts = url_path.removeprefix("/").split("/")
    if not all(_servable_name(part) for part in parts):
        return None
    return "/".join(parts)


def _servable_name(part: str) -> bool:
    return (
        bool(part)
        and not part.startswith(".")
        and not part.endswith(_HIDDEN_SUFFIXES)
        and "\\" not in part
        and "\x00" not in part
    )


def locate(root: Path, rel: str) -> Path | None:
    """The real path of `rel` (already cleaned) under `root`, if it stays inside and visible.

    `root` must be resolved. Symlinks are followed, then the target is checked again: inside
    `root`, and no hidden component on the way.
    """
    try:
        target = root.joinpath(rel).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a symlink loop, unreadable
        return None
    if not target.is_relative_to(root):
        return None
    inside = target.relative_to(root).as_posix()
    return target if inside == rel or clean_path(inside) is not None else None
