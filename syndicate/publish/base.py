"""What every publisher shares: the message it is given, the receipt it returns, the errors
it raises (syndicate/errors.py's PublishError branch), and the protocol it implements.

A publisher is an edge: it turns one composed Message into one remote post, with the network's
own idempotency mechanism keyed by the delivery (`key`), and classifies every failure into one
of the PublishError classes, so the outbox decides what happens next without knowing the
network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import msgspec

from syndicate.accounts import AccountSettings
from syndicate.clock import Clock
from syndicate.model import Receipt  # the outbox stores it, below publish

__all__ = [
    "Context",
    "Factory",
    "Message",
    "Publisher",
    "Receipt",
    "Span",
    "StateStore",
    "TextRules",
]


class Span(msgspec.Struct, frozen=True):
    """A stretch of `Message.text`, in Python string indices (code points), end exclusive: a
    link (`target` is the full URL, even when the text shows it shortened), a hashtag (`target`
    is the tag without `#`) or a mention (`target` is the handle)."""

    start: int
    end: int
    kind: str  # "link", "tag" or "mention"
    target: str


class Message(msgspec.Struct, frozen=True):
    """One post as an account will publish it: the exact text, and what a link card needs."""

    text: str
    url: str  # the post's permalink
    title: str
    description: str  # plain-text summary, for link cards
    image: str | None = None  # absolute URL of the post's lead image
    image_alt: str | None = None  # its alt text; None when the post gives none
    language: str | None = None  # BCP 47, when the post says
    spans: tuple[Span, ...] = ()
    length: int = 0  # as the network counts it
    limit: int = 0  # the network's limit for this account
    shortened: bool = False  # the template's whole text did not fit: something was cut
    # In a thread (numbered from 1): the part this is, how many there are, and the posts it
    # answers (the thread's first post, and the part before this one).
    part: int = 1
    parts: int = 1
    thread_root: Receipt | None = None
    reply_to: Receipt | None = None


class TextRules(msgspec.Struct, frozen=True):
    """How a network counts a post's length: the composer fits text to these."""

    network: str
    limit: int  # characters, weighted characters or graphemes, as `counting` says
    # "x" (twitter-text weighted), "chars" (code points), "graphemes", or "emoji-bytes"
    # (graphemes, an emoji as its UTF-8 bytes: Threads)
    counting: str
    url_length: int | None  # every URL counts as this many, or None when URLs count as written
    shortens_links: bool = False  # the text may show a shortened URL (Bluesky link facets)
    byte_limit: int | None = None  # UTF-8 bytes the encoded text may take (Bluesky's 3000)
    short_mentions: bool = False  # a remote mention `@user@host` counts as `@user` (Mastodon)


class StateStore(Protocol):
    """A little durable state per account (a Bluesky session, X's user id), kept in the
    ledger's `state` table, so a restart does not log in again."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...


class Context(msgspec.Struct, frozen=True):
    """All a publisher factory is given. `secrets` holds the resolved credentials (never
    logged, never stored); `server` is the account's server with the network's default."""

    account: AccountSettings
    secrets: Mapping[str, str]
    clock: Clock
    state: StateStore
    timeout: float = 30.0  # seconds per network operation
    # The blog's own address: a URL taken from a post (its image) may be fetched from this
    # host whatever its address, from others only when public (see content_client).
    site_url: str = ""


class Factory(Protocol):
    def __call__(self, context: Context) -> Publisher: ...


class Publisher(Protocol):
    """One account on one network. Implementations hold their HTTP client and session."""

    def rules(self) -> TextRules:
        """The account's text rules (Mastodon reads its instance's limits)."""
        ...

    def send(self, message: Message, key: str) -> Receipt:
        """Publish `message` once. `key` is stable for the delivery: a network that has an
        idempotency mechanism keys it with this, so a resend after a crash is not a second
        post. Raises a PublishError on failure."""
        ...

    def find(self, message: Message, key: str) -> Receipt | None:
        """After an ambiguous failure or a crash mid-send: the post this delivery made, if the
        network has it, else None (then sending again is safe)."""
        ...

    def close(self) -> None: ...
