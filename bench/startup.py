"""Start-up: how long a command that builds nothing takes, as a new process, beside Hugo's.

    python bench/startup.py [--runs 21] [--status CONFIG]

Runs each command `--runs` times, alternating, and prints the medians: `syndicate --help`,
`syndicate --version`, the interpreter alone, a process that imports what a build does and
exits, `syndicate -c CONFIG status` with `--status` (a built blog's config,
e.g. bench/scratch/10k/syndicate/syndicate.toml after run.py), and `hugo version` when Hugo is
installed (the bench extra).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sites

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--status", type=Path, help="a built blog's config, to time `status`")
    args = parser.parse_args()
    print("\n".join(table(measure(commands(args.status), args.runs))))


# What every `syndicate build` pays before it reads a post: the modules it imports, then an exit
# as fast as the command's own (cli/__init__.py's `entry`). Beside Hugo's whole build of a
# small blog, it says how much of syndicate's time no change to the build itself can remove.
BUILD_IMPORTS = (
    "from syndicate.cli import main; from syndicate.config import load_settings; "
    "from syndicate.pipeline.opening import open_builder; "
    "from syndicate.feeds.discovery import link_tags; import os; os._exit(0)"
)


def commands(status: Path | None = None) -> dict[str, list[str]]:
    found = {
        "syndicate --help": [str(BIN / "syndicate"), "--help"],
        "syndicate --version": [str(BIN / "syndicate"), "--version"],
        "python -c pass (the interpreter alone)": [sys.executable, "-c", "pass"],
        "a build's imports, nothing built": [sys.executable, "-c", BUILD_IMPORTS],
    }
    if status is not None:
        found["syndicate status"] = [str(BIN / "syndicate"), "-c", str(status), "status"]
    hugo = sites.hugo_binary()
    if hugo.is_file():
        found["hugo version"] = [str(hugo), "version"]
    return found


def measure(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Seconds per run of each command, run in turn so that the machine's noise is shared."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True)
            times[name].append(time.perf_counter() - started)
    return times


def table(times: dict[str, list[float]]) -> list[str]:
    lines = ["| command | median ms | min ms |", "|---|---:|---:|"]
    for name, measured in times.items():
        median, least = statistics.median(measured) * 1000, min(measured) * 1000
        lines.append(f"| {name} | {median:.0f} | {least:.0f} |")
    return lines


if __name__ == "__main__":
    main()
