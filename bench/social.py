"""What the real corpora give the social features: how many posts carry an image, with alt
text or without, and for each network that takes threads, how many posts would go as a
thread (`thread = true`, the default `thread_parts = 4`) and in how many parts.

    python bench/social.py [--corpora ../shared/corpora]

The corpora are read in place and never copied (see their README).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections import Counter
from pathlib import Path

from compose_corpus import DEFAULT_CORPORA, DOMAINS, account_for, open_corpus, published

from syndicate import registry
from syndicate.model import Post
from syndicate.publish.compose import ELLIPSIS
from syndicate.publish.network import describe
from syndicate.publish.thread_parts import compose_thread


def image_census(posts: list[tuple[Post, str]]) -> str:
    pictured = [post for post, _ in posts if post.image]
    described = [post for post in pictured if post.image_alt]
    return (
        f"{len(posts)} published posts; {len(pictured)} with an image "
        f"({len(described)} with alt text, {len(pictured) - len(described)} without)"
    )


def thread_row(posts: list[tuple[Post, str]], network: str) -> str:
    account = account_for(network, thread=True)
    rules = describe(network).rules
    parts: Counter[int] = Counter()
    capped = 0
    for post, summary in posts:
        thread = compose_thread(post, summary, account, rules)
        parts[len(thread)] += 1
        capped += len(thread) > 1 and ELLIPSIS + " (" in thread[-1].text
    threads = sum(n for size, n in parts.items() if size > 1)
    sizes = [size for size, n in parts.items() if size > 1 for _ in range(n)] or [0]
    spread = ", ".join(f"{size} parts: {n}" for size, n in sorted(parts.items()) if size > 1)
    return (
        f"| {network} | {rules.limit} | {threads} | {statistics.mean(sizes):.1f} "
        f"| {spread or '-'} | {capped} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        for name, domain in DOMAINS.items():
            if not (args.corpora / name).is_dir():
                continue
            posts = list(published(open_corpus(args.corpora / name, domain, Path(state))))
            print(f"\n{name}: {image_census(posts)}")
            print("| network | limit | threads | mean parts | parts | cut at 4 |")
            print("|---|---|---|---|---|---|")
            for network in registry.names():
                if describe(network).replies:
                    print(thread_row(posts, network))


if __name__ == "__main__":
    main()
