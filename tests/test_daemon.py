"""The real daemon process against a temporary blog: files change, feeds follow, over HTTP too."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from reader import make_reader

from syndicate.clock import SystemClock
from syndicate.config import parse_settings
from syndicate.store.ledger import Ledger
from tests.conftest import Blog, build
from tests.feedserver import serving
from tests.websub_peers import Reader, hub_app, wsgi

BODY = "\n\n".join(f"Paragraph {n} of a post with enough words to count as one." for n in range(5))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Running:
    """`syndicate run` in a subprocess, with its log kept for the test to read."""

    def __init__(self, config: Path, port: int, *extra: str) -> None:
        self.port = port
        self.log_path = config.parent / f"daemon-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_CONFIG"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "syndicate",
                "--config",
                str(config),
                "run",
                "--log-format",
                "json",
                *extra,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        wait_for(self.serving, "the daemon to serve")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def serving(self) -> bool:
        try:
            return httpx.get(self.base + "healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            assert self.process.poll() is None, self.log()
            return False

    def log(self) -> str:
        return self.log_path.read_text()

    def builds(self) -> int:
        return sum(1 for line in self.log().splitlines() if '"msg": "built"' in line)

    def caught_up(self) -> bool:
        """Whether the first build, the scan every start makes, has run."""
        return self.builds() >= 1

    def settle(self) -> None:
        """Wait until a build has run after everything written so far (and nothing runs)."""
        count = self.builds()
        wait_for(lambda: self.builds() > count, "a build after the last change")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        self._log.close()
        return code


def write_config(
    blog: Blog,
    port: int,
    *,
    url: str = "https://harbour.example.org/",
    hubs: str = "",
    extra: str = "",
) -> Path:
    """A config for `blog` served on `port`: state beside it, quick debounce, no rescans."""
    blog.state.mkdir(exist_ok=True)
    config = blog.state / "syndicate.toml"
    config.write_text(f"""
