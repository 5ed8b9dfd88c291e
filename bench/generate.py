"""Generate a large Middleman-style blog, deterministically, for benchmarks.

    python bench/generate.py OUT_DIR --posts 10000 [--seed 1]

Writes OUT_DIR/source/blog/YYYY-MM-DD-slug.html.md (YAML frontmatter: title, author, date,
tags as a comma string, sometimes `published: false`), OUT_DIR/data/authors.yml (50 authors)
and OUT_DIR/data/site.yml. About 1,000 tags with a Zipf-like spread, 1-5 tags per post, bodies
of 1-5 KB with headings, links (absolute and relative), images, lists, emphasis and code.
The same seed and size always give byte-identical files.
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

WORDS = (  # noqa: SIM905 - a word list reads best as prose
    "cloud openstack community release storage network compute container kubernetes ansible "
    "deploy cluster upgrade install packaging meetup summit conference review patch driver "
    "python service operator volume image scheduler metrics logging tracing security policy "
    "tenant project identity dashboard neutron nova cinder swift glance keystone heat ironic "
    "the a of to and in for on with is that this we our you it as by from at be are was will "
    "new how why what team work week month year people code test build ci pipeline docs "
    "guide "
).split()
N_TAGS = 1000
N_AUTHORS = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.posts, args.seed)


def generate(out: Path, posts: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    blog = out / "source" / "blog"
    blog.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    (out / "data" / "site.yml").write_text("name: Bench Blog\ndomain: bench.example.org\n", "utf-8")
    authors = [f"author{i:02d}" for i in range(N_AUTHORS)]
    (out / "data" / "authors.yml").write_text(
        "".join(
            f"{a}:\n  name: Author Number {i}\n  twitter: bench{i}\n" for i, a in enumerate(authors)
        ),
        "utf-8",
    )
    tags = [_tag_name(rng, i) for i in range(N_TAGS)]
    weights = list(accumulate(1 / (i + 1) ** 1.05 for i in range(N_TAGS)))
    start = datetime(2010, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 1, 1, tzinfo=UTC) - start).total_seconds()
    for n in range(posts):
        date = start + timedelta(seconds=int(span * n / posts) + rng.randrange(3600))
        title = _sentence(rng, 4, 9).rstrip(".")
        slug = f"{'-'.join(title.lower().split()[:6])}-{n}"
        post_tags = sorted(
            {rng.choices(tags, cum_weights=weights)[0] for _ in range(rng.randint(1, 5))}
        )
        lines = [
            "---",
            f'title: "{title}"',
            f"author: {rng.choice(authors)}",
            f"date: {date:%Y-%m-%d %H:%M:%S} UTC",
            f"tags: {', '.join(post_tags)}",
        ]
        if rng.random() < 0.05:
            lines.append("published: false")
        lines += ["---", "", _body(rng, n)]
        (blog / f"{date:%Y-%m-%d}-{slug}.html.md").write_text("\n".join(lines) + "\n", "utf-8")


def _tag_name(rng: random.Random, i: int) -> str:
    words = rng.sample(WORDS[:48], rng.randint(1, 2))
    return " ".join(w.capitalize() if rng.random() < 0.3 else w for w in words) + f" {i}"


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(2, 6)):
        sentence = _sentence(rng, 6, 18)
        roll = rng.random()
        if roll < 0.15:
            sentence += f" See [the docs](https://docs.example.org/{rng.choice(WORDS)}/{rng.randrange(999)})."
        elif roll < 0.25:
            year, word = rng.randrange(2010, 2026), rng.choice(WORDS)
            sentence += f" More in [an earlier post](../{year}/{word}.html)."
        elif roll < 0.35:
            words = sentence.split(" ")
            pick = rng.randrange(len(words) - 1) if len(words) > 1 else 0
            words[pick] = f"**{words[pick]}**" if rng.random() < 0.5 else f"*{words[pick]}*"
            sentence = " ".join(words)
        parts.append(sentence)
    return " ".join(parts)


def _body(rng: random.Random, n: int) -> str:
    target = rng.randint(1000, 5000)
    blocks: list[str] = []
    size = 0
    while size < target:
        roll = rng.random()
        if roll < 0.6:
            block = _paragraph(rng)
        elif roll < 0.7:
            block = f"## {_sentence(rng, 2, 5).rstrip('.')}"
        elif roll < 0.8:
            block = "\n".join(f"* {_sentence(rng, 3, 8)}" for _ in range(rng.randint(2, 5)))
        elif roll < 0.9:
            block = f"![{rng.choice(WORDS)} diagram](blog/figure-{n}-{rng.randrange(9)}.png)"
        else:
            code = "\n".join(
                f"openstack {rng.choice(WORDS)} {rng.choice(WORDS)} --id {rng.randrange(99)}"
                for _ in range(rng.randint(2, 6))
            )
            block = f"```bash\n{code}\n```"
        blocks.append(block)
        size += len(block)
        if len(blocks) == 2 and rng.random() < 0.5:
            blocks.append("READMORE")
    return "\n\n".join(blocks)


if __name__ == "__main__":
    main()
