"""What an account posts besides the template's text: a post's own text per network or
account, the account's link query (UTM parameters), the image's alt text (required or not),
and what `preview` and `check` show of all of it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from click.testing import CliRunner

from syndicate.accounts import AccountSettings
from syndicate.check import check
from syndicate.cli.main import main
from syndicate.clock import FixedClock
from syndicate.errors import RejectedError
from syndicate.model import Post, PostOverrides
from syndicate.pipeline.opening import open_builder
from syndicate.publish.compose import compose
from syndicate.publish.messages import messages_for
from syndicate.publish.network import describe
from syndicate.publish.opening import open_publishing
from syndicate.publish.preview import find_post, preview
from tests.conftest import Blog

PERMALINK = "https://blog.example.org/2024/06/01/fresh/"


def post(permalink: str = PERMALINK, **fields: Any) -> Post:
    return Post(
        source="2024-06-01-fresh.md",
        slug="fresh",
        title="Fresh release",
        date=datetime(2024, 6, 1, tzinfo=UTC),
        permalink=permalink,
        **fields,
    )


def account(network: str = "mastodon", **fields: Any) -> AccountSettings:
    return AccountSettings(name="acct", network=network, server="https://m.example", **fields)


def test_a_text_for_the_account_wins_over_the_networks_and_both_over_text() -> None:
    overrides = PostOverrides(text="For all", texts=(("acct", "For acct"), ("x", "For X")))
    rules = describe("mastodon").rules
    assert compose(post(overrides=overrides), "", account(), rules).text == "For acct"
    other = AccountSettings(name="other", network="x")
    assert compose(post(overrides=overrides), "", other, describe("x").rules).text == "For X"
    bluesky = AccountSettings(name="sky", network="bluesky")
    assert compose(post(overrides=overrides), "", bluesky, describe("bluesky").rules).text == (
        "For all"
    )


def test_a_per_network_text_may_use_placeholders() -> None:
    overrides = PostOverrides(texts=(("mastodon", "New: {title} {url}"),))
    message = compose(post(overrides=overrides), "", account(), describe("mastodon").rules)
    assert message.text == f"New: Fresh release {PERMALINK}"


@pytest.mark.parametrize("network", ["mastodon", "x", "bluesky"])
def test_the_link_query_tags_the_link_the_text_and_the_card_share(network: str) -> None:
    tagged = account(
        network, link_query="utm_source={network}&utm_medium=social&utm_campaign={account}"
    )
    message = compose(post(), "A summary.", tagged, describe(network).rules)
    query = dict(parse_qsl(urlsplit(message.url).query))
    assert query == {"utm_source": network, "utm_medium": "social", "utm_campaign": "acct"}
    [link] = [span for span in message.spans if span.kind == "link"]
    assert link.target == message.url


def test_the_link_query_replaces_a_parameter_the_permalink_has_and_keeps_the_fragment() -> None:
    tagged = account(link_query="utm_source=mastodon&ref=")
    permalink = "https://blog.example.org/p/?utm_source=old&keep=1#part"
    message = compose(post(permalink=permalink), "", tagged, describe("mastodon").rules)
    assert message.url == "https://blog.example.org/p/?keep=1&utm_source=mastodon&ref=#part"


def test_an_image_without_alt_text_is_refused_only_where_the_account_requires_it() -> None:
    pictured = post(image="https://blog.example.org/a.png")
    rules = describe("mastodon").rules
    assert messages_for(1, pictured, account(), rules, None)[0].image_alt is None
    with pytest.raises(RejectedError, match="no alt text"):
        messages_for(1, pictured, account(require_alt_text=True), rules, None)
    described = post(image="https://blog.example.org/a.png", image_alt="A red square")
    [message] = messages_for(1, described, account(require_alt_text=True), rules, None)
    assert message.image_alt == "A red square"
    unpictured = account(require_alt_text=True, images=False)
    assert messages_for(1, pictured, unpictured, rules, None)[0].image == pictured.image


ACCOUNTS = """
[[accounts]]
name = "toots"
network = "mastodon"
server = "https://mastodon.example"
thread = true
thread_parts = 3
credentials = {token = "env:NO_SUCH_TOKEN"}

[[accounts]]
name = "strict"
network = "bluesky"
require_alt_text = true
credentials = {app_password = "env:NO_SUCH_PASSWORD"}
"""
LONG = "A sentence that goes on for a while about the release and what is in it. " * 12


def written(blog: Blog, clock: FixedClock) -> Any:
    blog.post("2024-05-01-old.md", {"title": "Old news", "author": "ana"})
    settings = blog.settings(ACCOUNTS, url="https://notes.example.org/")
    with open_builder(settings, clock=clock) as builder:
        builder.build()
    blog.post(
        "2024-06-01-fresh.md",
        {"title": "Fresh release", "author": "ana", "summary": LONG, "image": "/red.png"},
    )
    with open_builder(settings, clock=clock) as builder:
        builder.build()
    return settings


def test_preview_shows_every_part_the_image_and_what_a_strict_account_refuses(
    blog: Blog, clock: FixedClock
) -> None:
    settings = written(blog, clock)
    with open_publishing(settings, clock) as dispatcher:
        dispatcher.take_events()
        record = find_post(dispatcher.ledger.records(), "Fresh release")
        assert record is not None
        toots, strict = preview(dispatcher, record)
    assert len(toots.thread) == 2 and toots.text is not None
    assert all(part.length <= toots.limit for part in toots.thread)
    assert toots.image == "https://notes.example.org/red.png" and toots.image_alt is None
    assert "the image has no alt text" in toots.note
    assert strict.status == "cannot compose" and "no alt text" in strict.note


def test_the_preview_command_prints_the_parts_and_the_image(
    blog: Blog, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    written(blog, clock)
    config = blog.state / "syndicate.toml"
    config.write_text(_config_text(blog), encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "preview", "Fresh release"])
    assert result.exit_code == 0, result.output
    assert "-- part 2 of 3, answering the one before:" in result.output
    assert "-- part 3 of 3" in result.output
    assert "image: https://notes.example.org/red.png (no alt text)" in result.output


def _config_text(blog: Blog) -> str:
    return (
        f'[site]\ntitle = "Example"\nurl = "https://notes.example.org/"\n'
        f'[content]\nroot = "{blog.root}"\n[feeds]\noutput = "{blog.state / "public"}"\n'
        f'[store]\nurl = "{blog.store_url}"\n'
        f'cache = "{blog.state / "cache.sqlite"}"\n' + ACCOUNTS
    )


def test_check_names_images_without_alt_text_and_texts_for_no_account(
    blog: Blog, clock: FixedClock
) -> None:
    blog.post(
        "2024-05-01-a.md",
        {"title": "A", "author": "ana", "image": "/a.png", "syndicate": {"mastdon": "typo"}},
    )
    blog.post("2024-05-02-b.md", {"title": "B", "author": "ana", "image": "/b.png",
                                  "image_alt": "B"})  # fmt: skip
    report = check(blog.settings(ACCOUNTS, url="https://notes.example.org/"), clock)
    messages = {(f.file.rsplit("/", 1)[-1], f.message) for f in report.findings}
    assert (
        "2024-05-01-a.md",
        "image https://notes.example.org/a.png has no alt text (add image_alt:, or alt text "
        "to the Markdown image); strict will refuse the post",
    ) in messages
    assert (
        "2024-05-01-a.md",
        "syndicate: mastdon: names no enabled account or network; its text is unused",
    ) in messages
    assert not any(name == "2024-05-02-b.md" for name, _ in messages)