[site]
title = "Daemon"
url = "{url}"
[content]
root = "{blog.root}"
[feeds]
output = "{blog.state / "public"}"
hubs = [{hubs}]
[watch]
debounce = 0.05
rescan = 0
[server]
port = {port}
[store]
url = "sqlite:///{blog.state / "ledger.db"}"
cache = "{blog.state / "cache.sqlite"}"
{extra}""")
    return config


@pytest.fixture
def daemon_blog(blog: Blog) -> tuple[Blog, Path, int]:
    port = free_port()
    return blog, write_config(blog, port), port


def site_titles(blog: Blog) -> list[str]:
    path = blog.output / "feed.xml"
    if not path.exists():
        return []
    return [e.title for e in feedparser.parse(path.read_bytes()).entries]


def events(blog: Blog) -> list[tuple[str, str]]:
    ledger = Ledger.open(f"sqlite:///{blog.state / 'ledger.db'}")
    try:
        titles = {r.pk: r.post.title for r in ledger.records().values()}
        return [(e.kind, titles[e.post_pk]) for e in ledger.events()]
    finally:
        ledger.close()


def post(blog: Blog, name: str, title: str, body: str = BODY, **meta: object) -> Path:
    date = name[:10]
    return blog.post(
        name, {"title": title, "author": "ana", "tags": "News", "date": date, **meta}, body
    )


def on_disk(blog: Blog, path: str = "feed.xml") -> list[feedparser.FeedParserDict]:
    return list(feedparser.parse((blog.output / path).read_bytes()).entries)


def responses(daemon: Running, status: int) -> float:
    """How many answers with `status` the daemon's HTTP server has given (from /metrics)."""
    text = httpx.get(daemon.base + "metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            counted = sample.name == "syndicate_http_responses_total"
            if counted and sample.labels.get("status") == str(status):
                return sample.value
    return 0.0


def test_the_daemon_follows_the_blog(daemon_blog: tuple[Blog, Path, int], tmp_path: Path) -> None:
    blog, config, port = daemon_blog
    post(blog, "2024-05-01-existing.html.md", "Existing")
    daemon = Running(config, port)
    try:
        wait_for(lambda: site_titles(blog) == ["Existing"], "the first build")
        assert events(blog) == []  # an existing blog is not announced again
        reader = make_reader(str(tmp_path / "reader.sqlite"))
        reader.add_feed(daemon.base + "feed.xml")
        reader.update_feeds(scheduled=False)

        first = post(blog, "2024-05-02-first.html.md", "First")
        # Feed files are replaced one by one: the tag's may land a moment after the site's.
        wait_for(
            lambda: (
                site_titles(blog) == ["First", "Existing"]
                and [e.title for e in on_disk(blog, "tag/news.xml")] == ["First", "Existing"]
            ),
            "a new post in the site and tag feeds",
        )
        served = feedparser.parse(daemon.base + "tag/news.xml")
        assert served.status == 200 and not served.bozo
        assert [e.title for e in served.entries] == ["First", "Existing"]
        reader.update_feeds(scheduled=False)
        assert {e.title for e in reader.get_entries()} == {"First", "Existing"}
        unchanged = responses(daemon, 304)
        reader.update_feeds(scheduled=False)  # nothing changed since: a 304
        assert responses(daemon, 304) == unchanged + 1
        assert reader.get_feed(daemon.base + "feed.xml").last_exception is None

        post(blog, first.name, "First", body=BODY + "\n\nA whole new paragraph of real news.")
        wait_for(lambda: "whole new paragraph" in on_disk(blog)[0].content[0].value, "an edit")
        reader.update_feeds(scheduled=False)
        assert (
            "whole new paragraph"
            in reader.get_entry((daemon.base + "feed.xml", ids(blog)["First"])).content[0].value
        )

        before = ids(blog)
        renamed = first.rename(first.with_name("2024-05-02-first-renamed.html.md"))
        wait_for(lambda: "first-renamed" in on_disk(blog)[0].link, "the rename")
        assert ids(blog) == before

        post(blog, renamed.name, "First", published=False)
        wait_for(lambda: site_titles(blog) == ["Existing"], "the unpublished post to go")
        (blog.posts / "2024-05-01-existing.html.md").unlink()
        wait_for(lambda: site_titles(blog) == [], "the deleted post to go")

        soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        blog.post("2024-05-03-soon.html.md", {"title": "Soon", "date": soon.isoformat()}, BODY)
        daemon.settle()
        assert site_titles(blog) == []
        wait_for(lambda: site_titles(blog) == ["Soon"], "the future post to go live", timeout=15)

        assert events(blog) == [
            ("published", "First"),
            ("updated", "First"),
            ("withdrawn", "First"),
            ("withdrawn", "Existing"),
            ("published", "Soon"),
        ]
    finally:
        assert daemon.stop() == 0
    assert '"msg": "stopped"' in daemon.log()


def ids(blog: Blog) -> dict[str, str]:
    return {entry.title: entry.id for entry in on_disk(blog)}


def test_polling_mode(daemon_blog: tuple[Blog, Path, int]) -> None:
    blog, config, port = daemon_blog
    daemon = Running(config, port, "--poll")
    try:
        post(blog, "2024-05-02-polled.html.md", "Polled")
        wait_for(lambda: site_titles(blog) == ["Polled"], "a post seen by polling")
    finally:
        assert daemon.stop() == 0


KILL_AFTER = (0.0, 0.03, 0.06, 0.1, 0.2)  # seconds after a burst's last write


def burst(blog: Blog, round_: int, size: int = 12) -> list[Path]:
    """`size` new posts, a few milliseconds apart, as a `git pull` or a script writes them."""
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=round_)
    written = []
    for n in range(size):
        when = start + timedelta(hours=n)
        meta = {"title": f"Burst {round_}.{n}", "author": "ana", "tags": f"T{n % 3}"}
        written.append(
            blog.post(f"{when:%Y-%m-%d}-burst-{round_}-{n}.html.md", {**meta, "date": when}, BODY)
        )
        time.sleep(0.005)
    return written


