"""A seeded generator of hostile and awkward posts (names, text, dates, encodings, sizes).

Used by the fuzz tests and by bench/: every post it writes is one a real blog might hold, on
purpose or by accident, and the generator that owns the layout would publish it.
"""

from __future__ import annotations

import random
import string
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

# Pieces of text that have broken feeds: markup, entities, CDATA ends, control characters,
# non-characters, replacement characters, bidi controls, surrogates-to-be, long runs.
HOSTILE = (
    "<b>bold</b>",
    "<script>alert(1)</script>",
    "Tom & Jerry",
    "&amp; &lt;already&gt; &#38; &#x26; &bogus;",
    "a < b > c",
    "]]>",
    "<![CDATA[x]]>",
    "\x00\x01\x08\x0b\x0c\x1f\x7f",
    "\x80\x85\x9f",
    "\ufffe\uffff\ufdd0\U0001fffe",
    "\ufffd",
    "\u202e\u200b\u200f\u2028\u2029",
    "'\"`",
    "C++ & C#",
    "日本語のタイトル",
    "emoji 🎉👩‍💻",
    "e\u0301\u0301\u0301",
    "--- ... -- ''quoted''",
    "{{ site.title }} {% raw %}",
    "javascript:alert(1)",
    "\\",
    " ",
    "",
)


def _char(rng: random.Random) -> str:
    """A character from anywhere in Unicode, any category (surrogates excepted: files are
    UTF-8)."""
    while True:
        code = rng.choice((rng.randrange(0x20, 0x7F), rng.randrange(0, 0x110000)))
        if not 0xD800 <= code <= 0xDFFF:
            return chr(code)


def text(rng: random.Random, *, longest: int = 80) -> str:
    """A short hostile string."""
    parts = [rng.choice(HOSTILE) for _ in range(rng.randrange(1, 4))]
    parts += ["".join(_char(rng) for _ in range(rng.randrange(0, 6)))]
    parts += [rng.choice(string.ascii_letters) * rng.randrange(0, longest)]
    rng.shuffle(parts)
    return " ".join(parts)


DATES = (
    "2024-05-01",
    "2024-05-01 10:00:00",
    "2024-05-01T10:00:00Z",
    "2024-05-01 10:00:00 +0200",
    "2024-05-01 10:00:00 -1130",
    "2024-02-29T23:59:59+14:00",
    "0001-01-01",
    "1970-01-01 00:00:00 UTC",
    "1989-12-31",
    "9999-12-31 23:59:59",
    "2024-13-45",
    "yesterday",
    "",
)


@dataclass(frozen=True)
class HostilePost:
    name: str  # the file name under the posts folder
    data: bytes
    title: str


def posts(seed: int, count: int) -> Iterator[HostilePost]:
    """`count` hostile Middleman posts (YAML frontmatter), the same for the same seed."""
    rng = random.Random(seed)
    for n in range(count):
        day = 1 + n % 28
        month = 1 + (n // 28) % 12
        meta: dict[str, object] = {"title": text(rng)}
        if rng.random() < 0.8:
            meta["author"] = rng.choice((text(rng), "x" * rng.randrange(1, 400), ""))
        if rng.random() < 0.8:
            meta["tags"] = [text(rng, longest=300) for _ in range(rng.randrange(0, 6))]
        if rng.random() < 0.5:
            meta["date"] = rng.choice(DATES)
        if rng.random() < 0.1:
            meta["summary"] = text(rng)
        body = _body(rng)
        front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
        encoded = f"---\n{front}---\n\n{body}".encode("utf-8", "surrogatepass")
        if rng.random() < 0.05:
            encoded += b"\xff\xfe stray bytes \xc3("
        yield HostilePost(
            f"2023-{month:02d}-{day:02d}-post-{n}.html.md", encoded, str(meta["title"])
        )


def _body(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.1:
        return ""
    if kind < 0.15:
        return " \n\t\n"
    if kind < 0.2:
        return "Large. " * rng.randrange(50_000, 200_000)
    paragraphs = [text(rng, longest=200) for _ in range(rng.randrange(1, 6))]
    if rng.random() < 0.3:
        paragraphs.append('[link](javascript:alert(1)) <a href="data:text/html,x">x</a>')
    if rng.random() < 0.3:
        paragraphs.append("```\n<code> & ]]> \x01\n```")
    return "\n\n".join(paragraphs)


def write(root: Path, seed: int, count: int) -> list[HostilePost]:
    written = list(posts(seed, count))
    root.mkdir(parents=True, exist_ok=True)
    for post in written:
        (root / post.name).write_bytes(post.data)
    return written


if __name__ == "__main__":
    write(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
