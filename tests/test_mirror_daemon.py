"""`syndicate run` with `[mirror]`: the real daemon copies a new post's feeds to a real S3 API
(moto in server mode, on 127.0.0.1), read back with boto3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Blog
from tests.peers.s3 import BUCKET, KEY_ID, S3, SECRET, running_s3
from tests.test_daemon import Running, free_port, post, wait_for, write_config


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3]:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask for an instance's role
    with running_s3() as server:
        yield server


UPLOADS = "syndicate_mirror_operations_total"


def metric(daemon: Running, name: str, **labels: str) -> float:
    text = httpx.get(daemon.base + "metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def mirrored(s3: S3, key: str) -> bytes:
    try:
        body: bytes = s3.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    except s3.client.exceptions.NoSuchKey:
        return b""
    return body


def mirrored_config(blog: Blog, s3: S3, port: int) -> Path:
    """A daemon's config with `[mirror]`, its credentials in files beside it."""
    blog.state.mkdir(exist_ok=True)
    (blog.state / "key-id").write_text(KEY_ID)
    (blog.state / "secret").write_text(SECRET + "\n")
    return write_config(
        blog,
        port,
        extra=f"""
[mirror]
enabled = true
s3_bucket = "{BUCKET}"
prefix = "site/feeds"
endpoint_url = "{s3.url}"
region = "us-east-1"
access_key_id = "file:key-id"
secret_access_key = "file:secret"
""",
    )


def test_the_daemon_mirrors_a_new_post_to_the_bucket(blog: Blog, s3: S3) -> None:
    port = free_port()
    config = mirrored_config(blog, s3, port)
    post(blog, "2024-05-01-existing.html.md", "Existing")
    daemon = Running(config, port)
    try:
        wait_for(lambda: b"Existing" in mirrored(s3, "site/feeds/feed.xml"), "the first copy")
        post(blog, "2024-05-02-second.html.md", "Second")
        wait_for(
            lambda: (
                b"Second" in mirrored(s3, "site/feeds/tag/news.xml")
                and b"Second" in mirrored(s3, "site/feeds/feed.xml")
            ),
            "the new post in the bucket",
        )
        assert mirrored(s3, "site/feeds/feed.xml") == (blog.output / "feed.xml").read_bytes()
        head = s3.head("site/feeds/feed.json")
        assert head["ContentType"] == "application/feed+json; charset=utf-8"
        plain = {"Accept-Encoding": "identity"}  # the identity's ETag, as S3 holds no gzip
        served = httpx.get(daemon.base + "feed.json", headers=plain, timeout=5)
        assert head["Metadata"]["etag"] == served.headers["etag"]
        wait_for(lambda: metric(daemon, UPLOADS, operation="upload") > 0, "uploads counted")
        wait_for(lambda: metric(daemon, "syndicate_mirror_pending") == 0, "nothing pending")
    finally:
        assert daemon.stop() == 0
    log = daemon.log()
    assert '"msg": "mirrored"' in log
    assert SECRET not in log
    assert SECRET.encode() not in Path(blog.state / "ledger.db").read_bytes()


def test_a_bucket_down_at_start_is_logged_counted_and_caught_up_after(blog: Blog, s3: S3) -> None:
    port = free_port()
    config = mirrored_config(blog, s3, port)
    post(blog, "2024-05-01-existing.html.md", "Existing")
    s3.stop()
    daemon = Running(config, port)
    try:
        errors = ("syndicate_errors_total", {"where": "mirror"})
        wait_for(lambda: metric(daemon, errors[0], **errors[1]) >= 1, "a round that failed")
        assert metric(daemon, UPLOADS, operation="upload", outcome="failed") > 0
        assert metric(daemon, "syndicate_mirror_pending") > 0
        s3.start()
        post(blog, "2024-05-02-second.html.md", "Second")  # the next build wakes the mirror
        wait_for(lambda: metric(daemon, "syndicate_mirror_pending") == 0, "the catch-up")
        files = {p.relative_to(blog.output).as_posix() for p in blog.output.rglob("*.*")}
        for path in files:
            assert mirrored(s3, f"site/feeds/{path}") == (blog.output / path).read_bytes(), path
        assert b"Existing" in mirrored(s3, "site/feeds/feed.xml")
        assert b"Second" in mirrored(s3, "site/feeds/feed.xml")
    finally:
        assert daemon.stop() == 0
    log = daemon.log()
    assert '"msg": "mirror failed"' in log and SECRET not in log
