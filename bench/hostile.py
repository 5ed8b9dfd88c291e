# ruff: noqa: PLW0108  (lambdas: each case is made only when its turn comes)
"""Build time and peak memory of `syndicate build` on a blog holding one worst case of each
class of hostile post (issue: one bad post never stops or stalls a build).

    python bench/hostile.py [--repeat 3] [--scratch bench/scratch/hostile]

Each case is a blog of 20 ordinary posts plus the hostile one, built cold by a new
`syndicate build` process; the report gives the median wall time, the peak resident memory of
that process (from wait4) and its exit status, beside the same blog without the hostile post.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bomb() -> bytes:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        levels.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("---\ntitle: Bomb\n" + "\n".join(levels) + "\ntags: *i\n---\nBody\n").encode()


def _front(title: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: 2024-06-01\n{extra}---\n\n"


CASES: dict[str, Callable[[], bytes]] = {
    "none (20 ordinary posts)": lambda: b"",
    "nesting: '>' * 100,000": lambda: (_front("Quotes") + ">" * 100_000).encode(),
    "nesting: '- ' * 50,000": lambda: (_front("List") + "- " * 50_000).encode(),
    "YAML alias bomb (9^9 values)": _bomb,
    "invalid bytes: 2 MB alternating": lambda: _front("Bytes").encode() + b"\xff a" * 700_000,
    "5,000 tags": lambda: (
        _front("Tags", "tags: [" + ",".join(f"t{n}" for n in range(5_000)) + "]\n") + "x"
    ).encode(),
    "1,000,000 tags (7 MB of frontmatter)": lambda: (
        _front("Tags", "tags: [" + ",".join(f"t{n}" for n in range(1_000_000)) + "]\n") + "x"
    ).encode(),
    "50 MB post": lambda: (_front("Huge") + "Words of a very long post. " * 1_900_000).encode(),
}


def _blog(where: Path, hostile: bytes) -> Path:
    shutil.rmtree(where, ignore_errors=True)
    posts = where / "blog" / "source" / "blog"
    posts.mkdir(parents=True)
    for n in range(20):
        (posts / f"2024-05-{n + 1:02d}-post-{n}.html.md").write_text(
            _front(f"Post {n}").replace("2024-06-01", f"2024-05-{n + 1:02d}") + "Some text.\n"
        )
    if hostile:
        (posts / "2024-06-01-hostile.html.md").write_bytes(hostile)
    (where / "state").mkdir()
    config = where / "syndicate.toml"
    config.write_text(
        '[site]\ntitle = "Bench"\nurl = "https://notes.example.org/"\n'
        '[content]\nroot = "blog"\n[feeds]\noutput = "public"\n'
        '[store]\nurl = "sqlite:///state/ledger.db"\ncache = "state/cache.sqlite"\n'
    )
    return config


def _run(config: Path) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MB, exit status) of one cold build."""
    for stale in ("state", "public"):
        shutil.rmtree(config.parent / stale, ignore_errors=True)
    (config.parent / "state").mkdir()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "syndicate", "--config", str(config), "build"],
        cwd=config.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "RUST_BACKTRACE": "0"},
    )
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scratch", type=Path, default=ROOT / "bench" / "scratch" / "hostile")
    args = parser.parse_args()
    print("| case | build (median s) | peak RSS (MB) | exit |")
    print("|---|---:|---:|---:|")
    for name, make in CASES.items():
        config = _blog(args.scratch / str(abs(hash(name))), make())
        runs = [_run(config) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        print(f"| {name} | {wall:.2f} | {max(r[1] for r in runs)} | {runs[-1][2]} |", flush=True)


if __name__ == "__main__":
    main()
