"""A network's descriptor: everything the rest of syndicate knows about one network, defined
next to its implementation (`NETWORK = Network(...)` in publish/x.py and the others) and
named once in syndicate/registry.py.

The composer, the counting, the credentials, the handles, preview and the settings read a
network only through its descriptor, so none of them names a network.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from syndicate import registry
from syndicate.accounts import AccountSettings
from syndicate.model import Author
from syndicate.publish.base import Factory, TextRules

SOCIAL_TEMPLATE = "{title}\n\n{summary}\n\n{url}\n\n{hashtags}"
CHAT_TEMPLATE = "{title}\n{url}\n\n{summary}"


def _no_handle(author: Author) -> str | None:
    return None


def _no_problem(account: AccountSettings) -> list[str]:
    return []


class Network(msgspec.Struct, frozen=True):
    """One network: how to make its publisher and how its posts are written and counted."""

    name: str
    make: Factory
    credentials: tuple[str, ...]  # the credential names an account must give
    rules: TextRules  # the default text rules (a publisher may refine them: Mastodon)
    template: str = SOCIAL_TEMPLATE  # an account's default template
    byte_limit: int | None = None  # a limit on the encoded record besides the counted length
    handle: Callable[[Author], str | None] = _no_handle  # an author's handle, without `@`
    # What an account of this network must say besides credentials (a server, a room):
    # each problem for people, naming the account; checked as the settings load.
    check: Callable[[AccountSettings], list[str]] = _no_problem
    url_credentials: frozenset[str] = msgspec.field(default_factory=frozenset)  # checked as URLs
    # Whether a post can answer the account's own post (Message.reply_to): what threads need.
    replies: bool = False

    def problems(self, account: object) -> list[str]:
        """What is missing from `account` (an AccountSettings) for this network."""
        if not isinstance(account, AccountSettings):
            raise TypeError(f"not an account: {account!r}")
        problems = self.check(account)
        if account.thread and not self.replies:
            problems.append(
                f"account {account.name!r}: {self.name} cannot post threads (thread = true)"
            )
        return problems


def describe(network: str) -> Network:
    """The descriptor of `network`, as syndicate/registry.py names it."""
    found = registry.load(network)
    if not isinstance(found, Network):
        raise TypeError(f"registry entry {network!r} is not a publish.network.Network")
    return found


def factory(network: str) -> Factory:
    """The function that makes `network`'s publisher."""
    return describe(network).make
