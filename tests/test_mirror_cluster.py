"""`[mirror]` on a cluster: only the replica that owns the blog uploads, and after it dies the
new owner carries on from what the bucket was confirmed to hold (the ledger's record), on a
real PostgreSQL and a real S3 API (moto in server mode)."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.conftest import Blog
from tests.peers.s3 import BUCKET, KEY_ID, S3, SECRET, running_s3
from tests.test_cluster_daemon import Node, ledger_url, owner
from tests.test_daemon import post, wait_for
from tests.test_mirror_daemon import metric, mirrored

__all__ = ["ledger_url"]  # the fixture, used here by name

UPLOADS = "syndicate_mirror_operations_total"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3]:
    # The standard AWS chain, as a replica's environment would give it.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    with running_s3() as server:
        yield server


def pending(node: Node) -> float:
    assert node.running is not None
    return metric(node.running, "syndicate_mirror_pending")


def uploads(node: Node) -> float:
    assert node.running is not None
    return metric(node.running, UPLOADS, operation="upload", outcome="ok")


def served(node: Node) -> bytes:
    return (node.feed() or ("", b""))[1]


def test_only_the_owner_mirrors_and_a_new_owner_carries_on(
    blog: Blog, ledger_url: str, s3: S3
) -> None:
    extra = f"""
[mirror]
enabled = true
s3_bucket = "{BUCKET}"
endpoint_url = "{s3.url}"
region = "us-east-1"
"""
    nodes = [Node(blog, ledger_url, f"node-{n}", extra) for n in range(2)]
    try:
        post(blog, "2024-05-01-first.html.md", "First light")
        for node in nodes:
            node.start()
        wait_for(lambda: b"First light" in mirrored(s3, "feed.xml"), "the first copy")
        first = next(n for n in nodes if n.name == owner(ledger_url))
        other = next(n for n in nodes if n is not first)
        wait_for(lambda: pending(first) == 0, "the owner's catch-up")
        everything = len(s3.objects())
        # feeds.opml may go twice: as served before the owner's first build, and after it.
        assert everything <= uploads(first) <= everything + 1 and uploads(other) == 0
        # The node serves what its ledger refresh took in, which may come after the upload.
        wait_for(lambda: served(first) == mirrored(s3, "feed.xml"), "the owner serving its copy")

        first.stop(signal.SIGKILL)
        wait_for(lambda: owner(ledger_url) == other.name, "a takeover", timeout=20)
        post(blog, "2024-05-02-second.html.md", "Second wind")
        wait_for(
            lambda: (
                b"Second wind" in mirrored(s3, "feed.xml")
                and b"Second wind" in mirrored(s3, "tag/news.xml")
            ),
            "the new owner's copy",
        )
        wait_for(lambda: pending(other) == 0, "the new owner's round")
        # Only what the new post changed: the rest was confirmed by the former owner.
        assert 0 < uploads(other) < everything
        wait_for(lambda: served(other) == mirrored(s3, "feed.xml"), "the new owner serving it")
    finally:
        for node in nodes:
            node.stop(signal.SIGKILL)
