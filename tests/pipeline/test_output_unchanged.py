"""Speed work must not change a byte: the feeds of a generated 400-post blog (every format,
site, tag and author feeds), of 300 awkward posts and of the bundled example are compared with
the digests of what an earlier syndicate built (output_digests.json), in one process, with a
forked helper and with worker pools.

After a change meant to alter the output, regenerate the digests and say why in the commit:

    python -m tests.pipeline.test_output_unchanged
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.clock import FixedClock
from syndicate.config import parse_settings
from syndicate.pipeline import workers
from syndicate.pipeline.opening import open_builder

REPO = Path(__file__).resolve().parents[2]
DIGESTS = Path(__file__).with_name("output_digests.json")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = """
[site]
title = "Unchanged"
url = "https://unchanged.example.org/"
[content]
root = {root}
layout = "middleman"
[feeds]
output = "public"
formats = ["atom", "rss", "json"]
limit = 15
[feeds.authors]
enabled = true
[store]
url = "sqlite:///ledger.db"
cache = "cache.sqlite"
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


def _awkward_blog(folder: Path, posts: int = 300) -> Path:
    """Posts of every shape the serialisers meet: code, tables, raw HTML, images, footnotes,
    non-ASCII, control characters, several authors, tags and zones, summaries with and
    without a marker, drafts and a future post."""
    rng = random.Random(17)
    blog = folder / "source" / "blog"
    blog.mkdir(parents=True)
    for n in range(posts):
        name, text = _post(rng, n)
        (blog / name).write_text(text, "utf-8")
    future = "---\ntitle: Later\ndate: 2099-01-01\n---\nSoon.\n"
    (blog / "2099-01-01-future.html.md").write_text(future, "utf-8")
    (folder / "data").mkdir()
    authors = "ana:\n  name: Ana Lima\n  twitter: analima\nbo:\n  name: Bo\n"
    (folder / "data" / "authors.yml").write_text(authors, "utf-8")
    return folder


def _generated_blog(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(folder, 400, 7)
    return folder


def built(root: Path, home: Path, workers: int = 0) -> dict[str, str]:
    """Every output file's SHA-256 after a cold build of the blog at `root`."""
    home.mkdir(parents=True)
    config = CONFIG.format(root=json.dumps(str(root))) + f"[build]\nworkers = {workers}\n"
    settings = parse_settings(config, file="unchanged.toml", base_dir=home)
    with open_builder(settings, clock=FixedClock(NOW)) as builder:
        builder.build()
    output = home / "public"
    return {
        str(path.relative_to(output)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(output.rglob("*"))
        if path.is_file()
    }


def all_outputs(scratch: Path) -> dict[str, dict[str, str]]:
    generated = _generated_blog(scratch / "generated-blog")
    awkward = _awkward_blog(scratch / "awkward-blog")
    example = scratch / "example-blog"
    shutil.copytree(REPO / "examples" / "blog", example)
    return {
        "generated-400": built(generated, scratch / "generated"),
        "awkward-300": built(awkward, scratch / "awkward"),
        "example": built(example, scratch / "example"),
    }


@pytest.fixture
def expected() -> dict[str, dict[str, str]]:
    return dict(json.loads(DIGESTS.read_text("utf-8")))


def test_the_feeds_are_byte_for_byte_what_they_were(
    tmp_path: Path, expected: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "HELPER_THRESHOLD", sys.maxsize)  # all in one process
    assert all_outputs(tmp_path) == expected


def test_a_forked_helper_makes_the_same_bytes(
    tmp_path: Path, expected: dict[str, dict[str, str]]
) -> None:
    generated = _generated_blog(tmp_path / "generated-blog")
    assert built(generated, tmp_path / "generated", workers=2) == expected["generated-400"]
    awkward = _awkward_blog(tmp_path / "awkward-blog")
    assert built(awkward, tmp_path / "awkward", workers=2) == expected["awkward-300"]


def test_worker_pools_make_the_same_bytes(
    tmp_path: Path, expected: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "POOL_THRESHOLD", 1)
    generated = _generated_blog(tmp_path / "generated-blog")
    assert built(generated, tmp_path / "generated") == expected["generated-400"]
    awkward = _awkward_blog(tmp_path / "awkward-blog")
    assert built(awkward, tmp_path / "awkward") == expected["awkward-300"]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        digests = all_outputs(Path(scratch))
    DIGESTS.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"{sum(map(len, digests.values()))} digests written to {DIGESTS}", file=sys.stderr)
