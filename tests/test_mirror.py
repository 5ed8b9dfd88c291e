"""The mirror against a real S3 API (moto in server mode, on 127.0.0.1), read back with boto3.

Builds are the real builder's; a round is the daemon's worker's own step, run in the test's
thread so each test says exactly when the bucket is brought up to date.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.daemon.mirror import Mirror, make_mirror
from syndicate.metrics import Metrics
from syndicate.store.ledger import Ledger
from syndicate.web.catalog import files_from_ledger
from syndicate.web.representations import etag_of
from tests.conftest import NOW, Blog, build
from tests.peers.s3 import BUCKET, KEY_ID, S3, SECRET, running_s3

TYPES = {
    ".xml": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3]:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask for an instance's role
    monkeypatch.setenv("MIRROR_KEY_ID", KEY_ID)
    monkeypatch.setenv("MIRROR_SECRET", SECRET)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    with running_s3() as server:
        yield server


def mirror_toml(s3: S3, prefix: str = "cdn/") -> str:
    return f"""
        [mirror]
        enabled = true
        s3_bucket = "{BUCKET}"
        prefix = "{prefix}"
        endpoint_url = "{s3.url}"
        region = "us-east-1"
        access_key_id = "env:MIRROR_KEY_ID"
        secret_access_key = "env:MIRROR_SECRET"
    """


def post(blog: Blog, name: str, title: str, tags: list[str]) -> None:
    blog.post(name, {"title": title, "date": name[:10], "tags": tags}, f"The text of {title}.")


class Daemonless:
    """A mirror wired as the daemon wires it, over the ledger the test's builds write."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ledger = Ledger.open(settings.store_url)
        self.metrics = Metrics()
        mirror = make_mirror(
            settings,
            self.ledger,
            lambda: files_from_ledger(settings, self.ledger.feeds().values()),
            self.ledger.feeds,
            clock=FixedClock(NOW),
            metrics=self.metrics,
            owns=lambda: True,
        )
        assert isinstance(mirror, Mirror)
        self.mirror = mirror

    def round(self) -> bool:
        return self.mirror.round()

    def count(self, operation: str, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "syndicate_mirror_operations_total", {"operation": operation, "outcome": outcome}
        )
        return value or 0.0

    def close(self) -> None:
        self.ledger.close()


@pytest.fixture
def three_posts(blog: Blog) -> Blog:
    post(blog, "2024-05-01-one.html.md", "One", ["News", "Rust"])
    post(blog, "2024-05-02-two.html.md", "Two", ["News"])
    post(blog, "2024-05-03-three.html.md", "Three", ["Python"])
    return blog


def test_a_build_is_mirrored_byte_for_byte_with_the_served_types(
    three_posts: Blog, s3: S3, clock: FixedClock
) -> None:
    settings = three_posts.settings(mirror_toml(s3))
    build(settings, clock)
    side = Daemonless(settings)
    try:
        assert side.round()
        on_disk = {
            str(p.relative_to(three_posts.output)): p.read_bytes()
            for p in three_posts.output.rglob("*")
            if p.is_file()
        }
        mirrored = s3.objects("cdn/")
        files = {k.removeprefix("cdn/"): v for k, v in mirrored.items()}
        assert {p: v for p, v in files.items() if p != "feeds.opml"} == on_disk
        assert {"feed.xml", "feed.json", "tag/news.xml", "tag/rust.xml"} <= set(on_disk)
        for key, data in mirrored.items():
            head = s3.head(key)
            assert head["ContentType"] == TYPES[Path(key).suffix], key
            assert head["CacheControl"] == "public, no-cache"
            assert head["Metadata"]["etag"] == etag_of(data)  # the daemon's own strong ETag
        assert b"<opml" in mirrored["cdn/feeds.opml"]
        assert side.count("upload", "ok") == len(mirrored)
    finally:
        side.close()


