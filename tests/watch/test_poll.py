"""Polling real HTTP servers on 127.0.0.1: conditional GET, failures, Retry-After, redirects."""

from __future__ import annotations

import random
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from syndicate.watch.poll import (
    MAX_BYTES,
    PollKind,
    PollOutcome,
    SourceState,
    poll,
)
from tests.feedserver import serving
from tests.watch.conftest import NOW, Reply, ScriptedServer, feed_bytes, source
from tests.watch.test_schedule import Midpoint

ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}


def once(
    client: httpx.Client, url: str, state: SourceState | None = None, **settings: object
) -> PollOutcome:
    return poll(client, source(url, **settings), state or SourceState(), NOW, rng=Midpoint())


# --- conditional GET ---------------------------------------------------------------------------


def test_second_poll_is_a_304_and_keeps_the_validators(
    client: httpx.Client, tmp_path: Path
) -> None:
    (tmp_path / "atom.xml").write_bytes(feed_bytes("atom.xml"))
    with serving(tmp_path) as server:
        url = server.url("atom.xml")
        first = once(client, url)
        assert first.kind is PollKind.OK
        assert first.ok
        assert first.status == 200
        assert len(first.posts) == 4
        assert first.feed_title == "Example Net"
        assert first.state.etag is not None
        assert first.state.last_modified is not None
        assert first.state.last_ok == NOW
        assert first.state.failures == 0
        assert first.state.next_poll == NOW + timedelta(minutes=30)

        later = NOW + timedelta(minutes=30)
        second = poll(client, source(url), first.state, later, rng=Midpoint())
        assert second.kind is PollKind.NOT_MODIFIED
        assert second.posts == ()
        assert second.state.etag == first.state.etag
        assert second.state.last_modified == first.state.last_modified
        assert second.state.last_polled == later
        assert server.statuses("atom.xml") == [200, 304]
        _, _, asked = server.log[-1]
        assert asked["If-None-Match"] == first.state.etag
        assert asked["If-Modified-Since"] == first.state.last_modified

        (tmp_path / "atom.xml").write_bytes(feed_bytes("atom.xml").replace(b"Episode 7", b"Ep 7"))
        third = poll(client, source(url), second.state, later, rng=Midpoint())
        assert third.kind is PollKind.OK
        assert "Ep 7" in {loaded.post.title for loaded in third.posts}
        assert third.state.etag != first.state.etag


def test_requests_say_who_is_asking(server: ScriptedServer) -> None:
    url = server.route("/feed.xml", Reply(200, feed_bytes("rss.xml"), RSS))
    with httpx.Client() as plain:  # not made by make_client: still announces syndicate
        assert once(plain, url).ok
    (asked,) = server.requests("/feed.xml")
    assert asked["user-agent"].startswith("syndicate/")
    assert "application/atom+xml" in asked["accept"]
    assert "if-none-match" not in asked


def test_a_304_with_new_validators_keeps_them(client: httpx.Client, server: ScriptedServer) -> None:
    url = server.route("/feed.xml", Reply(304, headers={"ETag": '"v2"'}))
    outcome = once(client, url, SourceState(url=url, etag='"v1"', last_modified="x"))
    assert outcome.kind is PollKind.NOT_MODIFIED
    assert outcome.state.etag == '"v2"'
    assert outcome.state.last_modified == "x"


def test_a_state_for_another_url_is_not_used(client: httpx.Client, server: ScriptedServer) -> None:
    url = server.route("/feed.xml", Reply(200, feed_bytes("rss.xml"), RSS))
    old = SourceState(url="https://old.example/feed", etag='"old"', failures=4)
    outcome = once(client, url, old)
    assert outcome.ok
    assert "if-none-match" not in server.requests("/feed.xml")[0]
    assert outcome.state.url == url


# --- failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"), [(500, "HTTP 500 Internal Server Error"), (404, "HTTP 404 Not Found")]
)
def test_http_errors_fail_and_keep_validators(
    client: httpx.Client, server: ScriptedServer, status: int, message: str
) -> None:
    url = server.route("/feed.xml", Reply(status, b"oops"))
    before = SourceState(url=url, etag='"e"', last_modified="Sat, 01 Jun 2024 10:00:00 GMT")
    outcome = once(client, url, before)
    assert outcome.kind is PollKind.FAILED
    assert not outcome.ok
    assert outcome.error == message
    assert outcome.status == status
    assert outcome.posts == ()
    assert outcome.state.failures == 1
    assert outcome.state.last_error == message
    assert outcome.state.last_status == status
    assert outcome.state.etag == '"e"'
    assert outcome.state.last_modified == before.last_modified
    assert outcome.state.last_ok is None


