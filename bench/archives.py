"""What RFC 5005 archives cost: files and bytes they add, and the time a one-post incremental
build spends on them, with archives off, by year and by month, side by side.

    python bench/archives.py [--posts 10000] [--rounds 7] [--corpora ../shared/corpora]

For each setting: a cold build of the generated blog (bench/generate.py), then `--rounds`
builds that each add one post (told which file changed, as the daemon is), timed; the median
and the files written are printed. Then the same three settings on the real corpora (when
present): feed files and bytes written by a cold build.
"""

from __future__ import annotations

import argparse
import shutil
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
root = "{root}"
[feeds]
output = "public"
archives = "{archives}"
[store]
url = "sqlite:///ledger.db"
cache = "cache.sqlite"
"""
SETTINGS = {"off": "", "year": "year", "month": "month"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scratch", type=Path, default=Path("bench/scratch/archives"))
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    args = parser.parse_args()
    scratch: Path = args.scratch.resolve()
    blog = scratch / "blog"
    if not (blog / "source" / "blog").is_dir():
        generate(blog, args.posts)
    print(f"{args.posts} generated posts, one new post per build, median of {args.rounds}:")
    print("| archives | files | MB | cold build s | new post ms | files written per post |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, archives in SETTINGS.items():
        print(_generated_row(scratch, blog, label, archives, args.rounds))
    for corpus in ("rdo", "osas"):
        if (args.corpora / corpus).is_dir():
            print(
                f"\n{corpus}: "
                + "; ".join(
                    _corpus_cell(scratch, args.corpora / corpus, a) for a in SETTINGS.values()
                )
            )


def _generated_row(scratch: Path, blog: Path, label: str, archives: str, rounds: int) -> str:
    state = scratch / f"state-{label}"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    settings = parse_settings(
        CONFIG.format(root=blog, archives=archives), file="bench.toml", base_dir=state
    )
    made: list[Path] = []
    try:
        with open_builder(settings) as builder:
            started = time.perf_counter()
            builder.build()
            cold = time.perf_counter() - started
            files, size = _size(state / "public")
            times, written = [], []
            for n in range(rounds):
                rel = f"source/blog/2026-06-{n + 1:02d}-archive-bench-{label}-{n}.html.md"
                path = blog / rel
                path.write_text(
                    f'---\ntitle: "New {n}"\nauthor: author01\n'
                    f"date: 2026-06-{n + 1:02d} 10:00:00 UTC\ntags: nova 1\n---\n\nHello.\n",
                    "utf-8",
                )
                made.append(path)
                started = time.perf_counter()
                report = builder.build(changed=[rel])
                times.append(time.perf_counter() - started)
                written.append(len(report.written))
    finally:
        for path in made:
            path.unlink(missing_ok=True)
    median_ms = statistics.median(times) * 1000
    return (
        f"| {label} | {files} | {size / 1e6:.1f} | {cold:.1f} | {median_ms:.0f} "
        f"| {statistics.median(written):.0f} |"
    )


def _corpus_cell(scratch: Path, corpus: Path, archives: str) -> str:
    state = scratch / f"corpus-{corpus.name}-{archives or 'off'}"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    settings = parse_settings(
        CONFIG.format(root=corpus, archives=archives), file="bench.toml", base_dir=state
    )
    with open_builder(settings) as builder:
        builder.build()
    files, size = _size(state / "public")
    return f"{archives or 'off'} {files} files, {size / 1e6:.1f} MB"


def _size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


if __name__ == "__main__":
    main()
