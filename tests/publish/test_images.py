"""A post's image, with its alt text, uploaded natively: to mastodon-mock, to the local X API
peer (which checks X's media rules) and to a real Bluesky PDS, read back from each; images
past a network's limits are resized to fit; an image that cannot be had or is refused leaves
the post to go without it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image as Pillow

from syndicate.accounts import AccountSettings
from syndicate.clock import FixedClock
from syndicate.errors import AmbiguousError, TransientError
from syndicate.publish.base import Context, Message, Publisher
from syndicate.publish.bluesky import make as make_bluesky
from syndicate.publish.mastodon import make as make_mastodon
from syndicate.publish.media import ImageLimits, describe, fit
from syndicate.publish.x import make as make_x
from tests.peers.bluesky import FileServer, Pds, running_pds, skip_unless_installed
from tests.peers.mastodon import TOKEN, MastodonPeer, serve_mastodon
from tests.peers.x_api import Fault, XApiPeer, XCredentials
from tests.publish.memory_state import MemoryState

ALT = "A red square on a white page, the release's logo"
POST_URL = "https://blog.example.org/2024/06/01/fresh/"


def picture(width: int, height: int, kind: str = "PNG", noise: bool = False) -> bytes:
    """A real image; `noise` makes it compress badly, so it is large."""
    made = (
        Pillow.effect_noise((width, height), 90).convert("RGB")
        if noise
        else Pillow.new("RGB", (width, height), (200, 20, 20))
    )
    out = io.BytesIO()
    made.save(out, kind, **({"quality": 98} if kind == "JPEG" else {}))
    return out.getvalue()


SMALL = picture(64, 48)
HUGE = picture(3600, 2700, "JPEG", noise=True)  # 9.7 MP and several MB: over every limit


@pytest.fixture(scope="module")
def images() -> Iterator[FileServer]:
    files = {
        "/small.png": ("image/png", SMALL),
        "/huge.jpg": ("image/jpeg", HUGE),
        "/page.html": ("text/html", b"<p>not an image</p>"),
    }
    with FileServer(files).running() as server:
        yield server


def context(network: str, site: str, secrets: dict[str, str], **fields: Any) -> Context:
    account = AccountSettings(name=f"{network}-images", network=network, **fields)
    now = FixedClock(datetime.now(UTC))
    return Context(account, secrets, now, MemoryState(), 30.0, site)


def message(text: str, image: str | None, alt: str | None = ALT) -> Message:
    return Message(text, POST_URL, "Fresh", "A summary.", image, alt, language="en")


def test_fit_keeps_an_image_that_fits_and_shrinks_one_that_does_not() -> None:
    small = describe(SMALL)
    assert small is not None and fit(small, ImageLimits(max_bytes=10_000)) is small
    huge = describe(HUGE)
    assert huge is not None and len(HUGE) > 1_000_000
    fitted = fit(huge, ImageLimits(max_bytes=1_000_000, max_side=2000))
    assert fitted is not None and len(fitted.data) <= 1_000_000
    assert max(fitted.width, fitted.height) <= 2000 and fitted.media_type == "image/jpeg"
    pixels = fit(huge, ImageLimits(max_bytes=50_000_000, max_pixels=2_000_000))
    assert pixels is not None and pixels.width * pixels.height <= 2_000_000
    assert describe(b"GIF89a but not really") is None


# -- Mastodon ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mastodon() -> Iterator[MastodonPeer]:
    with serve_mastodon() as peer:
        yield peer


def mastodon_publisher(peer: MastodonPeer, site: str, **fields: Any) -> Publisher:
    return make_mastodon(context("mastodon", site, {"token": TOKEN}, server=peer.url, **fields))


def newest_status(peer: MastodonPeer) -> dict[str, Any]:
    return peer.statuses()[0]


def test_mastodon_gets_the_image_with_its_alt_text(
    mastodon: MastodonPeer, images: FileServer
) -> None:
    publisher = mastodon_publisher(mastodon, images.url)
    receipt = publisher.send(message("With a picture", images.url + "/small.png"), "img-1")
    status = newest_status(mastodon)
    assert status["id"] == receipt.remote_id
    [media] = status["media_attachments"]
    assert media["description"] == ALT and media["type"] == "image"
    assert httpx.get(media["url"]).content == SMALL


def test_mastodon_gets_a_huge_image_resized_within_its_limits(
    mastodon: MastodonPeer, images: FileServer
) -> None:
    publisher = mastodon_publisher(mastodon, images.url)
    publisher.send(message("With a huge picture", images.url + "/huge.jpg"), "img-2")
    [media] = newest_status(mastodon)["media_attachments"]
    stored = Pillow.open(io.BytesIO(httpx.get(media["url"]).content))
    assert stored.width * stored.height <= 8_294_400 and stored.format == "JPEG"


def test_mastodon_posts_without_an_image_it_cannot_have_or_is_told_not_to_send(
    mastodon: MastodonPeer, images: FileServer
) -> None:
    publisher = mastodon_publisher(mastodon, images.url)
    publisher.send(message("Not an image", images.url + "/page.html"), "img-3")
    assert newest_status(mastodon)["media_attachments"] == []
    off = mastodon_publisher(mastodon, images.url, images=False)
    off.send(message("Images off", images.url + "/small.png"), "img-4")
    assert newest_status(mastodon)["media_attachments"] == []


# -- X -------------------------------------------------------------------------------------------


@pytest.fixture
def x_peer() -> Iterator[XApiPeer]:
    credentials = XCredentials.generate("1501234567890123456")
    with XApiPeer(credentials, "1501234567890123456", "syndicatetest").running() as peer:
        yield peer


def x_publisher(peer: XApiPeer, site: str, **fields: Any) -> Publisher:
    secrets = peer.credentials.secrets()
    return make_x(context("x", site, secrets, server=peer.url, **fields))


def test_x_gets_the_image_with_its_alt_text(x_peer: XApiPeer, images: FileServer) -> None:
    x_publisher(x_peer, images.url).send(message("A picture", images.url + "/small.png"), "k")
    [tweet] = x_peer.tweets
    [media_id] = tweet.media_ids
    media = x_peer.media[media_id]
    assert (media.data, media.media_type, media.alt) == (SMALL, "image/png", ALT)
    uploads = x_peer.requests_to("POST", "/2/media/upload")
    assert len(uploads) == 1 and uploads[0].signed  # OAuth 1.0a, the body unsigned


def test_x_gets_a_huge_image_under_5_mb_and_no_alt_when_there_is_none(
    x_peer: XApiPeer, images: FileServer
) -> None:
    sent = message("A huge picture", images.url + "/huge.jpg", alt=None)
    x_publisher(x_peer, images.url).send(sent, "k")
    [media] = x_peer.media.values()
    assert len(media.data) <= 5 * 1024 * 1024 and media.alt is None
    assert x_peer.requests_to("POST", "/2/media/metadata") == []


def test_x_refusing_the_image_posts_without_it_and_a_failing_upload_is_retried(
    x_peer: XApiPeer, images: FileServer
) -> None:
    publisher = x_publisher(x_peer, images.url)
    x_peer.fail_next(Fault("status", 400), path="/2/media/upload")
    publisher.send(message("Refused picture", images.url + "/small.png"), "k1")
    assert [t.media_ids for t in x_peer.tweets] == [()]
    x_peer.fail_next(Fault("status", 503), path="/2/media/upload")
    with pytest.raises(TransientError):
        publisher.send(message("Failing upload", images.url + "/small.png"), "k2")
    assert len(x_peer.tweets) == 1  # nothing posted: the send is retried whole


# -- Bluesky ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pds() -> Iterator[Pds]:
    skip_unless_installed()
    with running_pds("syndipics.test") as server:
        yield server


def bluesky_record(pds: Pds, uri: str) -> dict[str, Any]:
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    params = {"repo": repo, "collection": collection, "rkey": rkey}
    answer = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.getRecord", params=params)
    value: dict[str, Any] = answer.raise_for_status().json()["value"]
    return value


def bluesky_publisher(pds: Pds, site: str) -> Publisher:
    secrets = {"app_password": pds.account.app_password}
    return make_bluesky(
        context("bluesky", site, secrets, server=pds.url, handle=pds.account.handle)
    )


def test_bluesky_embeds_the_image_with_its_alt_text_and_size(pds: Pds, images: FileServer) -> None:
    receipt = bluesky_publisher(pds, images.url).send(
        message("A picture", images.url + "/huge.jpg"), "bsky-1"
    )
    embed = bluesky_record(pds, receipt.remote_id)["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    [image] = embed["images"]
    assert image["alt"] == ALT and image["image"]["size"] <= 1_000_000
    ratio = image["aspectRatio"]
    assert max(ratio["width"], ratio["height"]) <= 2000 and ratio["width"] > ratio["height"]


def test_bluesky_without_alt_text_keeps_the_link_card_with_the_image_as_thumbnail(
    pds: Pds, images: FileServer
) -> None:
    receipt = bluesky_publisher(pds, images.url).send(
        message("No alt", images.url + "/small.png", alt=None), "bsky-2"
    )
    embed = bluesky_record(pds, receipt.remote_id)["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    assert embed["external"]["uri"] == POST_URL and "thumb" in embed["external"]


def test_x_finds_a_post_with_an_image_whose_text_ends_with_the_media_link(
    x_peer: XApiPeer, images: FileServer
) -> None:
    """X shows media as a t.co link after the text: after a lost answer, the post is still
    found, not sent again."""
    publisher = x_publisher(x_peer, images.url)
    sent = message("A picture, answer lost", images.url + "/small.png")
    x_peer.fail_next(Fault("drop", apply=True))
    with pytest.raises(AmbiguousError):
        publisher.send(sent, "k")
    [tweet] = x_peer.tweets
    assert tweet.text.startswith("A picture, answer lost https://t.co/")
    found = publisher.find(sent, "k")
    assert found is not None and found.remote_id == tweet.id
