"""Start-up: how long a command that builds nothing takes, as a new process, beside Hugo's.

    python bench/startup.py [--runs 21]

Runs each command `--runs` times, alternating, and prints the medians: `syndicate --help`,
`syndicate --version`, and `hugo version` when Hugo is installed (the bench extra).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    commands = {
        "syndicate --help": [str(BIN / "syndicate"), "--help"],
        "syndicate --version": [str(BIN / "syndicate"), "--version"],
    }
    hugo = shutil.which("hugo", path=str(BIN)) or shutil.which("hugo")
    if hugo:
        commands["hugo version"] = [hugo, "version"]
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():  # alternating: the machine's noise is shared
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True)
            times[name].append(time.perf_counter() - started)
    print("| command | median ms | min ms |")
    print("|---|---:|---:|")
    for name, measured in times.items():
        print(f"| {name} | {statistics.median(measured) * 1000:.0f} | {min(measured) * 1000:.0f} |")


if __name__ == "__main__":
    main()