def test_archives_are_mirrored_like_the_feeds_they_belong_to(
    blog: Blog, s3: S3, clock: FixedClock
) -> None:
    for year in (2021, 2022, 2023):
        post(blog, f"{year}-03-01-spring.html.md", f"Spring {year}", ["Seasons"])
    settings = blog.settings(mirror_toml(s3, prefix="") + '[feeds]\narchives = "year"\nlimit = 1\n')
    build(settings, clock)
    side = Daemonless(settings)
    try:
        assert side.round()
        served = files_from_ledger(settings, side.ledger.feeds().values())
        archives = [f.path for f in served if f.archive]
        assert len(archives) >= 6  # two years archived, for the site and the tag, three formats
        mirrored = s3.objects()
        for path in archives:
            assert mirrored[path] == (blog.output / path).read_bytes()
            assert s3.head(path)["ContentType"] == TYPES[Path(path).suffix], path
    finally:
        side.close()


def test_a_second_build_uploads_only_what_changed_even_after_a_restart(
    three_posts: Blog, s3: S3, clock: FixedClock
) -> None:
    settings = three_posts.settings(mirror_toml(s3))
    build(settings, clock)
    first = Daemonless(settings)
    assert first.round()
    uploaded = first.count("upload", "ok")
    first.close()

    post(three_posts, "2024-05-04-four.html.md", "Four", ["Python"])
    report = build(settings, clock)
    changed = set(report.written)
    assert "feed.xml" in changed and "tag/python.xml" in changed and "tag/rust.xml" not in changed
    before = {k: s3.head(k)["LastModified"] for k in s3.objects("cdn/")}
    second = Daemonless(settings)  # a new process: what was confirmed comes from the ledger
    try:
        assert second.round()
        assert second.count("upload", "ok") == len(changed)  # the OPML list did not change
        after = s3.objects("cdn/")
        for path in changed:
            assert after[f"cdn/{path}"] == (three_posts.output / path).read_bytes()
        assert b"Four" in after["cdn/tag/python.xml"]
        assert s3.head("cdn/tag/rust.xml")["LastModified"] == before["cdn/tag/rust.xml"]
        assert second.round() and second.count("upload", "ok") == len(changed)  # nothing left
    finally:
        second.close()
    assert uploaded > len(changed)


def test_what_the_bucket_lost_while_the_daemon_was_away_is_uploaded_again_once_it_answers(
    three_posts: Blog, s3: S3, clock: FixedClock
) -> None:
    settings = three_posts.settings(mirror_toml(s3))
    build(settings, clock)
    first = Daemonless(settings)
    assert first.round()
    first.close()
    s3.client.delete_object(Bucket=BUCKET, Key="cdn/tag/rust.xml")  # by hand
    s3.stop()
    second = Daemonless(settings)  # a restart while the bucket cannot be reached
    try:
        assert not second.round()
        assert second.count("list", "failed") == 1
        s3.start()
        assert second.round()
        assert second.count("list", "ok") == 1 and second.count("upload", "ok") == 1
        assert (
            s3.objects("cdn/tag/rust.xml")["cdn/tag/rust.xml"]
            == (three_posts.output / "tag/rust.xml").read_bytes()
        )
    finally:
        second.close()


def test_files_no_longer_served_are_deleted_and_nothing_else_under_the_prefix(
    three_posts: Blog, s3: S3, clock: FixedClock
) -> None:
    s3.client.put_object(Bucket=BUCKET, Key="cdn/index.html", Body=b"<p>the site's own page")
    settings = three_posts.settings(mirror_toml(s3))
    build(settings, clock)
    side = Daemonless(settings)
    assert side.round()
    side.close()
    assert "cdn/tag/rust.json" in s3.objects("cdn/")

    # JSON Feed dropped from the settings: its files are no longer served.
    fewer = three_posts.settings(mirror_toml(s3) + '\n[feeds]\nformats = ["atom", "rss"]\n')
    build(fewer, clock)
    side = Daemonless(fewer)
    try:
        assert side.round()
        keys = set(s3.objects("cdn/"))
        assert not any(k.endswith(".json") for k in keys)
        assert {"cdn/feed.xml", "cdn/tag/rust.xml", "cdn/feeds.opml"} <= keys
        assert "cdn/index.html" in keys  # never the mirror's: left alone
        assert side.count("delete", "ok") == sum(1 for p in three_posts.output.rglob("*.json"))
    finally:
        side.close()


