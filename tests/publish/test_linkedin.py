"""The LinkedIn publisher against a Posts API server written from LinkedIn's reference
(tests/peers/linkedin.py): the versioned headers, escaped commentary, the article card, the
image upload flow with alt text, find() by the author's posts, and failures classified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from syndicate.accounts import AccountSettings
from syndicate.clock import FixedClock
from syndicate.errors import AmbiguousError, AuthError, ConfigError, RateLimitedError
from syndicate.publish.base import Context, Message, Publisher
from syndicate.publish.linkedin import little_text, make
from tests.conftest import Blog
from tests.peers.bluesky import FileServer
from tests.peers.linkedin import AUTHOR, TOKEN, LinkedInApi
from tests.peers.webhooks import Answer, Fault
from tests.publish.memory_state import MemoryState
from tests.publish.test_images import SMALL

URL = "https://blog.example.org/2024/06/01/fresh/"


@pytest.fixture
def api() -> Iterator[LinkedInApi]:
    with LinkedInApi() as server:
        yield server


@pytest.fixture(scope="module")
def images() -> Iterator[FileServer]:
    with FileServer({"/small.png": ("image/png", SMALL)}).running() as server:
        yield server


def publisher(api: LinkedInApi, site: str = "", token: str = TOKEN) -> Publisher:
    account = AccountSettings(name="li", network="linkedin", server=api.base, handle=AUTHOR)
    clock = FixedClock(datetime(2024, 6, 1, tzinfo=UTC))
    return make(Context(account, {"token": token}, clock, MemoryState(), 10.0, site))


def message(text: str, image: str | None = None) -> Message:
    return Message(text, URL, "Fresh", "What is new.", image, "A red square")


def test_a_post_is_escaped_commentary_with_the_article_card(api: LinkedInApi) -> None:
    text = "Fresh (at last) #OpenStack @rdo [notes] *bold* a_b ~x~ <tag> {x} | \\"
    receipt = publisher(api).send(message(text), "k")
    [post] = api.posts
    assert post["commentary"] == little_text(text) and receipt.remote_id == post["id"]
    assert post["content"] == {"article": {"source": URL, "title": "Fresh",
                                           "description": "What is new."}}  # fmt: skip
    assert receipt.url is not None and receipt.url.startswith("https://www.linkedin.com/feed/")


def test_the_image_goes_through_the_upload_flow_with_its_alt_text(
    api: LinkedInApi, images: FileServer
) -> None:
    publisher(api, site=images.url).send(message("A picture", images.url + "/small.png"), "k")
    [post] = api.posts
    media = post["content"]["media"]
    assert media["altText"] == "A red square" and api.images[media["id"]] == SMALL


def test_find_recognises_the_post_by_its_commentary(api: LinkedInApi) -> None:
    made = publisher(api)
    api.inject(Fault.DROP_AFTER)
    with pytest.raises(AmbiguousError):
        made.send(message("Lost answer (really)"), "k")
    found = made.find(message("Lost answer (really)"), "k")
    assert found is not None and found.remote_id == api.posts[0]["id"]
    assert made.find(message("Never posted"), "k") is None


def test_a_bad_token_pauses_and_a_429_waits(api: LinkedInApi) -> None:
    with pytest.raises(AuthError):
        publisher(api, token="wrong").send(message("Hello"), "k")
    api.inject(Answer.of_json(429, {"status": 429, "message": "Too Many Requests"},
                              {"Retry-After": "120"}))  # fmt: skip
    with pytest.raises(RateLimitedError):
        publisher(api).send(message("Hello"), "k")


def test_an_account_must_name_its_author_urn(blog: Blog) -> None:
    with pytest.raises(ConfigError, match="urn:li:organization"):
        blog.settings('[[accounts]]\nname = "li"\nnetwork = "linkedin"\nhandle = "rdo"\n'
                      'credentials = {token = "env:LI"}\n')  # fmt: skip
