"""The Bluesky publisher against a real PDS (tests/peers/pds), reached through a proxy that
counts calls and fails chosen ones; link-card images come from local web servers, the blog's
own (`site`) and others."""

from __future__ import annotations

import json
import logging
import re
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from syndicate.accounts import AccountSettings
from syndicate.clock import FixedClock
from syndicate.errors import (
    AmbiguousError,
    AuthError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from syndicate.publish.base import Context, Message, Publisher, Receipt, Span
from syndicate.publish.bluesky import make
from syndicate.publish.bluesky_records import record_key, timestamp
from syndicate.publish.bluesky_xrpc import SESSION, Session
from syndicate.publish.network import describe
from tests.peers.bluesky import (
    Fault,
    FaultyProxy,
    FileServer,
    Pds,
    running_pds,
    skip_unless_installed,
)
from tests.publish.memory_state import MemoryState

CREATE = "com.atproto.repo.createRecord"
LINK = "https://blog.example/posts/naïve-bees-and-what-they-build"


def png(width: int = 3, height: int = 2) -> bytes:
    """A real PNG: the PDS sniffs an upload's type from its bytes."""
    rows = b"".join(b"\x00" + b"\xf0\x82\x8d" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


IMAGE = png()


@pytest.fixture(scope="module")
def pds() -> Iterator[Pds]:
    skip_unless_installed()
    with running_pds("alice.test", "bob.test") as server:
        yield server


@pytest.fixture(scope="module")
def images() -> Iterator[FileServer]:
    files = {
        "/lead.png": ("image/png", IMAGE),
        "/huge.png": ("image/png", IMAGE + b"\x00" * 1_000_001),
        "/page.html": ("text/html", b"<p>not an image</p>"),
    }
    with FileServer(files).running() as server:
        yield server


@pytest.fixture
def proxy(pds: Pds) -> Iterator[FaultyProxy]:
    with FaultyProxy(pds.url).running() as running:
        yield running


@pytest.fixture
def clock() -> FixedClock:
    # Near the real time: the PDS's tokens expire by the real clock, the publisher judges by this.
    return FixedClock(datetime.now(UTC).replace(microsecond=123000))


def publisher(
    proxy: FaultyProxy,
    pds: Pds,
    clock: FixedClock,
    state: MemoryState | None = None,
    password: str | None = None,
    site: str = "",
) -> Publisher:
    account = AccountSettings(
        name="bsky",
        network="bluesky",
        server=proxy.url,
        handle="@" + pds.account.handle,
        credentials={"app_password": "env:BSKY_APP_PASSWORD"},
    )
    secret = pds.account.app_password if password is None else password
    context = Context(account, {"app_password": secret}, clock, state or MemoryState(), 30.0, site)
    return make(context)


def message(text: str = "A new post", image: str | None = None, **fields: Any) -> Message:
    return Message(text, LINK, "Naïve bees", "What bees build, and why.", image, **fields)


def spanned(text: str, *spans: tuple[str, str, str]) -> tuple[Span, ...]:
    """Spans over the first occurrence of each shown string: (shown, kind, target)."""
    return tuple(
        Span(text.index(shown), text.index(shown) + len(shown), kind, target)
        for shown, kind, target in spans
    )


def read_record(pds: Pds, receipt: Receipt) -> dict[str, Any]:
    repo, collection, rkey = receipt.remote_id.removeprefix("at://").split("/")
    params = {"repo": repo, "collection": collection, "rkey": rkey}
    answer = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.getRecord", params=params)
    answer.raise_for_status()
    value: dict[str, Any] = answer.json()["value"]
    return value


def post_count(pds: Pds) -> int:
    params = {"repo": pds.account.did, "collection": "app.bsky.feed.post", "limit": "100"}
    answer = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords", params=params)
    return len(answer.json()["records"])


def test_a_post_reads_back_with_facets_at_byte_offsets_and_a_card_with_its_thumbnail(
    pds: Pds, proxy: FaultyProxy, images: FileServer, clock: FixedClock
) -> None:
    text = "Ça m'a plu 🐝 déjà: blog.example/posts/naïve-bees… #Überblog avec @bob.test"
    spans = spanned(
        text,
        ("blog.example/posts/naïve-bees…", "link", LINK),
        ("#Überblog", "tag", "Überblog"),
        ("@bob.test", "mention", "bob.test"),
    )
    sent = message(text, f"{images.url}/lead.png", language="fr", spans=spans)

    receipt = publisher(proxy, pds, clock, site=images.url).send(sent, "post-1:bsky")

    rkey = record_key("post-1:bsky")
    assert receipt == Receipt(
        f"at://{pds.account.did}/app.bsky.feed.post/{rkey}",
        f"https://bsky.app/profile/alice.test/post/{rkey}",
    )
    record = read_record(pds, receipt)
    assert (record["text"], record["langs"]) == (text, ["fr"])
    assert record["createdAt"] == timestamp(clock.now())
    encoded = text.encode("utf-8")
    shown = [
        encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in record["facets"]
    ]
    assert shown == ["blog.example/posts/naïve-bees…", "#Überblog", "@bob.test"]
    assert [f["features"] for f in record["facets"]] == [
        [{"$type": "app.bsky.richtext.facet#link", "uri": LINK}],
        [{"$type": "app.bsky.richtext.facet#tag", "tag": "Überblog"}],
        [{"$type": "app.bsky.richtext.facet#mention", "did": pds.accounts[1].did}],
    ]
    card = record["embed"]
    assert card["$type"] == "app.bsky.embed.external"
    external = card["external"]
    assert (external["uri"], external["title"], external["description"]) == (
        LINK,
        "Naïve bees",
        "What bees build, and why.",
    )
    thumb = external["thumb"]
    assert (thumb["mimeType"], thumb["size"]) == ("image/png", len(IMAGE))
    blob = httpx.get(
        f"{pds.url}/xrpc/com.atproto.sync.getBlob",
        params={"did": pds.account.did, "cid": thumb["ref"]["$link"]},
    )
    assert blob.content == IMAGE


def test_the_same_key_twice_is_one_record(pds: Pds, proxy: FaultyProxy, clock: FixedClock) -> None:
    bluesky = publisher(proxy, pds, clock)
    before = post_count(pds)

    first = bluesky.send(message("Once only"), "post-2:bsky")
    clock.advance(timedelta(minutes=5))
    second = bluesky.send(message("Once only"), "post-2:bsky")

    assert second == first
    assert post_count(pds) == before + 1
    assert proxy.calls[CREATE] == 2
    assert read_record(pds, first)["createdAt"] != timestamp(clock.now())  # the first one stays


def test_the_session_is_reused_across_sends_and_publishers(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    state = MemoryState()
    first = publisher(proxy, pds, clock, state)
    first.send(message("One"), "post-3:bsky")
    first.send(message("Two"), "post-4:bsky")
    first.close()
    publisher(proxy, pds, clock, state).send(message("Three"), "post-5:bsky")

    assert proxy.calls["com.atproto.server.createSession"] == 1
    assert "com.atproto.server.refreshSession" not in proxy.calls
    stored = Session.load(state.get(SESSION))
    assert stored is not None and (stored.did, stored.handle) == (pds.account.did, "alice.test")


def test_an_expired_access_token_is_refreshed_not_logged_in_again(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    state = MemoryState()
    bluesky = publisher(proxy, pds, clock, state)
    bluesky.send(message("Before"), "post-6:bsky")
    stored = state.get(SESSION)

    clock.advance(timedelta(hours=3))  # past the access token's expiry, within the refresh's
    bluesky.send(message("After"), "post-7:bsky")

    assert proxy.calls["com.atproto.server.refreshSession"] == 1
    assert proxy.calls["com.atproto.server.createSession"] == 1
    assert state.get(SESSION) != stored


def stored_session(pds: Pds, access: str, refresh: str) -> MemoryState:
    state = MemoryState()
    session = Session(pds.account.handle, pds.account.did, pds.account.handle, access, refresh)
    state.put(SESSION, session.dump())
    return state


def test_a_refused_access_token_is_refreshed_once_and_the_call_retried(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    login = httpx.post(
        f"{pds.url}/xrpc/com.atproto.server.createSession",
        json={"identifier": pds.account.handle, "password": pds.account.app_password},
    ).json()
    state = stored_session(pds, "not.a-valid.token", login["refreshJwt"])

    receipt = publisher(proxy, pds, clock, state).send(message("Retried"), "post-8:bsky")

    assert read_record(pds, receipt)["text"] == "Retried"
    assert proxy.calls[CREATE] == 2
    assert proxy.calls["com.atproto.server.refreshSession"] == 1
    assert "com.atproto.server.createSession" not in proxy.calls


def test_a_session_that_cannot_be_refreshed_logs_in_again(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    state = stored_session(pds, "stale", "also-stale")

    publisher(proxy, pds, clock, state).send(message("Logged in again"), "post-9:bsky")

    assert proxy.calls["com.atproto.server.refreshSession"] == 1
    assert proxy.calls["com.atproto.server.createSession"] == 1


@pytest.mark.parametrize("password", ["wrong-pass-word-here", ""])
def test_a_wrong_or_missing_app_password_is_an_auth_error(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock, password: str
) -> None:
    with pytest.raises(AuthError):
        publisher(proxy, pds, clock, password=password).send(message(), "post-10:bsky")
    assert CREATE not in proxy.calls


def test_after_a_lost_answer_find_returns_the_post_that_was_made(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    bluesky = publisher(proxy, pds, clock)
    proxy.faults += [
        Fault(CREATE, "drop", forward=True),  # created, but the answer never came back
        Fault("com.atproto.repo.getRecord", 503),  # and the look right after fails too
    ]
    with pytest.raises(AmbiguousError):
        bluesky.send(message("Lost answer"), "post-11:bsky")

    found = bluesky.find(message("Lost answer"), "post-11:bsky")

    assert found is not None and read_record(pds, found)["text"] == "Lost answer"
    assert bluesky.send(message("Lost answer"), "post-11:bsky") == found


def test_a_lost_answer_to_a_create_that_landed_is_a_success(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    proxy.faults.append(Fault(CREATE, 502, forward=True))

    receipt = publisher(proxy, pds, clock).send(message("Landed"), "post-12:bsky")

    assert read_record(pds, receipt)["text"] == "Landed"


def test_a_create_that_never_landed_is_ambiguous_and_find_says_so(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    bluesky = publisher(proxy, pds, clock)
    proxy.faults.append(Fault(CREATE, "drop"))
    with pytest.raises(AmbiguousError):
        bluesky.send(message("Never landed"), "post-13:bsky")

    assert bluesky.find(message("Never landed"), "post-13:bsky") is None
    assert read_record(pds, bluesky.send(message("Never landed"), "post-13:bsky"))


def test_a_429_waits_until_the_reset_the_pds_names(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    reset = int(clock.now().timestamp()) + 600
    proxy.faults.append(
        Fault(
            CREATE,
            429,
            headers={
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
            },
            body={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        )
    )
    with pytest.raises(RateLimitedError) as raised:
        publisher(proxy, pds, clock).send(message(), "post-14:bsky")
    assert raised.value.until == datetime.fromtimestamp(reset, UTC)


@pytest.mark.parametrize(
    ("nsid", "status", "error"),
    [
        ("com.atproto.server.createSession", 503, TransientError),
        ("com.atproto.repo.uploadBlob", 500, TransientError),
        (CREATE, 503, TransientError),  # the PDS says it did not take the call
    ],
)
def test_server_errors_are_transient(
    pds: Pds,
    proxy: FaultyProxy,
    images: FileServer,
    clock: FixedClock,
    nsid: str,
    status: int,
    error: type[Exception],
) -> None:
    proxy.faults.append(Fault(nsid, status))
    with pytest.raises(error) as raised:
        bluesky = publisher(proxy, pds, clock, site=images.url)
        bluesky.send(message(image=f"{images.url}/lead.png"), "post-15:bsky")
    assert not isinstance(raised.value, AmbiguousError)


def test_text_over_the_limit_is_rejected_by_the_pds(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    with pytest.raises(RejectedError, match="InvalidRequest"):
        publisher(proxy, pds, clock).send(message("é" * 301), "post-16:bsky")


@pytest.mark.parametrize("image", [None, "/huge.png", "/page.html", "/missing.png"])
def test_a_card_has_no_thumbnail_when_the_image_is_unusable(
    pds: Pds, proxy: FaultyProxy, images: FileServer, clock: FixedClock, image: str | None
) -> None:
    sent = message("No thumb", image and images.url + image)

    receipt = publisher(proxy, pds, clock, site=images.url).send(sent, f"post-17{image}:bsky")

    external = read_record(pds, receipt)["embed"]["external"]
    assert external["uri"] == LINK and "thumb" not in external
    assert "com.atproto.repo.uploadBlob" not in proxy.calls


def test_an_image_is_fetched_only_from_public_addresses_and_the_blogs_own_host(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A post's image URL may come from a remote source's entry. One that points at a cloud's
    metadata service or another internal address, or redirects to one, is never fetched: the
    card goes without a thumbnail, and a warning says why."""
    inside = FileServer({"/secret.png": ("image/png", IMAGE)}, host="127.0.0.2")
    with inside.running() as internal:
        site = FileServer({"/own.png": ("image/png", IMAGE)},
                          redirects={"/inward.png": f"{internal.url}/secret.png"})  # fmt: skip
        with site.running() as own:
            refused = [
                ("http://169.254.169.254/latest/meta-data/x.png",
                 "169.254.169.254 (cloud metadata address)"),
                ("http://[fd00:ec2::254]/x.png", "fd00:ec2::254 (cloud metadata address)"),
                (f"{internal.url}/secret.png", "127.0.0.2 (loopback address)"),
                ("http://10.1.2.3/x.png", "10.1.2.3 (private address)"),
                (f"{own.url}/inward.png", "127.0.0.2 (loopback address)"),
            ]  # fmt: skip
            bluesky = publisher(proxy, pds, clock, site=own.url)
            for n, (url, reason) in enumerate(refused):
                caplog.clear()
                with caplog.at_level(logging.WARNING, "syndicate.publish.media"):
                    receipt = bluesky.send(message("Guarded", url), f"post-20-{n}:bsky")
                external = read_record(pds, receipt)["embed"]["external"]
                assert external["uri"] == LINK and "thumb" not in external
                assert f"bluesky: no image: {url}: refused to connect to {reason}" in caplog.text
            assert "com.atproto.repo.uploadBlob" not in proxy.calls
            # The blog's own host is fetched from, whatever its address.
            receipt = bluesky.send(message("Own", f"{own.url}/own.png"), "post-20-own:bsky")
            thumb = read_record(pds, receipt)["embed"]["external"]["thumb"]
            assert thumb["size"] == len(IMAGE)
    assert internal.asked == []
    assert own.asked == ["/inward.png", "/own.png"]


def test_a_mention_of_an_unknown_handle_stays_plain_text(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    text = "Hello @nobody.test and #bees"
    spans = spanned(text, ("@nobody.test", "mention", "@nobody.test"), ("#bees", "tag", "bees"))

    receipt = publisher(proxy, pds, clock).send(message(text, spans=spans), "post-18:bsky")

    record = read_record(pds, receipt)
    assert [f["features"][0]["$type"] for f in record["facets"]] == ["app.bsky.richtext.facet#tag"]


def test_record_keys_are_stable_valid_tids() -> None:
    keys = {record_key(f"post-{n}:bsky") for n in range(1000)}
    assert len(keys) == 1000
    assert all(re.fullmatch(r"[234567abcdefghij][234567a-z]{12}", key) for key in keys)
    assert record_key("post-1:bsky") == record_key("post-1:bsky")


def test_rules_are_bluesky_graphemes() -> None:
    context = Context(
        AccountSettings(name="b", network="bluesky", handle="alice.test"),
        {},
        FixedClock(datetime(2026, 1, 1, tzinfo=UTC)),
        MemoryState(),
    )
    bluesky = make(context)
    assert bluesky.rules() == describe("bluesky").rules
    bluesky.close()


def test_stored_sessions_round_trip_and_unreadable_ones_are_none() -> None:
    session = Session("carol.test", "did:plc:x", "carol.test", "a", "r")
    assert Session.load(session.dump()) == session
    assert Session.load("{not json") is None
    assert Session.load(json.dumps({"did": "x"})) is None


def test_a_stored_session_of_another_handle_is_not_used(
    pds: Pds, proxy: FaultyProxy, clock: FixedClock
) -> None:
    state = MemoryState()
    state.put(SESSION, Session("carol.test", "did:plc:x", "carol.test", "a", "r").dump())

    publisher(proxy, pds, clock, state).send(message("Mine"), "post-19:bsky")

    assert proxy.calls["com.atproto.server.createSession"] == 1
    assert "com.atproto.server.refreshSession" not in proxy.calls
