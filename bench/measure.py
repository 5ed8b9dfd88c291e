"""Run one command and measure it: wall time, peak RSS of its largest process, peak PSS of its tree.

Peak RSS comes from the kernel (wait4's ru_maxrss covers the child and every descendant it
waited for, so it is the largest single process). A process tree's memory is not the sum of
its RSS: syndicate's forked workers share most pages with their parent. So a thread also
samples /proc/<pid>/smaps_rollup for the child and its descendants every INTERVAL seconds and
keeps the largest sum of PSS, which divides each shared page among the processes sharing it.
Sampling is not free: reading smaps_rollup walks the process's memory map under its lock, which
holds up the process's page faults (10-30 ms on a quarter-second `syndicate build`), so a run
whose memory is not reported is measured unsampled (`sample=False`).

The commands are started by a small spawner process (`start_spawner`, before the benchmark
loads any corpus), not by the benchmark itself: Linux's ru_maxrss of a child counts the memory
of the process it was forked from (at exec, the old image's high-water mark is kept), so a
`/bin/true` started by a 300 MB benchmark reports 311 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

INTERVAL = 0.02  # seconds between PSS samples


@dataclass(frozen=True, slots=True)
class Measurement:
    wall: float  # seconds, from just before the fork to just after the child is reaped
    max_rss_kb: int  # largest single process in the tree (ru_maxrss)
    peak_pss_kb: int  # largest sampled sum of PSS over the tree; 0 when nothing was sampled
    samples: int
    returncode: int


def run(
    command: list[str], *, cwd: Path, stdout: Path, stderr: Path, sample: bool = True
) -> Measurement:
    """Run COMMAND in CWD with its output in files (a pipe could fill up and block it); PSS
    sampled unless `sample` is False (then peak_pss_kb is 0)."""
    spawner = start_spawner()
    assert spawner.stdin is not None and spawner.stdout is not None
    request = {"command": command, "cwd": str(cwd), "stdout": str(stdout), "stderr": str(stderr)}
    spawner.stdin.write(json.dumps(request) + "\n")
    spawner.stdin.flush()
    sampler = _PssSampler(int(_answer(spawner)))
    if sample:
        sampler.start()
    done = json.loads(_answer(spawner))
    sampler.stop()
    return Measurement(
        wall=done["wall"],
        max_rss_kb=done["max_rss_kb"],
        peak_pss_kb=sampler.peak_kb,
        samples=sampler.samples,
        returncode=done["returncode"],
    )


# The spawner: reads one JSON request a line, prints the child's pid, then its measurement.
_SPAWNER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    asked = json.loads(line)
    with open(asked["stdout"], "wb") as out, open(asked["stderr"], "wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            asked["command"], cwd=asked["cwd"], stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        print(child.pid, flush=True)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    done = {"wall": wall, "max_rss_kb": usage.ru_maxrss, "returncode": child.returncode}
    print(json.dumps(done), flush=True)
"""


def _answer(spawner: subprocess.Popen[str]) -> str:
    assert spawner.stdout is not None
    line = spawner.stdout.readline()
    if not line:  # it printed why on this process's stderr (a command not found, say)
        raise RuntimeError(f"the spawner process ended (exit status {spawner.wait()})")
    return line


@cache
def start_spawner() -> subprocess.Popen[str]:
    """The process that starts every measured command; start it while this one is small."""
    command = [sys.executable, "-c", _SPAWNER]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


class _PssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self._pid = pid
        self._done = threading.Event()
        self.peak_kb = 0
        self.samples = 0

    def run(self) -> None:
        while not self._done.is_set():
            total = sum(pss_kb(pid) for pid in tree(self._pid))
            if total:
                self.samples += 1
                self.peak_kb = max(self.peak_kb, total)
            self._done.wait(INTERVAL)

    def stop(self) -> None:
        self._done.set()
        if self.is_alive():
            self.join()


def tree(root: int) -> list[int]:
    """ROOT and its descendants, from /proc/<pid>/task/<tid>/children (each thread's children)."""
    found = [root]
    for pid in found:  # grows while it is walked: a breadth-first search
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            except OSError:
                continue
            found.extend(int(child) for child in text.split())
    return found


def pss_kb(pid: int) -> int:
    """The process's PSS in KB; 0 once it has exited (a zombie has no memory to report)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def settle(pause: float) -> None:
    """Let the previous run's writes and deletes reach the disk before the next run starts."""
    os.sync()
    time.sleep(pause)
