"""Compose every published post of the real corpora for every network, with default settings,
and print how the texts fit: counted length (median, max) against the limit, how many were
shortened, lost hashtags, or were refused.

    python bench/compose_corpus.py [--corpora ../shared/corpora] [--show N]

The corpora are read in place and never copied (see their README).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from syndicate import registry
from syndicate.accounts import AccountSettings
from syndicate.clock import SystemClock
from syndicate.config import parse_settings
from syndicate.content.blog import Blog, open_blog
from syndicate.errors import ContentError, RejectedError
from syndicate.model import Post
from syndicate.publish.base import Message
from syndicate.publish.compose import ELLIPSIS, compose
from syndicate.publish.hashtags import hashtags_for
from syndicate.publish.network import describe
from syndicate.sections import parse

DOMAINS = {"rdo": "www.rdoproject.org", "osas": "community.redhat.com"}
DEFAULT_CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"


@dataclass
class Tally:
    lengths: list[int] = field(default_factory=list)
    shortened: int = 0
    lost_hashtags: int = 0
    rejected: list[str] = field(default_factory=list)


def open_corpus(root: Path, domain: str, state: Path) -> Blog:
    text = f"""
[site]
title = "{root.name}"
url = "https://{domain}/"
[content]
root = "{root}"
[feeds]
output = "{state / "public"}"
[store]
url = "sqlite:///{state / "ledger.db"}"
cache = "{state / "cache.sqlite"}"
"""
    settings = parse_settings(text, file="corpus.toml", base_dir=state)
    return open_blog(settings.content_root, settings.content, settings.site.url)


def published(blog: Blog) -> Iterator[tuple[Post, str]]:
    """Each public post of the blog with its plain-text summary."""
    now = SystemClock().now()
    for stamp in blog.scan():
        try:
            loaded = blog.loader.load(stamp.rel, (blog.root / stamp.rel).read_bytes())
        except ContentError:
            continue  # not a post (no date anywhere): the build skips it too
        if not loaded.post.is_public(now) or loaded.body is None:
            continue
        rendered = blog.renderer.render(
            loaded.body, loaded.body_format, loaded.post.permalink, loaded.post.summary
        )
        yield loaded.post, rendered.summary_text


def account_for(network: str, **options: object) -> AccountSettings:
    """An account of `network` with what its settings require, and `options`."""
    required: dict[str, dict[str, object]] = {
        "mastodon": {"server": "https://mastodon.example"},
        "matrix": {"server": "https://matrix.example", "room": "!room:example.org"},
        "telegram": {"room": "@channel"},
        "linkedin": {"handle": "urn:li:organization:1"},
    }
    fields = {"name": network, "network": network, **required.get(network, {}), **options}
    return parse(AccountSettings, fields)


def tally(posts: list[tuple[Post, str]], network: str, show: int) -> Tally:
    account, rules, counts = account_for(network), describe(network).rules, Tally()
    for post, summary in posts:
        try:
            message = compose(post, summary, account, rules)
        except RejectedError as exc:
            counts.rejected.append(f"{post.source}: {exc.reason}")
            continue
        counts.lengths.append(message.length)
        counts.shortened += ELLIPSIS in _prose(message) and ELLIPSIS not in summary + post.title
        if "{hashtags}" in describe(network).template:
            counts.lost_hashtags += _tags(message) < len(hashtags_for(post.tags, account))
        if show and len(counts.lengths) <= show:
            print(f"--- {network} {message.length}/{message.limit}\n{message.text}")
    return counts


def _prose(message: Message) -> str:
    """The text without its links, whose shortened form (Bluesky) is not a shortened post."""
    text = message.text
    for span in sorted(message.spans, key=lambda span: -span.start):
        if span.kind == "link":
            text = text[: span.start] + text[span.end :]
    return text


def _tags(message: Message) -> int:
    return sum(1 for span in message.spans if span.kind == "tag")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--show", type=int, default=0, help="print the first N texts per network")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        posts = [
            item
            for name, domain in DOMAINS.items()
            if (args.corpora / name).is_dir()
            for item in published(open_corpus(args.corpora / name, domain, Path(state)))
        ]
    print(f"{len(posts)} published posts from {args.corpora.resolve()}")
    print(
        f"{'network':9} {'posts':>5} {'median':>6} {'max':>6} {'limit':>6} "
        f"{'shortened':>9} {'lost #':>6} {'rejected':>8}"
    )
    for network in registry.names():
        counts = tally(posts, network, args.show)
        lengths = counts.lengths or [0]
        print(
            f"{network:9} {len(counts.lengths):>5} {statistics.median(lengths):>6.0f} "
            f"{max(lengths):>6} {describe(network).rules.limit:>6} {counts.shortened:>9} "
            f"{counts.lost_hashtags:>6} {len(counts.rejected):>8}"
        )
        for reason in counts.rejected[:5]:
            print(f"    refused {reason}")


if __name__ == "__main__":
    main()
