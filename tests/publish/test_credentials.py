"""Credentials as they are resolved: checked, named by their reference, never quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.accounts import AccountSettings
from syndicate.errors import AuthError
from syndicate.publish.credentials import problems, resolve
from syndicate.redaction import Redactor


def account(network: str, **credentials: str) -> AccountSettings:
    return AccountSettings(name="acct", network=network, server="https://x.example",
                           credentials=credentials)  # fmt: skip


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("tok\nen-with-a-break", "whitespace inside"),
        ("tok en-with-a-space", "whitespace inside"),
        ("tok\ten-with-a-tab", "whitespace inside"),
        ("tok\x00en-with-a-nul", "control or non-ASCII"),
        ("tok\x7fen-with-del", "control or non-ASCII"),
        ("tokén-non-ascii", "control or non-ASCII"),
    ],
)
def test_a_value_no_header_can_carry_is_refused_naming_where_it_came_from(
    value: str, reason: str, tmp_path: Path
) -> None:
    redactor = Redactor()
    with pytest.raises(AuthError) as refused:
        resolve(account("mastodon", token="env:TOK"), {"TOK": value}, tmp_path, redactor)
    message = refused.value.reason
    assert reason in message and "account 'acct': credentials.token (from $TOK)" in message
    assert value not in message and "en-with" not in message


def test_surrounding_whitespace_is_trimmed_and_values_are_registered(tmp_path: Path) -> None:
    (tmp_path / "hook").write_text("  https://hooks.example/abc/def123  \n")
    redactor = Redactor()
    values = resolve(account("slack", url="file:hook"), {}, tmp_path, redactor)
    assert values == {"url": "https://hooks.example/abc/def123"}
    assert redactor.redact("posted to https://hooks.example/abc/def123") == "posted to [redacted]"


@pytest.mark.parametrize("url", ["hooks.example/abc", "ftp://hooks.example/abc", "https://"])
def test_a_webhook_url_must_be_absolute_http(url: str, tmp_path: Path) -> None:
    with pytest.raises(AuthError, match="absolute http"):
        resolve(account("webhook", url="env:U"), {"U": url}, tmp_path, Redactor())


def test_problems_lists_every_unusable_credential_for_check(tmp_path: Path) -> None:
    x = account("x", consumer_key="env:A", consumer_secret="env:B", access_token="file:nope")
    found = problems(x, {"A": "a-good-key-1234", "B": "bad value"}, tmp_path)
    assert any("credentials.consumer_secret (from $B) has whitespace" in p for p in found)
    assert any("credentials.access_token: cannot read" in p for p in found)
    assert any("credentials.access_token_secret is not set" in p for p in found)
    assert all("bad value" not in p for p in found)
