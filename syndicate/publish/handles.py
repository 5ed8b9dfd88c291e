"""Authors' handles as X, Mastodon and Bluesky mention people (each network's descriptor
names its function): X `@name`, Mastodon `@user@instance`,
Bluesky `@handle.bsky.social`. The authors registry may hold a handle with or without its
`@`, or a profile URL; anything that is not a valid handle for the network is no handle."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from syndicate.model import Author

_X_NAME = re.compile(r"[A-Za-z0-9_]{1,15}")
_MASTODON_USER = re.compile(r"[A-Za-z0-9_]+(?:[.\-]+[A-Za-z0-9_]+)*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9\-]*")


def x_handle(author: Author) -> str | None:
    """The author's X user name, without `@`."""
    value = author.twitter
    name = _last_path_part(value) if value and "/" in value else value
    name = (name or "").strip().removeprefix("@")
    return name if _X_NAME.fullmatch(name) else None


def mastodon_handle(author: Author) -> str | None:
    """The author's `user@instance`, without the leading `@`."""
    value = author.mastodon
    text = (value or "").strip()
    if "/" in text:  # https://instance/@user
        parts = urlsplit(text)
        text = f"{_last_path_part(text)}@{parts.hostname or ''}"
    user, _, instance = text.removeprefix("@").partition("@")
    if _MASTODON_USER.fullmatch(user) and _DOMAIN.fullmatch(instance):
        return f"{user}@{instance.lower()}"
    return None


def bluesky_handle(author: Author) -> str | None:
    """The author's Bluesky handle (`alice.bsky.social`), without `@`."""
    value = author.bluesky
    name = _last_path_part(value) if value and "/" in value else value  # bsky.app/profile/h
    name = (name or "").strip().removeprefix("@").lower()
    return name if _DOMAIN.fullmatch(name) else None


def _last_path_part(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rpartition("/")[2].removeprefix("@")
