"""The Threads (Meta) publisher against a Threads API server written from Meta's reference
(tests/peers/meta_threads.py): container then publish, images by URL with alt text, replies
for threads, the 500-character rule as Threads counts it, and every failure classified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from syndicate.accounts import AccountSettings
from syndicate.clock import FixedClock
from syndicate.errors import AmbiguousError, AuthError, RateLimitedError, RejectedError
from syndicate.model import Receipt
from syndicate.publish import counting
from syndicate.publish.base import Context, Message, Publisher
from syndicate.publish.threads import RULES, make
from tests.peers.bluesky import FileServer
from tests.peers.meta_threads import TOKEN, ThreadsApi, length, rate_limited
from tests.peers.webhooks import Fault
from tests.publish.memory_state import MemoryState
from tests.publish.test_images import SMALL

URL = "https://blog.example.org/2024/06/01/fresh/"


@pytest.fixture
def api() -> Iterator[ThreadsApi]:
    with ThreadsApi() as server:
        yield server


@pytest.fixture(scope="module")
def images() -> Iterator[FileServer]:
    with FileServer({"/small.png": ("image/png", SMALL)}).running() as server:
        yield server


def publisher(api: ThreadsApi, token: str = TOKEN) -> Publisher:
    account = AccountSettings(name="threads", network="threads", server=api.base)
    clock = FixedClock(datetime(2024, 6, 1, tzinfo=UTC))
    return make(Context(account, {"access_token": token}, clock, MemoryState(), 10.0))


def message(text: str, image: str | None = None, reply_to: Receipt | None = None) -> Message:
    return Message(text, URL, "Fresh", "A summary.", image, "A red square", reply_to=reply_to)


def test_a_post_is_a_container_then_its_publication(api: ThreadsApi) -> None:
    receipt = publisher(api).send(message(f"Fresh release {URL}"), "k")
    [post] = api.posts
    assert post["id"] == receipt.remote_id and receipt.url == post["permalink"]
    assert post["text"] == f"Fresh release {URL}"


def test_the_image_goes_by_its_url_with_its_alt_text(api: ThreadsApi, images: FileServer) -> None:
    publisher(api).send(message("A picture", images.url + "/small.png"), "k")
    [post] = api.posts
    assert (post["image"], post["alt_text"]) == (SMALL, "A red square")


def test_an_image_threads_cannot_fetch_leaves_the_text_to_go_alone(api: ThreadsApi) -> None:
    publisher(api).send(message("Lost picture", "http://127.0.0.1:9/gone.png"), "k")
    assert [(p["text"], p["image"]) for p in api.posts] == [("Lost picture", None)]


def test_a_thread_part_replies_and_is_found_by_what_it_answers(api: ThreadsApi) -> None:
    made = publisher(api)
    head = made.send(message("Head"), "k1")
    made.send(message("Same words (2/2)", reply_to=head), "k2")
    other = made.send(message("Another head"), "k3")
    found = made.find(message("Same words (2/2)", reply_to=other), "k4")
    assert found is None  # the same text answering another post is not this part
    assert made.find(message("Same words (2/2)", reply_to=head), "k2") is not None


def test_the_500_characters_count_an_emoji_as_its_bytes() -> None:
    text = "🐝" * 125  # 125 characters, 500 bytes: just fits
    assert counting.count(text, RULES) == 500 == length(text)
    assert not counting.fits(text + "a", RULES)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (rate_limited(), RateLimitedError),
        (Fault.DROP_AFTER, AmbiguousError),
    ],
)
def test_failures_are_classified(api: ThreadsApi, fault: object, error: type[Exception]) -> None:
    api.inject(fault)  # type: ignore[arg-type]
    with pytest.raises(error):
        publisher(api).send(message("Hello"), "k")


def test_a_wrong_token_pauses_and_a_too_long_text_is_refused(api: ThreadsApi) -> None:
    with pytest.raises(AuthError, match="Invalid OAuth"):
        publisher(api, token="wrong").send(message("Hello"), "k")
    with pytest.raises(RejectedError, match="500"):
        publisher(api).send(message("x" * 501), "k")


def test_after_a_lost_publish_answer_find_tells(api: ThreadsApi) -> None:
    made = publisher(api)
    api.inject(None, Fault.DROP_AFTER)  # type: ignore[arg-type]
    with pytest.raises(AmbiguousError):
        made.send(message("Posted, answer lost"), "k")
    assert made.find(message("Posted, answer lost"), "k") is not None
