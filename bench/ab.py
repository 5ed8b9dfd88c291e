"""Two versions of syndicate side by side: cold builds of one config, alternating.

    python bench/ab.py CONFIG TREE [TREE ...] [--runs 9] [--warm]

Each TREE is a checkout of syndicate (`git worktree add /tmp/main main`); it runs with
`PYTHONPATH=TREE`, so the same interpreter and dependencies serve every tree, in CONFIG's
folder (`-m` would take a checkout in the current directory first). `TREE@OTHER.toml`
uses another config file beside CONFIG (another setting, the same blog). Before each cold run
the output, ledger and render cache beside CONFIG are moved aside (not deleted: see Trash in
run.py), then the disk is synced. `--warm` keeps them: a build with nothing to do.

Prints, per tree, the median wall time, the median CPU time (user + system, workers
included) and the median of the build's own `seconds`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

STATE = ("public", "syndicate.db", "syndicate.db-wal", "syndicate.db-shm", "syndicate-cache.sqlite")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--warm", action="store_true")
    args = parser.parse_args()
    home = args.config.resolve().parent
    trash = Path(tempfile.mkdtemp(prefix="syndicate-ab-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    walls: dict[str, list[float]] = {t: [] for t in args.trees}
    cpus: dict[str, list[float]] = {t: [] for t in args.trees}
    builds: dict[str, list[float]] = {t: [] for t in args.trees}
    for _ in range(args.runs):
        for tree in args.trees:
            path, _, other = tree.partition("@")
            config = home / other if other else args.config.resolve()
            if not args.warm:
                aside = trash / uuid.uuid4().hex
                aside.mkdir()
                for name in STATE:
                    if (home / name).exists():
                        shutil.move(str(home / name), str(aside / name))
            os.sync()
            time.sleep(0.3)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "syndicate", "--config", str(config), "build", "--json"],
                env={**env, "PYTHONPATH": path}, cwd=home, capture_output=True, text=True,
                check=False,
            )  # fmt: skip
            walls[tree].append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[tree].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            try:
                builds[tree].append(float(json.loads(done.stdout)["seconds"]))
            except (ValueError, KeyError):
                print(f"{tree}: {done.stderr.strip()[-300:]}", file=sys.stderr)
    shutil.rmtree(trash, ignore_errors=True)
    print("| tree | wall ms (median) | min | CPU ms (median) | build ms (median) |")
    print("|---|---:|---:|---:|---:|")
    for tree in args.trees:
        wall, cpu, build = walls[tree], cpus[tree], builds[tree]
        print(
            f"| {tree} | {statistics.median(wall) * 1000:.0f} | {min(wall) * 1000:.0f} | "
            f"{statistics.median(cpu) * 1000:.0f} | "
            f"{statistics.median(build) * 1000 if build else float('nan'):.0f} |"
        )


if __name__ == "__main__":
    main()
