"""Network name -> the factory that makes its publisher. Imported on first use, so an
installation that posts only to Mastodon never loads tweepy."""

from __future__ import annotations

import importlib

from syndicate.publish.base import Factory

FACTORIES: dict[str, str] = {
    "x": "syndicate.publish.x:make",
    "mastodon": "syndicate.publish.mastodon:make",
    "bluesky": "syndicate.publish.bluesky:make",
    "slack": "syndicate.publish.webhooks:make_slack",
    "discord": "syndicate.publish.webhooks:make_discord",
    "matrix": "syndicate.publish.webhooks:make_matrix",
    "webhook": "syndicate.publish.webhooks:make_webhook",
}


def factory(network: str) -> Factory:
    module, _, name = FACTORIES[network].partition(":")
    made: Factory = getattr(importlib.import_module(module), name)
    return made
