"""Nothing outside the output directory, nor hidden inside it, is ever served."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from tests.web.conftest import Client, Live, Site

SECRET = b"<feed>secret</feed>"

# Sent as they are: http.client keeps `..`, `.` and `//` that httpx would normalise away.
DECODED = [
    "/../secret.xml",
    "/../../secret.xml",
    "/tag/../../secret.xml",
    "/./feed.xml",
    "/tag/./news.xml",
    "//secret.xml",
    "//etc/passwd",
    "/..",
    "/tag//news.xml",
    "/\\..\\secret.xml",
]
# As a client sends them.
ENCODED = [
    "/%2e%2e/secret.xml",
    "/%2E%2E/%2e%2e/secret.xml",
    "/tag/%2e%2e/%2e%2e/secret.xml",
    "/%2e%2e%2fsecret.xml",
    "/tag%2f..%2f..%2fsecret.xml",
    "/..%5csecret.xml",
    "/%2fetc%2fpasswd",
    "/%252e%252e/secret.xml",
    "/feed.xml%00",
]


@pytest.fixture
def secret(site: Site) -> Path:
    """A feed-looking file right beside the output directory."""
    path = site.output.parent / "secret.xml"
    path.write_bytes(SECRET)
    return path


@pytest.mark.parametrize("path", ENCODED)
def test_encoded_traversal_is_404_through_httpx(client: Client, secret: Path, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert SECRET not in response.content


@pytest.mark.parametrize("path", DECODED + ENCODED)
def test_traversal_is_404_over_http(live: Live, secret: Path, path: str) -> None:
    """Sent byte for byte by http.client, which normalises nothing."""
    conn = http.client.HTTPConnection(live.server.host, live.server.port, timeout=10)
    try:
        conn.request("GET", path.replace("\\", "%5c"))
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 404, path
    assert SECRET not in body


def test_absolute_request_target_names_nothing_outside(live: Live, secret: Path) -> None:
    conn = http.client.HTTPConnection(live.server.host, live.server.port, timeout=10)
    try:
        conn.request("GET", f"http://{live.server.host}:{live.server.port}{secret}")
        response = conn.getresponse()
        assert SECRET not in response.read()
        assert response.status == 404
    finally:
        conn.close()


@pytest.mark.parametrize(
    "name",
    [".hidden.xml", ".feed.xml.4242.tmp", "feed.xml.tmp", "feed.xml~", ".git/config.xml"],
)
def test_dotfiles_temp_files_and_editor_droppings_are_404(
    client: Client, site: Site, name: str
) -> None:
    path = site.output / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((site.output / "feed.xml").read_bytes())
    assert client.get("/" + name).status_code == 404


def test_symlinks_out_of_the_directory_are_404(client: Client, site: Site, secret: Path) -> None:
    (site.output / "leak.xml").symlink_to(secret)
    (site.output / "outside").symlink_to(secret.parent, target_is_directory=True)
    (site.output / "hidden.xml").symlink_to(site.output / ".private.xml")
    (site.output / ".private.xml").write_bytes(SECRET)
    for path in ("/leak.xml", "/outside/secret.xml", "/hidden.xml"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert SECRET not in response.content


def test_symlinks_inside_the_directory_are_followed(client: Client, site: Site) -> None:
    """A listed feed that is a symlink to a file inside the directory is served; a symlink
    the index does not list is not, like any other file."""
    data = (site.output / "feed.xml").read_bytes()
    (site.output / "real").mkdir()
    (site.output / "feed.xml").rename(site.output / "real" / "feed.xml")
    (site.output / "feed.xml").symlink_to(site.output / "real" / "feed.xml")
    response = client.get("/feed.xml", {"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.content == data
    (site.output / "atom.xml").symlink_to(site.output / "real" / "feed.xml")
    assert client.get("/atom.xml").status_code == 404


def test_no_directory_listing(client: Client, site: Site) -> None:
    for path in ("/tag", "/tag/", "/author/"):
        response = client.get(path)
        assert response.status_code == 404
        assert b"news" not in response.content
