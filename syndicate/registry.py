"""The networks syndicate can post to: one line each, naming where its descriptor lives
(`module:NAME`, a `publish.network.Network`). Adding a network is its module, one line here
and its tests.

Descriptors are looked up by name, imported on first use: an installation that posts only to
Mastodon never loads tweepy, and the settings (which validate accounts against this table)
stay below the publishers in the layers without importing them.
"""

from __future__ import annotations

import importlib
from typing import Protocol

NETWORKS: dict[str, str] = {
    "x": "syndicate.publish.x:NETWORK",
    "mastodon": "syndicate.publish.mastodon:NETWORK",
    "bluesky": "syndicate.publish.bluesky:NETWORK",
    "slack": "syndicate.publish.slack:NETWORK",
    "discord": "syndicate.publish.discord:NETWORK",
    "matrix": "syndicate.publish.matrix:NETWORK",
    "webhook": "syndicate.publish.webhooks:NETWORK",
    "telegram": "syndicate.publish.telegram:NETWORK",
    "threads": "syndicate.publish.threads:NETWORK",
    "linkedin": "syndicate.publish.linkedin:NETWORK",
}


class Described(Protocol):
    """What the settings need of a descriptor: its name and its account checks."""

    @property
    def name(self) -> str: ...

    def problems(self, account: object) -> list[str]: ...


def names() -> tuple[str, ...]:
    """Every network name, in the table's order."""
    return tuple(NETWORKS)


def load(network: str) -> object:
    """The descriptor registered for `network` (KeyError when there is none)."""
    module, _, name = NETWORKS[network].partition(":")
    found: object = getattr(importlib.import_module(module), name)
    return found
