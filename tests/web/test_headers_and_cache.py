"""The header parsers and the representation cache, on their own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syndicate.web.conditions import accepts_gzip, none_match, not_modified_since
from syndicate.web.representations import RepresentationCache, load, stamp_of

A, B = '"aaa"', '"bbb"'


@pytest.mark.parametrize(
    ("header", "found"),
    [
        (A, A),
        (f"W/{B}", B),
        (f'"x", W/{A} , {B}', A),
        ("*", A),
        ('"aaa', None),  # unterminated: matches nothing
        ("aaa", None),  # not quoted
        ('"a,a"', None),
        ("", None),
        (None, None),
    ],
)
def test_if_none_match(header: str | None, found: str | None) -> None:
    assert none_match(header, [A, B]) == found


@pytest.mark.parametrize(
    ("header", "gzip"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("x-gzip", True),
        ("GZIP;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *", False),
        ("*;q=0", False),
        ("deflate, br", False),
        ("identity", False),
        ("gzip;q=nonsense", False),
        ("", False),
        (None, False),
    ],
)
def test_accept_encoding(header: str | None, gzip: bool) -> None:
    assert accepts_gzip(header) is gzip


@pytest.mark.parametrize(
    ("header", "current"),
    [
        ("Sat, 01 Jun 2024 12:00:00 GMT", True),
        ("Sat, 01 Jun 2024 12:00:01 GMT", True),
        ("Sat, 01 Jun 2024 11:59:59 GMT", False),
        ("Saturday, 01-Jun-24 12:00:00 GMT", True),  # RFC 850
        ("Sat Jun  1 12:00:00 2024", True),  # asctime, GMT by definition
        ("yesterday", False),
        ("", False),
        (None, False),
    ],
)
def test_if_modified_since(header: str | None, current: bool) -> None:
    modified = 1717243200  # 2024-06-01 12:00:00 UTC
    assert not_modified_since(header, modified) is current


def make(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))  # random bytes: gzip cannot shrink them
    return path


def test_the_cache_keeps_the_current_version_within_its_budget(tmp_path: Path) -> None:
    cache = RepresentationCache(max_bytes=2500)
    for name in ("a.xml", "b.xml", "c.xml"):
        rep = load(make(tmp_path, name, 1000))
        assert rep is not None and rep.gzipped is None
        cache.put(name, rep)
    assert len(cache) == 2  # a.xml, served least recently, went
    assert cache.get("a.xml", stamp_of((tmp_path / "a.xml").stat())) is None
    assert cache.get("c.xml", stamp_of((tmp_path / "c.xml").stat())) is not None


def test_a_new_stamp_misses_and_replaces(tmp_path: Path) -> None:
    cache = RepresentationCache()
    path = make(tmp_path, "a.xml", 100)
    old = load(path)
    assert old is not None
    cache.put("a.xml", old)
    make(tmp_path, "a.new", 100).replace(path)
    assert cache.get("a.xml", stamp_of(path.stat())) is None
    new = load(path)
    assert new is not None
    cache.put("a.xml", new)
    assert len(cache) == 1
    assert cache.get("a.xml", stamp_of(path.stat())) is new


def test_too_big_for_the_cache_is_served_but_not_kept(tmp_path: Path) -> None:
    cache = RepresentationCache(max_bytes=100)
    rep = load(make(tmp_path, "big.xml", 1000))
    assert rep is not None
    cache.put("big.xml", rep)
    assert len(cache) == 0


def test_load_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "dir.xml").mkdir()
    assert load(tmp_path / "dir.xml") is None
    assert load(tmp_path / "missing.xml") is None
    (tmp_path / "link.xml").symlink_to(make(tmp_path, "real.xml", 10))
    assert load(tmp_path / "link.xml") is None  # only resolved paths are loaded
