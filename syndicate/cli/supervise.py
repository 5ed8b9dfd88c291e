"""`syndicate run` (and `serve`) with several blogs: one process per blog, watched over by this
one.

Why processes and not a daemon per blog in threads: each blog's daemon already runs its
builds, polls, sends and web server in threads of its own, and one Python process runs them on
one core at a time; a process per blog uses the machine's cores, keeps one blog's crash or
memory out of the others, and keeps each daemon exactly what it is with one blog (its
metrics, its signals, its lease). Each child is this same command for one blog
(`--config FILE --blog NAME`), so its log lines carry the blog's name.

SIGTERM or SIGINT here is passed on to every child, which stops as a single daemon does (the
build under way finishes, the lease is given up); the children share this process's group,
so a Ctrl-C or a signal to the group reaches them at once, and on Linux a child is sent
SIGTERM when this process dies without passing it on (SIGKILL). A child that ends on its own
ends them all, with its exit status: the service manager restarts the whole set, and on a
cluster the other replicas meanwhile own the blogs.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import click

_PR_SET_PDEATHSIG = 1
_GRACE = 60.0  # seconds a child has to stop before it is killed (systemd's TimeoutStopSec)


def supervise(blogs: Sequence[tuple[str, Path]], command: Sequence[str], quiet: bool) -> int:
    """Run `syndicate --config FILE --blog NAME COMMAND...` for every (NAME, FILE) until one
    ends or a signal comes; the exit status to leave with."""
    stop = threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    children = {name: _start(name, path, command, quiet) for name, path in blogs}
    status = 0
    while not stop.wait(0.2):
        ended = [(name, child) for name, child in children.items() if child.poll() is not None]
        if ended:
            name, child = ended[0]
            status = child.returncode or 1  # a daemon never ends well by itself
            click.echo(
                f"syndicate: the daemon of {name} ended (exit status {child.returncode}); "
                "stopping the others",
                err=True,
            )
            break
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children.values():
        try:
            code = child.wait(_GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            code = child.wait()
        status = status or (code if code > 0 else 0)
    return status


def _start(name: str, path: Path, command: Sequence[str], quiet: bool) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "syndicate", "--config", str(path), "--blog", name]
    if quiet:
        argv.append("--quiet")
    hook = _stop_with_parent if sys.platform == "linux" else None
    # No thread runs yet when the children start, so preexec_fn is safe here.
    return subprocess.Popen([*argv, *command], preexec_fn=hook)  # noqa: S603, PLW1509


def _stop_with_parent() -> None:
    """In the child before it runs: SIGTERM when the parent dies (Linux's PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