def test_backoff_grows_with_failures_and_is_capped(
    client: httpx.Client, server: ScriptedServer
) -> None:
    url = server.route("/feed.xml", Reply(500))
    state, now, delays = SourceState(), NOW, []
    for _ in range(6):
        outcome = poll(client, source(url), state, now, rng=Midpoint())
        state = outcome.state
        assert state.next_poll is not None
        delays.append(state.next_poll - now)
        now = state.next_poll
    assert state.failures == 6
    assert delays == [timedelta(hours=h) for h in (1, 2, 4, 6, 6, 6)]
    server.route("/feed.xml", Reply(200, feed_bytes("rss.xml"), RSS))
    recovered = poll(client, source(url), state, now, rng=Midpoint())
    assert recovered.ok
    assert recovered.state.failures == 0
    assert recovered.state.last_error is None
    assert recovered.state.next_poll == now + timedelta(minutes=30)


def test_timeout(silent_url: str) -> None:
    from syndicate.watch.poll import make_client

    with make_client(timeout=0.2) as impatient:
        outcome = once(impatient, silent_url)
    assert outcome.kind is PollKind.FAILED
    assert outcome.error == "timed out waiting for the server to answer"
    assert outcome.status is None
    assert outcome.state.failures == 1


def test_connection_refused(client: httpx.Client, refused_url: str) -> None:
    outcome = once(client, refused_url)
    assert outcome.kind is PollKind.FAILED
    assert outcome.error is not None
    assert outcome.error.startswith("cannot connect")
    assert outcome.state.failures == 1


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b"\x00\xff\xfe garbage \x80\x81", {"Content-Type": "application/xml"}, "not a feed"),
        (b"<html><body>Gone fishing</body></html>", {"Content-Type": "text/html"}, "not a feed"),
        (b"", {}, "the server sent an empty answer"),
    ],
)
def test_what_is_not_a_feed_fails(
    client: httpx.Client,
    server: ScriptedServer,
    body: bytes,
    headers: dict[str, str],
    message: str,
) -> None:
    url = server.route("/feed.xml", Reply(200, body, headers))
    outcome = once(client, url)
    assert outcome.kind is PollKind.FAILED
    assert outcome.error is not None
    assert outcome.error.startswith(message)
    assert outcome.status == 200
    assert outcome.state.etag is None


def test_a_web_page_is_named_as_such(client: httpx.Client, server: ScriptedServer) -> None:
    page = b"<html><body>Gone fishing</body></html>"
    url = server.route("/feed.xml", Reply(200, page, {"Content-Type": "text/html"}))
    assert (once(client, url).error or "").startswith("not a feed (got text/html)")


def test_too_large(client: httpx.Client, server: ScriptedServer) -> None:
    url = server.route("/feed.xml", Reply(200, b" " * (MAX_BYTES + 1), RSS))
    outcome = once(client, url)
    assert outcome.kind is PollKind.FAILED
    assert "larger than 10 MiB" in (outcome.error or "")


def test_a_malformed_feed_with_entries_is_read_with_a_warning(
    client: httpx.Client, server: ScriptedServer
) -> None:
    cut = feed_bytes("rss.xml").split(b"<item>")
    truncated = b"<item>".join(cut[:3])  # two whole items, then the end of the file is lost
    url = server.route("/feed.xml", Reply(200, truncated, RSS))
    outcome = once(client, url)
    assert outcome.kind is PollKind.OK
    assert len(outcome.posts) == 2
    assert any(w.startswith("the feed is malformed") for w in outcome.warnings)


def test_rss_served_as_html_is_read_without_a_warning(
    client: httpx.Client, server: ScriptedServer
) -> None:
    url = server.route("/feed", Reply(200, feed_bytes("rss.xml"), {"Content-Type": "text/html"}))
    outcome = once(client, url)
    assert outcome.ok
    assert len(outcome.posts) == 4
    assert outcome.warnings == ()


# --- Retry-After -------------------------------------------------------------------------------


