"""Credentials, resolved from the references the config holds (`env:NAME`, `file:PATH`) at the
moment a publisher is made. The values live only in the publisher: never in settings dumps,
logs, the database or any page."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from syndicate.publish.accounts import AccountSettings
from syndicate.publish.base import AuthError

# What each network needs; a missing one pauses the account with a message saying which.
REQUIRED: dict[str, tuple[str, ...]] = {
    "x": ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "mastodon": ("token",),
    "bluesky": ("app_password",),
    "slack": ("url",),
    "discord": ("url",),
    "matrix": ("access_token",),
    "webhook": ("url",),
}


def resolve(account: AccountSettings, environ: Mapping[str, str], base_dir: Path) -> dict[str, str]:
    """The account's secrets by name; AuthError naming the first one that cannot be read."""
    missing = [n for n in REQUIRED.get(account.network, ()) if n not in account.credentials]
    if missing:
        raise AuthError(
            f"account {account.name!r}: credentials.{missing[0]} is not set "
            f'(write e.g. {missing[0]} = "env:{_env_name(account.name, missing[0])}")'
        )
    return {name: _read(account.name, name, ref, environ, base_dir) for name, ref in
            account.credentials.items()}  # fmt: skip


def _read(
    account: str, name: str, reference: str, environ: Mapping[str, str], base_dir: Path
) -> str:
    kind, _, where = reference.partition(":")
    if kind == "env":
        value = environ.get(where, "")
        if not value:
            raise AuthError(f"account {account!r}: credentials.{name}: ${where} is not set")
        return value
    path = (base_dir / where).expanduser()
    try:
        value = path.read_text("utf-8").strip()
    except OSError as exc:
        raise AuthError(
            f"account {account!r}: credentials.{name}: cannot read {path}: {exc.strerror}"
        ) from None
    if not value:
        raise AuthError(f"account {account!r}: credentials.{name}: {path} is empty")
    return value


def _env_name(account: str, name: str) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in account).upper()
    return f"{stem}_{name.upper()}"
