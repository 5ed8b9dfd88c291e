"""Minting permanent ids and recognising a post that moved: pure functions of data."""

from __future__ import annotations

import functools
import re
from collections.abc import Container, Iterable
from datetime import date
from urllib.parse import quote

import msgspec

from syndicate.content.text import collapse_space, digest
from syndicate.content.urls import host_of, path_of

_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


class Fingerprint(msgspec.Struct, frozen=True):
    """What identifies a post across renames when its path no longer does."""

    declared_id: str | None
    content_hash: str
    title_key: str
    day: date


def _host(url: str) -> str:
    """The host of a URL; cached, since every post of a site shares one."""
    slash = url.find("/", url.find("//") + 2) if "//" in url else -1
    return _host_of_origin(url if slash < 0 else url[:slash])


@functools.lru_cache(maxsize=64)
def _host_of_origin(origin: str) -> str:
    return host_of(origin + "/")


def title_key(title: str) -> str:
    return collapse_space(title).casefold()


def mint(
    template: str,
    *,
    url: str,
    day: date,
    slug: str = "",
    declared: str | None = None,
    taken: Container[str] = (),
    salt: str = "",
) -> str:
    """A new permanent id from the id template; never one already `taken`.

    A declared id that is a URI is used as is; any other declared value stands in for the path.
    """
    if declared and _URI.match(declared):
        candidate = declared
    else:
        path = quote(declared, safe="") if declared else path_of(url)
        candidate = template.format(
            host=_host(url),
            date=day.isoformat(),
            year=f"{day.year:04d}",
            path=path,
            permalink=url,
            slug=slug,
            dir=url_folder(url),
        )
    if candidate in taken:
        candidate = f"{candidate}#{digest(salt or candidate)[:8]}"
    return candidate


def url_folder(url: str) -> str:
    """The URL up to its last path segment, without the slash (Ruby's File.dirname): with
    `{dir}/{slug}`, Jekyll's post.id, which jekyll-feed makes each entry's id."""
    head, _, _ = url.rstrip("/").rpartition("/")
    return head if "//" in head or not url.startswith(("http:", "https:")) else url.rstrip("/")


def check_template(template: str) -> None:
    """Raise ValueError when the template uses an unknown field or cannot give a URI."""
    try:
        sample = template.format(
            host="example.org",
            date="2024-01-31",
            year="2024",
            path="blog/post.html",
            permalink="https://example.org/blog/post.html",
            slug="post",
            dir="https://example.org/blog",
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"unknown field {exc} in id_template") from None
    if not _URI.match(sample):
        raise ValueError("id_template must produce a URI, such as tag:{host},{date}:/{path}")


def best_match(new: Fingerprint, candidates: Iterable[tuple[Fingerprint, int]]) -> int | None:
    """Which earlier post (by key) a new file is, if any: same declared id, else same content,
    else same title on the same day. Earlier candidates win ties."""
    pool = list(candidates)

    def same_declared_id(old: Fingerprint) -> bool:
        return new.declared_id is not None and old.declared_id == new.declared_id

    def same_content(old: Fingerprint) -> bool:
        return old.content_hash == new.content_hash

    def same_title_and_day(old: Fingerprint) -> bool:
        return old.title_key == new.title_key and old.day == new.day

    for rule in (same_declared_id, same_content, same_title_and_day):
        for old, key in pool:
            if rule(old):
                return key
    return None
