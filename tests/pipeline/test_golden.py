"""Speed work must not change a byte: feeds built now are compared with a manifest of feeds
built before it (`golden.json`, the sha256 of every file in the output).

The blog is generated here, the same every time: posts of every shape the serialisers meet
(code, tables, raw HTML, images, footnotes, non-ASCII, control characters, several authors,
tags and zones, summaries with and without a marker, drafts and future posts). Run with
`SYNDICATE_GOLDEN_WRITE=1` to write the manifest afresh, only when a change of output is meant.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from pathlib import Path

import pytest

from syndicate.clock import FixedClock
from tests.conftest import NOW, Blog, build

MANIFEST = Path(__file__).with_name("golden.json")
EXAMPLE = Path(__file__).parents[2] / "examples" / "blog"
FEEDS = """
[feeds]
formats = ["atom", "rss", "json"]
limit = 15
[feeds.authors]
enabled = true
"""

_WORDS = (
    "cloud",
    "stack",
    "neutron",
    "nova",
    "keystone",
    "release",
    "meeting",
    "survey",
    "field",
    "sync",
    "merge",
    "record",
    "offline",
    "widget",
    "community",
    "report",
    "café",
    "naïve",
    "Ünïcödé",
    "東京",
    "emoji",
    "🚀",
    "<tag>",
    "&",
    '"quoted"',
    "'single'",
)
_TAGS = ("News", "rdo", "Release Notes", "C++", "café", "how-to", "RDO", "summit 2024", "東京")
_AUTHORS = ("ana", "bo", "Carla Núñez", None)
_ZONES = ("UTC", "CEST", "+05:30", "-0800", "")


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 14))).capitalize() + "."


def _block(rng: random.Random, n: int) -> str:
    kind = rng.randrange(9)
    if kind == 0:
        return "```python\nprint('x < y & z')\nif a:\n    b()\n```"
    if kind == 1:
        return "| a | b |\n|---|---|\n| 1 | <b>2</b> |"
    if kind == 2:
        return f'<div class="note">Raw <em>HTML</em> {n} <script>alert(1)</script></div>'
    if kind == 3:
        return f'![An image {n}](/images/p{n}.png "title") and [a link](../other-{n}.html)'
    if kind == 4:
        return "\n".join(f"- item {i} with `code` and **bold**" for i in range(3))
    if kind == 5:
        return f"## Heading {n}\n\n> A quote, {_sentence(rng)}"
    if kind == 6:
        return f"Control \x0b characters \x1f kept out, and a footnote.[^1]\n\n[^1]: Note {n}."
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 5)))


def _post(rng: random.Random, n: int) -> tuple[str, str]:
    day = 1 + n % 27
    month = 1 + (n // 27) % 12
    year = 2014 + n // 324
    title = json.dumps(f"Post {n}: " + _sentence(rng), ensure_ascii=False)
    meta = [f"title: {title}"]
    zone = rng.choice(_ZONES)
    meta.append(f"date: {year}-{month:02d}-{day:02d} {n % 24:02d}:{n % 60:02d}:07 {zone}".strip())
    author = rng.choice(_AUTHORS)
    if author is not None:
        meta.append(f"author: {json.dumps(author, ensure_ascii=False)}")
    tags = rng.sample(_TAGS, rng.randint(0, 3))
    listed = json.dumps(", ".join(tags), ensure_ascii=False)
    meta.append(f"tags: {listed}")
    if n % 17 == 0:
        meta.append("published: false")
    blocks = [_block(rng, n) for _ in range(rng.randint(1, 7))]
    if n % 3 == 0:
        blocks.insert(1, "READMORE")
    body = "\n\n".join(blocks)
    name = f"{year}-{month:02d}-{day:02d}-post-{n}.html.md"
    return name, "---\n" + "\n".join(meta) + "\n---\n\n" + body + "\n"


def _generate(blog: Blog, posts: int) -> None:
    rng = random.Random(17)
    for n in range(posts):
        name, text = _post(rng, n)
        blog.post(name, raw=text)
    blog.post("2099-01-01-future.html.md", raw="---\ntitle: Later\ndate: 2099-01-01\n---\nSoon.\n")
    blog.authors({"ana": {"name": "Ana Lima", "twitter": "analima"}, "bo": {"name": "Bo"}})


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _check(name: str, digests: dict[str, str]) -> None:
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    if os.environ.get("SYNDICATE_GOLDEN_WRITE"):
        manifest[name] = digests
        MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        return
    expected = manifest[name]
    changed = sorted(
        k for k in expected.keys() | digests.keys() if expected.get(k) != digests.get(k)
    )
    assert not changed, f"{len(changed)} files differ from the golden build, e.g. {changed[:5]}"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_generated_blog_builds_the_golden_bytes(
    blog: Blog, clock: FixedClock, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two workers over 1,200 posts take the forked pools' path.
    _generate(blog, 1200 if workers > 1 else 300)
    settings = blog.settings(FEEDS + f"[build]\nworkers = {workers}\n")
    report = build(settings, clock)
    assert report.errors == []
    _check(f"generated-{workers}", _digests(blog.output))


def test_the_example_blog_builds_the_golden_bytes(tmp_path: Path) -> None:
    root = tmp_path / "blog"
    shutil.copytree(EXAMPLE, root)
    blog = Blog.__new__(Blog)
    blog.root, blog.posts, blog.state = root, root / "source" / "blog", tmp_path / "state"
    blog.store_url = f"sqlite:///{blog.state / 'ledger.db'}"
    report = build(blog.settings(FEEDS), FixedClock(NOW))
    assert report.errors == []
    _check("example", _digests(blog.output))