def test_a_killed_daemon_resumes_and_loses_or_repeats_nothing(
    daemon_blog: tuple[Blog, Path, int], tmp_path: Path
) -> None:
    blog, config, port = daemon_blog
    titles: list[str] = []
    deleted: list[str] = []
    previous: list[Path] = []
    for round_, delay in enumerate(KILL_AFTER):
        daemon = Running(config, port)
        wait_for(daemon.caught_up, "the start's catch-up build")
        written = burst(blog, round_)
        titles += [f"Burst {round_}.{n}" for n in range(len(written))]
        if previous:  # a post the daemon has seen goes too
            previous[0].unlink()
            deleted.append(f"Burst {round_ - 1}.0")
        previous = written
        time.sleep(delay)
        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait(timeout=30)
    daemon = Running(config, port)
    try:
        # Nothing changes after this start, so its first build (a full scan) is the catch-up.
        wait_for(daemon.caught_up, "the last catch-up build")
    finally:
        assert daemon.stop() == 0
    recorded = events(blog)
    assert sorted(t for kind, t in recorded if kind == "published") == sorted(titles)
    assert sorted(t for kind, t in recorded if kind == "withdrawn") == sorted(deleted)
    assert [kind for kind, _ in recorded if kind not in ("published", "withdrawn")] == []

    clean = tmp_path / "clean"
    settings = parse_settings(
        config.read_text()
        .replace(str(blog.state / "public"), str(clean / "public"))
        .replace(str(blog.state / "ledger.db"), str(clean / "ledger.db"))
        .replace(str(blog.state / "cache.sqlite"), str(clean / "cache.sqlite")),
        file="clean.toml",
        base_dir=clean,
    )
    build(settings, SystemClock())  # type: ignore[arg-type]
    ours = {p.relative_to(blog.output): p.read_bytes() for p in blog.output.rglob("*.*")}
    theirs = {
        p.relative_to(clean / "public"): p.read_bytes() for p in (clean / "public").rglob("*.*")
    }
    assert ours == theirs
    assert json.loads((blog.output / "feed.json").read_text())["items"]


def test_hubs_hear_of_each_change_and_deliver_it_to_subscribers(blog: Blog, tmp_path: Path) -> None:
    """A real hub (Flask-WebSub) fetches the feed from the daemon when pinged and delivers it
    to a real subscriber."""
    reader = Reader(tmp_path / "subscriber.sqlite")
    with wsgi(hub_app(tmp_path / "hub.sqlite")) as hub_base, wsgi(reader.app) as reader_base:
        hub = hub_base + "/hub"
        port = free_port()
        base = f"http://127.0.0.1:{port}/"
        config = write_config(blog, port, url=base, hubs=f'"{hub}"')
        post(blog, "2024-05-01-existing.html.md", "Existing")
        daemon = Running(config, port)
        try:
            wait_for(lambda: pinged(blog) == (True, True), "the first pings")
            reader.subscribe(reader_base, base + "feed.xml", hub)
            post(blog, "2024-05-02-news.html.md", "News")
            topic, body = reader.received.get(timeout=20)
            assert topic == base + "feed.xml"
            assert b"<title>News</title>" in body
            assert body == (blog.output / "feed.xml").read_bytes()
            wait_for(lambda: pinged(blog) == (True, True), "every changed feed to be pinged")
        finally:
            assert daemon.stop() == 0


def pinged(blog: Blog) -> tuple[bool, bool]:
    """(some feeds exist, hubs were told of every one's current version)."""
    ledger = Ledger.open(f"sqlite:///{blog.state / 'ledger.db'}")
    try:
        feeds = ledger.feeds().values()
    finally:
        ledger.close()
    return bool(feeds), all(f.pinged == f.digest for f in feeds)


