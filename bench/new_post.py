"""One new post in a built blog, as a new `syndicate build` process, for checkouts side by side.

    python bench/new_post.py TREE [TREE ...] [--posts 10000] [--rounds 7] [--scratch DIR]

Each TREE (a checkout of syndicate, run with `PYTHONPATH=TREE` and this interpreter) gets its
own copy of the generated blog and its own ledger (checkouts may differ in schema), built once
cold. Then each round adds the same new post to every copy and times `syndicate build --json`
in a new process for each tree in turn, and prints the median wall time, the median of the
build's own `seconds` and its phases.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import generate
import run

HERE = Path(__file__).resolve().parent
POST = """---
title: New post {n}
author: author03
date: {date}
tags: neutron, nova
---
Hello world number {n}. Some **bold** text.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scratch", type=Path, default=HERE / "scratch" / "new-post")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    homes = []
    for i, tree in enumerate(args.trees):
        home = args.scratch / f"tree-{i}"
        if home.exists():
            shutil.rmtree(home)
        generate.generate(home / "blog", args.posts)
        config = run.syndicate_config(home / "blog", same_as_hugo=False)
        (home / "syndicate.toml").write_text(config, "utf-8")
        homes.append(home)
        _build(tree, home, env)  # cold, once
    results: dict[str, list[tuple[float, dict[str, Any]]]] = {t: [] for t in args.trees}
    for n in range(args.rounds):
        for tree, home in zip(args.trees, homes, strict=True):
            # Dated now, each round's a second later: it is public, the newest, in every feed
            # it names (a post dated ahead, or tied with others, would change no feed).
            now = datetime.now(UTC) + timedelta(seconds=n - args.rounds)
            name = f"{now:%Y-%m-%d}-new-post-{n}.html.md"
            text = POST.format(n=n, date=f"{now:%Y-%m-%d %H:%M:%S} UTC")
            (home / "blog" / "source" / "blog" / name).write_text(text, "utf-8")
            started = time.perf_counter()
            report = _build(tree, home, env)
            wall = time.perf_counter() - started
            results[tree].append((wall, report))
            print(
                f"{tree}: {wall:.3f} s, {report['seconds']} s {report['phases']}", file=sys.stderr
            )
    for tree, runs in results.items():
        phases: dict[str, list[float]] = {}
        for _, report in runs:
            for phase, seconds in report["phases"].items():
                phases.setdefault(phase, []).append(seconds)
        print(
            f"{tree}: wall {statistics.median(w for w, _ in runs):.3f} s, build "
            f"{statistics.median(float(r['seconds']) for _, r in runs):.3f} s (in-process), "
            + ", ".join(f"{p} {statistics.median(v):.3f}" for p, v in phases.items())
        )


def _build(tree: str, home: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", "syndicate.toml", "build", "--json"],
        cwd=home,
        env={**env, "PYTHONPATH": tree},
        capture_output=True,
        check=True,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


if __name__ == "__main__":
    main()
