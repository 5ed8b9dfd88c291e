"""Writing files: whole or not at all, only when the bytes change, never outside the output."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from syndicate.errors import OutputError
from syndicate.feeds.output import OutputDir


def test_writes_only_changed_bytes(tmp_path: Path) -> None:
    out = OutputDir(tmp_path)
    assert out.write_if_changed("a/b/feed.xml", b"one")
    mtime = (tmp_path / "a/b/feed.xml").stat().st_mtime_ns
    assert not out.write_if_changed("a/b/feed.xml", b"one")
    assert (tmp_path / "a/b/feed.xml").stat().st_mtime_ns == mtime
    assert out.write_if_changed("a/b/feed.xml", b"two")
    assert (tmp_path / "a/b/feed.xml").read_bytes() == b"two"
    assert [p.name for p in (tmp_path / "a/b").iterdir()] == ["feed.xml"]


def test_files_are_readable_by_a_web_server(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        OutputDir(tmp_path).write_if_changed("feed.xml", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "feed.xml").stat().st_mode) == 0o644


@pytest.mark.parametrize("path", ["../escape.xml", "/etc/feed.xml", "a/../../x.xml"])
def test_paths_stay_inside(tmp_path: Path, path: str) -> None:
    with pytest.raises(OutputError, match="leaves the output directory"):
        OutputDir(tmp_path / "out").write_if_changed(path, b"x")


def test_the_listing_is_walked_once_then_kept_as_written_and_swept(tmp_path: Path) -> None:
    (tmp_path / "tag").mkdir()
    (tmp_path / "tag" / "a.xml").write_bytes(b"a")
    (tmp_path / f".feed.xml.{os.getpid()}.tmp").write_bytes(b"half")  # a killed write's
    out = OutputDir(tmp_path)
    assert out.sweep() == [f".feed.xml.{os.getpid()}.tmp"]
    assert out.files() == {"tag/a.xml"}
    out.write_if_changed("feed.xml", b"x")
    (tmp_path / "tag" / "a.xml").unlink()  # by someone else: seen at the next walk only
    assert out.files() == {"tag/a.xml", "feed.xml"}
    out.forget_listing()
    assert out.files() == {"feed.xml"}