def member_feed(*entries: tuple[str, str]) -> str:
    """A remote member blog's Atom feed of (id, title) entries, newest first."""
    items = "".join(
        f"<entry><id>urn:member:{ident}</id><title>{title}</title>"
        f"<updated>2024-05-0{ident}T10:00:00Z</updated>"
        f'<link href="https://member.example.net/{ident}.html"/>'
        f"<author><name>Rui</name></author><content type='html'>Text of {title}.</content></entry>"
        for ident, title in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Member</title><id>urn:member</id><updated>2024-05-09T00:00:00Z</updated>"
        f"{items}</feed>"
    )


def test_remote_sources_are_polled_into_posts_and_events(blog: Blog, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    remote.mkdir()
    feed = remote / "member.xml"
    feed.write_text(member_feed(("1", "Member one")))
    with serving(remote) as server:
        port = free_port()
        source = f"""
[[sources]]
name = "Member"
url = "{server.url("member.xml")}"
interval = 10
include = true
"""
        config = write_config(blog, port, extra=source)
        post(blog, "2024-05-01-local.html.md", "Local")
        daemon = Running(config, port)
        try:
            wait_for(lambda: site_titles(blog) == ["Member one", "Local"], "the first poll")
            assert events(blog) == []  # what the source had at first is taken as seen
            feed.write_text(member_feed(("2", "Member two"), ("1", "Member one")))
            wait_for(lambda: "Member two" in site_titles(blog), "the next poll", timeout=30)
            assert events(blog) == [("published", "Member two")]
            status = subprocess.run(
                [sys.executable, "-m", "syndicate", "--config", str(config), "status", "--json"],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        finally:
            assert daemon.stop() == 0
    member = json.loads(status.stdout)["sources"]["Member"]
    assert member["last_status"] == 200 and member["failures"] == 0
    assert [status for _, status, _ in server.log] == [200, 200]
    assert "If-None-Match" in server.log[1][2]  # the second poll was conditional
    assert on_disk(blog)[0].id == "urn:member:2"


def test_a_json_log_is_json_on_every_line(daemon_blog: tuple[Blog, Path, int]) -> None:
    blog, config, port = daemon_blog
    post(blog, "2024-05-01-existing.html.md", "Existing")
    daemon = Running(config, port)
    try:
        wait_for(daemon.caught_up, "the first build")
    finally:
        daemon.stop()
    lines = [line for line in daemon.log().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # the banner too
    serving = next(r for r in records if r["msg"] == "serving")
    assert serving["url"] == daemon.base


def test_hostile_posts_never_stop_the_daemon(daemon_blog: tuple[Blog, Path, int]) -> None:
    """Each of these once killed the process, stalled it or aborted every build."""
    blog, config, port = daemon_blog
    post(blog, "2024-05-01-existing.html.md", "Existing")
    daemon = Running(config, port)
    try:
        wait_for(lambda: site_titles(blog) == ["Existing"], "the first build")
        post(blog, "2024-05-02-quotes.html.md", "Quotes", ">" * 100_000)  # was SIGSEGV
        post(blog, "2024-05-03-list.html.md", "List", "- " * 50_000)
        post(blog, "2024-05-04-panic.html.md", "Panic", "[`")  # the native engine panicked
        bomb = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
            f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ]
        blog.post("2024-05-05-bomb.html.md", raw="---\ntitle: B\n" + "\n".join(bomb) + "\n---\n")
        os.mkfifo(blog.posts / "2024-05-06-fifo.html.md")
        (blog.posts / "2024-05-07-self.html.md").symlink_to("2024-05-07-self.html.md")
        post(blog, "2024-05-08-after.html.md", "After")
        wait_for(
            lambda: site_titles(blog) == ["After", "Panic", "List", "Quotes", "Existing"],
            "the other posts built",
            timeout=60,
        )
        assert daemon.process.poll() is None
        assert httpx.get(daemon.base + "healthz", timeout=5).status_code == 200
        assert "2024-05-05-bomb.html.md" in daemon.log()
    finally:
        daemon.stop()
