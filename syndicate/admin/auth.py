"""Who may use the dashboard and the API: one admin token, login sessions, CSRF tokens.

The token comes from $SYNDICATE_ADMIN_TOKEN, else from the file `syndicate token` writes (read
again whenever the file changes, so a new token needs no restart). With neither, the dashboard
and the API are off.

Scripts send the token as `Authorization: Bearer`. A browser logs in once with it and then
holds a session cookie: `issued.nonce.mac`, the MAC keyed by the token, so nothing is stored on
the server and a new token ends every session. Because a browser sends cookies on its own, every
POST made with a session must also carry a CSRF token, a MAC of the session (form field `csrf`
or header `X-CSRF-Token`). Bearer requests need none: no browser adds that header by itself.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Literal

import msgspec
from zxcvbn import zxcvbn

TOKEN_ENV = "SYNDICATE_ADMIN_TOKEN"  # noqa: S105  # the variable's name, not a secret
SESSION_COOKIE = "syndicate_session"
LOGIN_COOKIE = "syndicate_login"  # the login form's own CSRF value (double submit)
CSRF_HEADER = "x-csrf-token"
MIN_TOKEN_LENGTH = 24  # a token shorter than this is refused: it could be guessed
MIN_GUESSES_LOG10 = 20  # nor one zxcvbn guesses in fewer tries (about 66 bits)
MAX_JUDGED = 100  # characters zxcvbn looks at: its time grows with the length

log = logging.getLogger("syndicate.admin")


def new_token() -> str:
    """256 random bits, URL-safe, with a prefix that makes a leaked one easy to recognise."""
    return "syn_" + secrets.token_urlsafe(32)


def write_token(path: Path, token: str) -> None:
    """Write atomically with mode 0600: the token is a password."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    temporary.replace(path)


class TokenSource:
    """The current admin token, or None when the dashboard is off. Thread-safe."""

    def __init__(self, environ: Mapping[str, str], path: Path, *, enabled: bool = True) -> None:
        self._environ = environ
        self._path = path
        self._enabled = enabled
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of the file last read
        self._token: str | None = None
        self._warned: set[str] = set()

    @property
    def path(self) -> Path:
        return self._path

    def current(self) -> str | None:
        if not self._enabled:
            return None
        if self._environ.get(TOKEN_ENV, "").strip():
            return self._usable(self._environ[TOKEN_ENV].strip(), f"${TOKEN_ENV}")
        with self._lock:
            try:
                info = self._path.stat()
            except OSError:
                self._seen, self._token = None, None
                return None
            if (info.st_mtime_ns, info.st_size) != self._seen:
                self._token = self._read()
                self._seen = (info.st_mtime_ns, info.st_size)
            return self._token

    def _read(self) -> str | None:
        try:
            text = self._path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            self._warn(f"cannot read the admin token file {self._path}: {exc}")
            return None
        return self._usable(text, str(self._path)) if text else None

    def _usable(self, token: str, where: str) -> str | None:
        if len(token) < MIN_TOKEN_LENGTH:
            self._warn(
                f"the admin token in {where} is shorter than {MIN_TOKEN_LENGTH} characters; "
                "the dashboard stays off (make one with `syndicate token`)"
            )
            return None
        if not strong(token):
            self._warn(
                f"the admin token in {where} is too easy to guess (repeated, a word or a "
                "pattern); the dashboard stays off (make one with `syndicate token`)"
            )
            return None
        return token

    def _warn(self, message: str) -> None:
        if message not in self._warned:  # once, not on every request
            self._warned.add(message)
            log.warning(message)


@functools.lru_cache(maxsize=8)  # the token is judged on every request: once is enough
def strong(token: str) -> bool:
    """Whether `token` would take an attacker at least 10^20 guesses, as zxcvbn estimates
    them (repeats, sequences, keyboard walks, words and dates count for little): a random
    token of 24 characters takes about 10^24."""
    return bool(zxcvbn(token[:MAX_JUDGED])["guesses_log10"] >= MIN_GUESSES_LOG10)


def _mac(token: str, message: str) -> str:
    digest = hmac.new(token.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def same(given: str, expected: str) -> bool:
    """Constant-time comparison, so timing tells nothing about how much matched."""
    return hmac.compare_digest(given.encode(), expected.encode())


def new_session(token: str, now: datetime) -> str:
    issued = str(int(now.timestamp()))
    nonce = secrets.token_urlsafe(12)
    return f"{issued}.{nonce}.{_mac(token, f'session:{issued}:{nonce}')}"


def session_valid(token: str, value: str, now: datetime, max_age_seconds: float) -> bool:
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return False
    issued, nonce, mac = parts
    if not same(mac, _mac(token, f"session:{issued}:{nonce}")):
        return False
    age = now.timestamp() - int(issued)
    return -60 <= age <= max_age_seconds  # a little leeway for a clock set back


def csrf_token(token: str, session: str) -> str:
    return _mac(token, f"csrf:{session}")


class Caller(msgspec.Struct, frozen=True):
    """Someone the token let in, and how."""

    via: Literal["bearer", "session"]
    token: str
    session: str | None = None  # the cookie, when via a session

    def csrf(self) -> str | None:
        return csrf_token(self.token, self.session) if self.session else None

    def csrf_ok(self, given: str | None) -> bool:
        """Bearer callers need no CSRF token; session callers must send their own."""
        if self.via == "bearer":
            return True
        expected = self.csrf()
        return bool(given and expected and same(given, expected))


Verdict = Caller | Literal["disabled", "missing", "wrong"]


def identify(
    token: str | None,
    authorization: str | None,
    cookie: str | None,
    now: datetime,
    max_age_seconds: float,
) -> Verdict:
    """Who is calling, from the Authorization header or the session cookie."""
    if token is None:
        return "disabled"
    if authorization:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer" or not same(given.strip(), token):
            return "wrong"
        return Caller("bearer", token)
    if cookie:
        if session_valid(token, cookie, now, max_age_seconds):
            return Caller("session", token, cookie)
        return "wrong"
    return "missing"
