"""Time one new post reaching its feeds in a built blog, inside a long-running builder.

    python bench/incremental.py [--posts 10000] [--rounds 5] [--scratch bench/scratch/incremental]

Generates the blog (bench/generate.py) unless it is there, builds it cold once, then adds one
post at a time and times `Builder.build()` two ways: told which file changed (what the daemon's
file watcher provides) and scanning the posts directory (what `syndicate build` does). Prints
the medians and each build's phases.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from generate import generate

from syndicate.config import parse_settings
from syndicate.pipeline.opening import open_builder

CONFIG = """
[site]
title = "Bench"
url = "https://bench.example.org/"
[content]
root = "blog"
[feeds]
output = "public"
formats = ["rss"]
[feeds.authors]
enabled = false
[store]
url = "sqlite:///ledger.db"
cache = "cache.sqlite"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scratch", type=Path, default=Path("bench/scratch/incremental"))
    args = parser.parse_args()
    work: Path = args.scratch.resolve()
    if not (work / "blog" / "source" / "blog").is_dir():
        generate(work / "blog", args.posts)
    settings = parse_settings(CONFIG, file="bench.toml", base_dir=work)
    made: list[Path] = []
    try:
        with open_builder(settings) as builder:
            started = time.perf_counter()
            builder.build()
            print(f"first build: {time.perf_counter() - started:.2f} s")
            for mode in ("changed", "scan"):
                times = [time_one(builder, work, mode, n, made) for n in range(args.rounds)]
                print(f"{mode}: median {statistics.median(times) * 1000:.1f} ms over {len(times)}")
    finally:
        for path in made:
            path.unlink(missing_ok=True)


def time_one(builder: object, work: Path, mode: str, n: int, made: list[Path]) -> float:
    from syndicate.pipeline.builder import Builder

    assert isinstance(builder, Builder)
    rel = f"source/blog/2026-06-{n + 1:02d}-new-{mode}-{n}.html.md"
    path = work / "blog" / rel
    path.write_text(
        f'---\ntitle: "New post {mode} {n}"\nauthor: author01\n'
        f"date: 2026-06-{n + 1:02d} 10:00:00 UTC\ntags: nova 1, cinder 2\n---\n\nHello {n}.\n",
        "utf-8",
    )
    made.append(path)
    started = time.perf_counter()
    report = builder.build(changed=[rel] if mode == "changed" else None)
    seconds = time.perf_counter() - started
    phases = ", ".join(f"{k} {v * 1000:.1f}" for k, v in report.phases.items())
    print(f"  {mode}: {seconds * 1000:.1f} ms, {len(report.written)} files written ({phases})")
    return seconds


if __name__ == "__main__":
    main()
