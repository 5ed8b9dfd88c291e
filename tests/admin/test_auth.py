"""The admin token, sessions and CSRF tokens, and `syndicate token`."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syndicate.admin.auth import (
    MIN_TOKEN_LENGTH,
    TOKEN_ENV,
    Caller,
    TokenSource,
    csrf_token,
    identify,
    new_session,
    new_token,
    session_valid,
    write_token,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WEEK = 7 * 86400.0


def test_new_tokens_are_long_random_and_recognisable() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(t.startswith("syn_") and len(t) >= 40 for t in tokens)


def test_the_token_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "admin.token"
    write_token(path, "syn_" + "a" * 40)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "syn_" + "a" * 40 + "\n"


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "admin.token"
    in_file, in_env = new_token(), new_token()
    write_token(path, in_file)
    assert TokenSource({TOKEN_ENV: in_env}, path).current() == in_env
    assert TokenSource({}, path).current() == in_file
    assert TokenSource({TOKEN_ENV: "  "}, path).current() == in_file


def test_a_changed_or_removed_file_is_seen_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "admin.token"
    source = TokenSource({}, path)
    assert source.current() is None
    first, second = new_token(), new_token() + "b"
    write_token(path, first)
    assert source.current() == first
    write_token(path, second)
    assert source.current() == second
    path.unlink()
    assert source.current() is None


def test_short_tokens_and_disabled_dashboards_give_no_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "admin.token"
    write_token(path, "short")
    assert TokenSource({}, path).current() is None
    assert f"shorter than {MIN_TOKEN_LENGTH}" in caplog.text
    assert "short\n" not in caplog.text  # the message names where, never the value
    write_token(path, new_token())
    assert TokenSource({}, path, enabled=False).current() is None


@pytest.mark.parametrize(
    "weak",
    [
        "a" * 40,  # one character
        "password1234password1234",  # a word and a sequence, repeated
        "0123456789012345678901234567",  # a sequence
        "qwertyuiopasdfghjklzxcvbnm1",  # a keyboard walk
        "correcthorsebatterystaple!!",  # words
    ],
)
def test_tokens_easy_to_guess_are_refused_whatever_their_length(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, weak: str
) -> None:
    path = tmp_path / "admin.token"
    write_token(path, weak)
    assert TokenSource({}, path).current() is None
    assert TokenSource({TOKEN_ENV: weak}, tmp_path / "none").current() is None
    assert "too easy to guess" in caplog.text and weak not in caplog.text
    assert TokenSource({TOKEN_ENV: new_token()}, tmp_path / "none").current() is not None


def test_sessions_are_signed_by_the_token_and_expire() -> None:
    token = new_token()
    session = new_session(token, NOW)
    assert session_valid(token, session, NOW + timedelta(days=6), WEEK)
    assert not session_valid(token, session, NOW + timedelta(days=8), WEEK)
    assert not session_valid(new_token(), session, NOW, WEEK)  # a new token ends sessions
    issued, nonce, mac = session.split(".")
    assert not session_valid(token, f"{int(issued) + 86400}.{nonce}.{mac}", NOW, WEEK)
    assert not session_valid(token, f"{issued}.other.{mac}", NOW, WEEK)
    for junk in ("", "a.b", "x.y.z", "...", session + "."):
        assert not session_valid(token, junk, NOW, WEEK)


def test_identify_reads_the_bearer_header_then_the_cookie() -> None:
    token = new_token()
    session = new_session(token, NOW)
    assert identify(None, f"Bearer {token}", None, NOW, WEEK) == "disabled"
    assert identify(token, None, None, NOW, WEEK) == "missing"
    assert identify(token, f"Bearer {token}", None, NOW, WEEK) == Caller("bearer", token)
    assert identify(token, f"bearer  {token} ", None, NOW, WEEK) == Caller("bearer", token)
    assert identify(token, "Bearer wrong", session, NOW, WEEK) == "wrong"  # no fallback
    assert identify(token, f"Basic {token}", None, NOW, WEEK) == "wrong"
    assert identify(token, None, session, NOW, WEEK) == Caller("session", token, session)
    assert identify(token, None, "forged.cookie.value", NOW, WEEK) == "wrong"


def test_csrf_is_needed_with_a_session_only() -> None:
    token = new_token()
    session = new_session(token, NOW)
    browser = Caller("session", token, session)
    assert browser.csrf() == csrf_token(token, session)
    assert browser.csrf_ok(csrf_token(token, session))
    assert not browser.csrf_ok(None)
    assert not browser.csrf_ok("")
    assert not browser.csrf_ok(csrf_token(token, new_session(token, NOW)))  # another session's
    assert Caller("bearer", token).csrf_ok(None)


# -- `syndicate token` ------------------------------------------------------------------------


def _token(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in (TOKEN_ENV, "SYNDICATE_CONFIG")}
    command = [sys.executable, "-m", "syndicate", "--config", str(config), "token", *args]
    return subprocess.run(
        command, capture_output=True, text=True, env={**environment, **(env or {})}, check=False
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "syndicate.toml"
    path.write_text(
        '[site]\nurl = "https://blog.example.org/"\n[admin]\ntoken_file = "t/admin.token"\n'
    )
    return path


def test_token_command_creates_shows_and_rotates(config: Path) -> None:
    made = _token(config)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("syn_") and made.stdout.count("\n") == 1  # only the token on stdout
    assert "Authorization: Bearer" in made.stderr and "/admin/" in made.stderr
    stored = config.parent / "t" / "admin.token"
    assert stored.read_text().strip() == token

    again = _token(config)
    assert again.returncode == 0 and again.stdout == ""  # an existing token is kept
    assert "--rotate" in again.stderr
    assert _token(config, "--show").stdout.strip() == token

    rotated = _token(config, "--rotate")
    assert rotated.returncode == 0
    assert rotated.stdout.strip() not in ("", token)
    assert stored.read_text().strip() == rotated.stdout.strip()


def test_token_command_explains_when_the_environment_holds_the_token(config: Path) -> None:
    held = new_token()
    done = _token(config, env={TOKEN_ENV: held})
    assert done.returncode == 1
    assert TOKEN_ENV in done.stderr and held not in done.stderr + done.stdout
    assert not (config.parent / "t" / "admin.token").exists()


def test_token_show_without_a_token_says_how_to_make_one(config: Path) -> None:
    done = _token(config, "--show")
    assert done.returncode == 1 and "syndicate token" in done.stderr
