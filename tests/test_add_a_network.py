"""Adding a network is one module and one registry line: tests/networks/echo.py, registered
below, goes through the settings, `preview`, the outbox and the dispatcher to a receiver on
127.0.0.1 with nothing in syndicate/ naming it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from syndicate import registry
from syndicate.clock import FixedClock
from syndicate.config import Settings
from syndicate.errors import ConfigError
from syndicate.model import DeliveryStatus
from syndicate.pipeline.opening import open_builder
from syndicate.publish.opening import open_publishing
from syndicate.publish.preview import find_post, preview
from syndicate.store.outbox import Outbox
from tests.conftest import Blog
from tests.peers.webhooks import Answer, Receiver, Request

ACCOUNT = """
[[accounts]]
name = "team-echo"
network = "echo"
room = "blog"
credentials = {url = "env:ECHO_URL"}
[accounts.timing]
delay = 0
"""


class EchoReceiver(Receiver):
    """The echo network's server: keeps each post once per key and finds it again."""

    def __init__(self) -> None:
        super().__init__()
        self.url = self.base + "/echo"
        self.posts: dict[str, dict[str, Any]] = {}

    def respond(self, request: Request) -> Answer:
        if request.method == "GET":
            found = self.posts.get(request.query.get("key", ""))
            return Answer.of_json(200, found or {})
        sent = request.json()
        made = self.posts.setdefault(sent["key"], {"text": sent["text"]})
        made |= {"id": f"echo-{len(self.posts)}", "url": f"{self.base}/p/{len(self.posts)}"}
        return Answer.of_json(201, made)


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch) -> Iterator[EchoReceiver]:
    monkeypatch.setitem(registry.NETWORKS, "echo", "tests.networks.echo:NETWORK")  # the line
    with EchoReceiver() as receiver:
        monkeypatch.setenv("ECHO_URL", receiver.url)
        yield receiver


def test_the_settings_know_the_network_and_its_checks(echo: EchoReceiver, blog: Blog) -> None:
    settings = blog.settings(ACCOUNT)
    assert [a.network for a in settings.accounts] == ["echo"]
    with pytest.raises(ConfigError, match="echo needs a room"):
        blog.settings(ACCOUNT.replace('room = "blog"', ""))


def test_a_network_not_registered_is_refused_by_name(blog: Blog) -> None:
    with pytest.raises(ConfigError, match="'webhook'"):
        blog.settings(ACCOUNT)


def test_a_new_post_is_previewed_queued_and_sent_once(
    echo: EchoReceiver, blog: Blog, clock: FixedClock
) -> None:
    blog.post("2024-05-01-old.md", {"title": "Old news"})
    settings = blog.settings(ACCOUNT)
    _build(settings, clock)  # what is there is taken as seen: nothing to announce
    blog.post("2024-06-01-fresh.md", {"title": "Fresh release", "author": "Ada Lovelace"})
    _build(settings, clock)
    with open_publishing(settings, clock) as dispatcher:
        record = find_post(dispatcher.ledger.records(), "Fresh release")
        assert record is not None
        [item] = preview(dispatcher, record)
        assert item.network == "echo" and item.limit == 120
        assert item.text is not None and item.text.startswith("Fresh release\nhttps://")
        assert dispatcher.run_once() is None
        assert dispatcher.run_once() is None  # nothing is sent twice
        [sent] = Outbox(dispatcher.ledger.engine).select(account="team-echo")
    assert sent.status is DeliveryStatus.SENT
    assert [post["text"] for post in echo.posts.values()] == [item.text]
    assert sent.remote_url == f"{echo.base}/p/1"


def _build(settings: Settings, clock: FixedClock) -> None:
    with open_builder(settings, clock=clock) as builder:
        builder.build()