def test_a_tag_with_no_post_left_keeps_its_empty_feed_in_the_bucket_as_served(
    three_posts: Blog, s3: S3, clock: FixedClock
) -> None:
    """The daemon keeps serving a tag's feed, empty, when its last post loses the tag (so
    subscribers get no error): the mirror holds that empty version too."""
    settings = three_posts.settings(mirror_toml(s3))
    build(settings, clock)
    side = Daemonless(settings)
    try:
        assert side.round()
        post(three_posts, "2024-05-01-one.html.md", "One", ["News"])  # Rust removed
        build(settings, clock)
        assert side.round()
        rust = s3.objects("cdn/tag/rust.xml")["cdn/tag/rust.xml"]
        assert rust == (three_posts.output / "tag/rust.xml").read_bytes()
        assert b"<entry>" not in rust
    finally:
        side.close()


def test_when_s3_is_down_the_error_is_logged_and_counted_and_the_mirror_catches_up(
    three_posts: Blog, s3: S3, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = three_posts.settings(mirror_toml(s3))
    build(settings, clock)
    side = Daemonless(settings)
    try:
        assert side.round()
        s3.stop()
        post(three_posts, "2024-05-04-four.html.md", "Four", ["Python"])
        written = build(settings, clock).written
        with caplog.at_level(logging.WARNING, logger="syndicate.daemon.mirror"):
            assert not side.round()  # left undone: the worker backs off and tries again
        failures = [r for r in caplog.records if r.getMessage() == "mirror failed"]
        assert failures and side.count("upload", "failed") == 3  # then the round gave up
        errors = side.metrics.registry.get_sample_value(
            "syndicate_errors_total", {"where": "mirror"}
        )
        assert errors == 1
        assert side.metrics.registry.get_sample_value("syndicate_mirror_pending") == len(written)

        post(three_posts, "2024-05-05-five.html.md", "Five", ["Rust"])
        build(settings, clock)  # another build while S3 is still down
        s3.start()
        assert side.round()
        mirrored = s3.objects("cdn/")
        for path in ("feed.xml", "tag/python.xml", "tag/rust.xml", "feed.json"):
            assert mirrored[f"cdn/{path}"] == (three_posts.output / path).read_bytes(), path
        assert b"Five" in mirrored["cdn/feed.xml"] and b"Four" in mirrored["cdn/feed.xml"]
        assert side.metrics.registry.get_sample_value("syndicate_mirror_pending") == 0
    finally:
        side.close()
    assert SECRET not in caplog.text


def test_the_mirror_is_off_by_default_and_boto3_is_not_loaded_by_a_build(
    three_posts: Blog, tmp_path: Path
) -> None:
    import subprocess
    import sys

    settings = three_posts.settings()
    assert not settings.mirror.enabled
    config = tmp_path / "syndicate.toml"
    config.write_text(f"""
[site]
url = "https://blog.example.org/"
[content]
root = "{three_posts.root}"
[feeds]
output = "{tmp_path / "out"}"
[store]
url = "sqlite:///{tmp_path / "ledger.db"}"
cache = "{tmp_path / "cache.sqlite"}"
[mirror]
enabled = true
s3_bucket = "{BUCKET}"
""")
    code = (
        "import sys; from syndicate.cli import main\n"
        "try:\n    main(['--quiet', '--config', sys.argv[1], 'build'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore'}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_CONFIG"}
    command = [sys.executable, "-c", code, str(config)]
    shown = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert shown.stdout.strip().splitlines()[-1] == "[]", shown.stderr
    assert (tmp_path / "out" / "feed.xml").exists()