def test_retry_after_seconds_on_503(client: httpx.Client, server: ScriptedServer) -> None:
    url = server.route("/feed.xml", Reply(503, headers={"Retry-After": "36000"}))
    outcome = once(client, url)
    assert outcome.error == "HTTP 503 Service Unavailable"
    assert outcome.state.retry_after == NOW + timedelta(hours=10)
    assert outcome.state.next_poll == NOW + timedelta(hours=10)  # later than the 1 h backoff


def test_retry_after_date_on_429(client: httpx.Client, server: ScriptedServer) -> None:
    when = NOW + timedelta(hours=3)
    url = server.route(
        "/feed.xml", Reply(429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    )
    outcome = once(client, url)
    assert outcome.state.retry_after == when
    assert outcome.state.next_poll == when


def test_retry_after_is_capped_and_ignored_elsewhere(
    client: httpx.Client, server: ScriptedServer
) -> None:
    url = server.route("/feed.xml", Reply(503, headers={"Retry-After": str(90 * 86400)}))
    assert once(client, url).state.retry_after == NOW + timedelta(days=1)
    url = server.route("/other.xml", Reply(500, headers={"Retry-After": "36000"}))
    assert once(client, url).state.retry_after is None


def test_success_forgets_retry_after(client: httpx.Client, server: ScriptedServer) -> None:
    url = server.route("/feed.xml", Reply(200, feed_bytes("rss.xml"), RSS))
    state = SourceState(url=url, failures=1, retry_after=NOW + timedelta(hours=5))
    outcome = once(client, url, state)
    assert outcome.state.retry_after is None
    assert outcome.state.next_poll == NOW + timedelta(minutes=30)


# --- redirects ---------------------------------------------------------------------------------


def test_permanent_redirect_is_noted_and_followed_from_then_on(
    client: httpx.Client, server: ScriptedServer
) -> None:
    old = server.route("/old.xml", Reply(301, headers={"Location": "/feed.xml"}))
    new = server.route("/feed.xml", Reply(200, feed_bytes("rss.xml"), RSS))
    first = once(client, old)
    assert first.ok
    assert first.moved_to == new
    assert first.state.permanent_url == new
    assert first.url == old
    second = poll(client, source(old), first.state, NOW, rng=Midpoint())
    assert second.ok
    assert second.moved_to is None  # said once
    assert second.url == new
    assert len(server.requests("/old.xml")) == 1
    assert len(server.requests("/feed.xml")) == 2


def test_relative_links_resolve_against_where_the_feed_was_found(
    client: httpx.Client, server: ScriptedServer
) -> None:
    items = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>A</title><link>../posts/a.html</link><guid>a</guid></item>"
        b"</channel></rss>"
    )
    old = server.route("/feed", Reply(308, headers={"Location": "/blog/feeds/all.rss"}))
    server.route("/blog/feeds/all.rss", Reply(200, items, RSS))
    (loaded,) = once(client, old).posts
    assert loaded.post.permalink == server.url("/blog/posts/a.html")


def test_temporary_redirect_is_not_a_move(client: httpx.Client, server: ScriptedServer) -> None:
    url = server.route("/feed.xml", Reply(302, headers={"Location": "/cdn/feed.xml"}))
    server.route("/cdn/feed.xml", Reply(200, feed_bytes("rss.xml"), RSS))
    outcome = once(client, url)
    assert outcome.ok
    assert outcome.moved_to is None
    assert outcome.state.permanent_url is None


def test_a_move_ends_at_the_first_temporary_redirect(
    client: httpx.Client, server: ScriptedServer
) -> None:
    url = server.route("/a.xml", Reply(301, headers={"Location": "/b.xml"}))
    server.route("/b.xml", Reply(307, headers={"Location": "/c.xml"}))
    server.route("/c.xml", Reply(200, feed_bytes("rss.xml"), RSS))
    assert once(client, url).moved_to == server.url("/b.xml")


def test_redirect_loop(client: httpx.Client, server: ScriptedServer) -> None:
    url = server.route("/a.xml", Reply(302, headers={"Location": "/b.xml"}))
    server.route("/b.xml", Reply(302, headers={"Location": "/a.xml"}))
    outcome = once(client, url)
    assert outcome.kind is PollKind.FAILED
    assert outcome.error == "too many redirects (a redirect loop?)"


def test_moved_then_gone(client: httpx.Client, server: ScriptedServer) -> None:
    old = server.route("/old.xml", Reply(301, headers={"Location": "/gone.xml"}))
    server.route("/gone.xml", Reply(410))
    outcome = once(client, old)
    assert outcome.kind is PollKind.FAILED
    assert outcome.error == "HTTP 410 Gone"
    assert outcome.moved_to == server.url("/gone.xml")  # still worth telling


