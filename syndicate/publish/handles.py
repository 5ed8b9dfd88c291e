"""Authors' handles as each network mentions people: X `@name`, Mastodon `@user@instance`,
Bluesky `@handle.bsky.social`. The authors registry may hold a handle with or without its
`@`, or a profile URL; anything that is not a valid handle for the network is no handle."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from syndicate.model import Author

_X_NAME = re.compile(r"[A-Za-z0-9_]{1,15}")
_MASTODON_USER = re.compile(r"[A-Za-z0-9_]+(?:[.\-]+[A-Za-z0-9_]+)*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9\-]*")


def handle(author: Author, network: str) -> str | None:
    """The author's handle on `network` without the leading `@` (`name`, `user@instance`,
    `alice.bsky.social`), or None when unknown or malformed."""
    if network == "x":
        return _x(author.twitter)
    if network == "mastodon":
        return _mastodon(author.mastodon)
    if network == "bluesky":
        return _bluesky(author.bluesky)
    return None


def _x(value: str | None) -> str | None:
    name = _last_path_part(value) if value and "/" in value else value
    name = (name or "").strip().removeprefix("@")
    return name if _X_NAME.fullmatch(name) else None


def _mastodon(value: str | None) -> str | None:
    text = (value or "").strip()
    if "/" in text:  # https://instance/@user
        parts = urlsplit(text)
        text = f"{_last_path_part(text)}@{parts.hostname or ''}"
    user, _, instance = text.removeprefix("@").partition("@")
    if _MASTODON_USER.fullmatch(user) and _DOMAIN.fullmatch(instance):
        return f"{user}@{instance.lower()}"
    return None


def _bluesky(value: str | None) -> str | None:
    name = _last_path_part(value) if value and "/" in value else value  # bsky.app/profile/h
    name = (name or "").strip().removeprefix("@").lower()
    return name if _DOMAIN.fullmatch(name) else None


def _last_path_part(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rpartition("/")[2].removeprefix("@")
