"""Feed files as httpx gets them over HTTP: types, validators, 304s, HEAD, gzip, links, 404/405."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime

import pytest

from syndicate.clock import FixedClock
from syndicate.feeds.output import digest
from tests.conftest import Blog, build
from tests.web.conftest import HUBS, Client, Site, serving, write_posts

TYPES = {
    "feed.xml": "application/atom+xml; charset=utf-8",
    "feed.rss": "application/rss+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
    "tag/news.xml": "application/atom+xml; charset=utf-8",
    "author/ana.json": "application/feed+json; charset=utf-8",
}
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}


@pytest.mark.parametrize(("path", "media_type"), TYPES.items())
def test_each_format_has_its_media_type_and_the_file_bytes(
    client: Client, site: Site, path: str, media_type: str
) -> None:
    response = client.get("/" + path, IDENTITY)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.content == (site.output / path).read_bytes()
    assert "content-encoding" not in response.headers


def test_the_etag_is_a_strong_hash_of_the_bytes_and_the_ledger_agrees(
    client: Client, site: Site
) -> None:
    response = client.get("/feed.xml", IDENTITY)
    etag = response.headers["etag"]
    assert not etag.startswith("W/")
    assert etag == f'"{digest(response.content)}"'
    assert etag.strip('"') == site.ledger.feeds()["feed.xml"].digest


def test_last_modified_is_the_file_time(client: Client, site: Site) -> None:
    response = client.get("/feed.xml")
    mtime = (site.output / "feed.xml").stat().st_mtime
    assert response.headers["last-modified"] == formatdate(mtime, usegmt=True)


def test_if_none_match_gives_304_with_weak_comparison(client: Client) -> None:
    etag = client.get("/feed.rss", IDENTITY).headers["etag"]
    for match in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        response = client.get("/feed.rss", {**IDENTITY, "If-None-Match": match})
        assert response.status_code == 304, match
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert "content-type" not in response.headers
    stale = client.get("/feed.rss", {**IDENTITY, "If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_if_modified_since_gives_304_only_without_if_none_match(client: Client) -> None:
    first = client.get("/feed.xml", IDENTITY)
    modified = first.headers["last-modified"]
    assert client.get("/feed.xml", {"If-Modified-Since": modified}).status_code == 304
    earlier = formatdate(parsedate_to_datetime(modified).timestamp() - 60, usegmt=True)
    assert client.get("/feed.xml", {"If-Modified-Since": earlier}).status_code == 200
    # If-None-Match wins: a date that says "current" cannot save a mismatching ETag.
    both = {"If-Modified-Since": modified, "If-None-Match": '"other"'}
    assert client.get("/feed.xml", both).status_code == 200
    assert client.get("/feed.xml", {"If-Modified-Since": "yesterday"}).status_code == 200


def test_head_has_the_headers_of_get_and_no_body(client: Client) -> None:
    for headers in (IDENTITY, GZIP):
        got = client.get("/feed.json", headers)
        head = client.head("/feed.json", headers)
        assert head.status_code == 200
        assert head.content == b""
        for name in ("content-type", "content-length", "etag", "last-modified", "link"):
            assert head.headers.get(name) == got.headers.get(name), name


def test_gzip_when_accepted_with_its_own_etag(client: Client, site: Site) -> None:
    plain = client.get("/feed.xml", IDENTITY)
    packed = client.get("/feed.xml", GZIP)
    assert packed.headers["content-encoding"] == "gzip"
    assert plain.headers["vary"] == packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["etag"] != plain.headers["etag"]
    assert packed.content == plain.content == (site.output / "feed.xml").read_bytes()
    assert int(packed.headers["content-length"]) < int(plain.headers["content-length"])
    # Each ETag is the hash of the bytes it names, so a gzip that changed would change it.
    raw = gzip.compress(plain.content, compresslevel=9, mtime=0)
    assert packed.headers["etag"] == f'"{digest(raw)}"'
    refused = client.get("/feed.xml", {"Accept-Encoding": "gzip;q=0, deflate"})
    assert "content-encoding" not in refused.headers


def test_each_representation_revalidates_with_its_own_etag(client: Client) -> None:
    packed = client.get("/tag/news.xml", GZIP).headers["etag"]
    plain = client.get("/tag/news.xml", IDENTITY).headers["etag"]
    assert client.get("/tag/news.xml", {**GZIP, "If-None-Match": packed}).status_code == 304
    # The gzip ETag names nothing a client that refuses gzip could be given.
    assert client.get("/tag/news.xml", {**IDENTITY, "If-None-Match": packed}).status_code == 200
    # A client that kept the identity copy and now accepts gzip still has a current copy.
    kept = client.get("/tag/news.xml", {**GZIP, "If-None-Match": plain})
    assert kept.status_code == 304
    assert kept.headers["etag"] == plain


def test_link_headers_name_the_hubs_and_the_feed_itself(client: Client) -> None:
    response = client.get("/tag/news.rss")
    links = response.headers.get_list("link")
    assert links == [
        *(f'<{hub}>; rel="hub"' for hub in HUBS),
        '<https://blog.example.org/tag/news.rss>; rel="self"',
    ]


def test_caching_headers(client: Client) -> None:
    response = client.get("/feed.xml")
    assert response.headers["cache-control"] == "public, no-cache"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_rebuilt_feed_is_served_at_once(client: Client, site: Site) -> None:
    before = client.get("/feed.xml", IDENTITY)
    site.blog.post("2024-05-03-third.html.md", {"title": "Third", "date": "2024-05-03"})
    site.rebuild()
    after = client.get("/feed.xml", {**IDENTITY, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert b"Third" in after.content
    assert after.headers["etag"] != before.headers["etag"]


def test_a_file_renamed_over_with_the_same_size_and_time_is_seen(
    client: Client, site: Site
) -> None:
    """The cache knows a version by inode too: a rename is seen even when size and mtime match,
    as on filesystems with coarse timestamps."""
    path = site.output / "feed.json"
    old = path.read_bytes()
    assert client.get("/feed.json", IDENTITY).content == old
    new = old.replace(b"Second", b"Sekond")
    info = path.stat()
    temp = path.with_name(".feed.json.1.tmp")
    temp.write_bytes(new)
    os.utime(temp, ns=(info.st_atime_ns, info.st_mtime_ns))
    temp.replace(path)
    assert client.get("/feed.json", IDENTITY).content == new


def test_only_the_feeds_the_index_lists_are_served(client: Client, site: Site) -> None:
    """A feed-looking file dropped into the output directory (by hand, by another tool, by
    whoever can write there) is not one of the site's feeds: it is not served."""
    atom = (site.output / "feed.xml").read_bytes()
    rss = (site.output / "feed.rss").read_bytes()
    (site.output / "new").mkdir()
    (site.output / "new" / "a.xml").write_bytes(atom)
    (site.output / "new" / "b.rss").write_bytes(rss)
    (site.output / "new" / "c.json").write_text('{"secret": true}')
    (site.output / "new" / "d.atom").write_bytes(atom)
    (site.output / "stray.json").write_text('{"secret": true}')
    for path in ("/new/a.xml", "/new/b.rss", "/new/c.json", "/new/d.atom", "/stray.json"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert client.get("/feed.xml").status_code == 200


@pytest.fixture
def swapped_names(blog: Blog, clock: FixedClock) -> Iterator[Client]:
    """Atom in feed.rss and RSS in feed.xml: the names lie, the index does not."""
    write_posts(blog)
    settings = blog.settings('[feeds.site]\natom = "feed.rss"\nrss = "feed.xml"\n')
    build(settings, clock)
    site = Site(blog, settings, clock)
    with serving(site.app) as client:
        yield client
    site.ledger.close()


def test_the_index_decides_the_type_over_the_name(swapped_names: Client) -> None:
    atom = swapped_names.get("/feed.rss")
    assert atom.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert b"<feed" in atom.content
    rss = swapped_names.get("/feed.xml")
    assert rss.headers["content-type"] == "application/rss+xml; charset=utf-8"


@pytest.mark.parametrize("path", ["/nothing.xml", "/tag/", "/tag", "/tag/nope.rss", "/feed.xml/"])
def test_missing_files_and_directories_are_404(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/feed.xml", "/", "/healthz", "/metrics", "/nothing"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(client: Client, path: str, method: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}