# --- other formats -----------------------------------------------------------------------------


def test_json_feed(client: httpx.Client, server: ScriptedServer) -> None:
    json_type = {"Content-Type": "application/feed+json"}
    url = server.route("/feed.json", Reply(200, feed_bytes("feed.json"), json_type))
    outcome = once(client, url)
    assert outcome.ok
    assert outcome.feed_title == "JSON Blog"
    assert {loaded.post.title for loaded in outcome.posts} == {
        "Bonjour",
        "Du texte. En deux paragraphes & un <signe>.",
    }


def test_gzip_is_accepted(client: httpx.Client, server: ScriptedServer) -> None:
    import gzip

    headers = {**RSS, "Content-Encoding": "gzip"}
    url = server.route("/feed.xml", Reply(200, gzip.compress(feed_bytes("rss.xml")), headers))
    assert len(once(client, url).posts) == 4


def test_jitter_comes_from_the_generator(client: httpx.Client, server: ScriptedServer) -> None:
    url = server.route("/feed.xml", Reply(200, feed_bytes("rss.xml"), RSS))
    first = poll(client, source(url), SourceState(), NOW, rng=random.Random(7))
    second = poll(client, source(url), SourceState(), NOW, rng=random.Random(7))
    assert first.state.next_poll == second.state.next_poll
    assert first.state.next_poll is not None
    assert abs(first.state.next_poll - (NOW + timedelta(minutes=30))) <= timedelta(minutes=3)


def test_too_large_without_a_length(client: httpx.Client, server: ScriptedServer) -> None:
    """No Content-Length to refuse early by: the count of bytes read stops the download."""
    body = b"<rss>" + b" " * MAX_BYTES
    url = server.route("/feed.xml", Reply(200, body, RSS, sized=False))
    outcome = once(client, url)
    assert outcome.kind is PollKind.FAILED
    assert outcome.error == "the feed is larger than 10 MiB; not read"


def test_a_compression_bomb_is_counted_decoded(
    client: httpx.Client, server: ScriptedServer
) -> None:
    import gzip

    small = gzip.compress(b"<rss>" + b" " * MAX_BYTES)
    assert len(small) < MAX_BYTES // 100
    headers = {**RSS, "Content-Encoding": "gzip"}
    outcome = once(client, server.route("/feed.xml", Reply(200, small, headers)))
    assert outcome.error == "the feed is larger than 10 MiB; not read"


def test_an_entry_keeps_its_key_while_its_id_stays(client: httpx.Client, tmp_path: Path) -> None:
    feed = tmp_path / "rss.xml"
    feed.write_bytes(feed_bytes("rss.xml"))
    with serving(tmp_path) as server:
        url = server.url("rss.xml")
        first = once(client, url)
        feed.write_bytes(feed_bytes("rss.xml").replace(b"Tom &amp;amp; Jerry", b"Tom and Jerry"))
        second = poll(client, source(url), first.state, NOW + timedelta(hours=1), rng=Midpoint())
    assert second.kind is PollKind.OK
    before = {p.post.declared_id: p.post for p in first.posts}
    after = {p.post.declared_id: p.post for p in second.posts}
    assert before.keys() == after.keys()
    assert {i: p.source for i, p in before.items()} == {i: p.source for i, p in after.items()}
    edited = after["https://rob.example.com/?p=123"]
    assert edited.title == "Tom and Jerry revisited"
    assert before["https://rob.example.com/?p=123"].title == "Tom & Jerry revisited"


def test_failures_back_off_with_seeded_jitter(client: httpx.Client, refused_url: str) -> None:
    def delays(seed: int) -> list[timedelta]:
        rng, state, now, out = random.Random(seed), SourceState(), NOW, []
        for _ in range(4):
            state = poll(client, source(refused_url), state, now, rng=rng).state
            assert state.next_poll is not None
            out.append(state.next_poll - now)
            now = state.next_poll
        return out

    first = delays(11)
    assert first == delays(11)  # the generator decides the jitter, nothing else
    assert first == sorted(first)
    assert len(set(first)) == 4  # 1 h, 2 h, 4 h, 6 h, each ±10 %
    assert timedelta(minutes=54) <= first[0] <= timedelta(minutes=66)
    assert first[-1] <= timedelta(hours=6) * 1.1
