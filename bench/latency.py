"""The daemon's latency and idle cost on a built blog: from a new post's file being written to
the post being in every feed file it belongs in; and CPU and memory while nothing happens. Side
by side with what a Hugo or Pelican user would run to the same end: `hugo --watch` and
`pelican --autoreload`.

    python bench/latency.py [--posts 10000] [--samples 50] [--modes events,poll,hugo,pelican]
                            [--pelican-samples 5] [--idle 60]

Generates the blog (bench/generate.py) unless it is there, converts it for Hugo and Pelican
(bench/sites.py, as run.py does), and for each mode starts the tool in a subprocess:

- `events`: the real `syndicate run`, default feeds (Atom, RSS and JSON Feed for the site, each
  tag and each author), file events;
- `poll`: the same with `--poll` (the default poll interval, 1 s);
- `hugo`: `hugo --watch` (build, then rebuild on changes), RSS for the site and each tag;
- `pelican`: `pelican --autoreload`, RSS for the site and each tag. Pelican rebuilds everything
  on a change (half a minute at 10,000 posts), hence its own, smaller sample count.

Each waits for its first build, is measured idle for IDLE seconds (CPU time from
/proc/<pid>/stat; RSS and PSS from /proc/<pid>/smaps_rollup), then SAMPLES new posts are written
one at a time, each timed until every feed file it belongs in holds it (syndicate: 3 site files,
2 per tag, 3 for the author; Hugo and Pelican: the site's RSS and one per tag). Prints medians,
p95, maxima and the ratio of each median to syndicate's with file events.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import measure
import sites
from generate import generate
from run import _script
from sites import hugo_binary

from syndicate.config import Settings, parse_settings
from syndicate.content.tags import slugify
from syndicate.feedkinds import FeedKind
from syndicate.feeds.plan import feed_spec

CONFIG = """
[site]
title = "Bench"
url = "https://bench.example.org/"
[content]
root = "blog"
[feeds]
output = "public"
[server]
port = {port}
[store]
url = "sqlite:///ledger.db"
cache = "cache.sqlite"
"""
TAGS = ("nova 1", "cinder 2", "swift 3", "keystone 4", "heat 5")
AUTHOR = "author01"
TICK = 0.002  # seconds between looks at the feed files
LABELS = {
    "events": "syndicate run (file events)",
    "poll": "syndicate run --poll (1 s)",
    "hugo": "hugo --watch",
    "pelican": "pelican --autoreload",
}


@dataclass(frozen=True, slots=True)
class Idle:
    cpu_percent: float
    rss_mb: float
    pss_mb: float


@dataclass(frozen=True, slots=True)
class Contender:
    """One way of keeping feeds current: how to start it, when its first build is done, where a
    new post goes and in what form, and which feed files must then hold it."""

    mode: str
    command: list[str]
    cwd: Path
    ready: Callable[[str], bool]  # given its log so far
    posts_dir: Path
    write: Callable[[sites.SourcePost], tuple[str, str]]  # file name, text
    targets: Callable[[list[str]], list[_Target]]
    samples: int
    limit: float = 30.0  # seconds after which a probe counts as missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--pelican-samples", type=int, default=5)
    parser.add_argument("--modes", default="events,poll,hugo,pelican")
    parser.add_argument("--idle", type=float, default=60.0, help="seconds measured idle")
    parser.add_argument("--scratch", type=Path, default=Path("bench/scratch/latency"))
    args = parser.parse_args()
    work: Path = args.scratch.resolve()
    modes = args.modes.split(",")
    if not (work / "blog" / "source" / "blog").is_dir():
        generate(work / "blog", args.posts)
    _remove_probes(work)
    port = _free_port()
    (work / "syndicate.toml").write_text(CONFIG.format(port=port), "utf-8")
    settings = parse_settings(CONFIG.format(port=port), file="bench.toml", base_dir=work)
    _convert(work, [m for m in modes if m in ("hugo", "pelican")])
    rows = []
    for mode in modes:
        samples = args.pelican_samples if mode == "pelican" else args.samples
        rows.append(run_mode(contender(work, settings, mode, samples), args.idle))
    print(_table(rows, args.posts, args.idle))
    _remove_probes(work)


def contender(work: Path, settings: Settings, mode: str, samples: int) -> Contender:
    if mode in ("events", "poll"):
        return Contender(
            mode,
            [_script("syndicate"), "--config", "syndicate.toml", "run", "--log-format", "json"]
            + (["--poll"] if mode == "poll" else []),
            work,
            lambda log: _builds(log) >= 1,
            work / "blog" / "source" / "blog",
            lambda post: (f"{post.stem}.html.md", _middleman_post(post)),
            lambda tags: _syndicate_targets(settings, tags),
            samples,
        )
    if mode == "hugo":
        out = work / "hugo-out"
        return Contender(
            mode,
            [str(hugo_binary()), "--watch", "--source", str(work / "hugo"),
             "--destination", str(out)],
            work,
            lambda log: "Watching for changes" in log,
            work / "hugo" / "content" / "posts",
            lambda post: (f"{post.stem}.md", sites.hugo_post(post)),
            lambda tags: [_Target(out / "index.xml")]
            + [_Target(out / "tags" / slugify(t) / "index.xml") for t in tags],
            samples,
            limit=10.0,  # ten times its usual rebuild: a feed not written by then never is
        )  # fmt: skip
    if mode == "pelican":
        site, out = work / "pelican", work / "pelican-out"
        return Contender(
            mode,
            [_script("pelican"), str(site / "content"), "-s", str(site / "pelicanconf.py"),
             "-o", str(out), "--autoreload"],
            work,
            lambda log: "Done: Processed" in log,
            site / "content",
            lambda post: (f"{post.stem}.md", sites.pelican_post(post)),
            lambda tags: [_Target(out / "feeds" / "rss.xml")]
            + [_Target(out / "feeds" / "tag" / f"{slugify(t)}.rss.xml") for t in tags],
            samples,
            limit=120.0,  # four full rebuilds: a change not seen by then is not seen at all
        )  # fmt: skip
    raise SystemExit(f"unknown mode {mode!r}: choose from {', '.join(LABELS)}")


def _convert(work: Path, tools: list[str]) -> None:
    """The generated blog as a Hugo and a Pelican site, once; their outputs start empty."""
    posts: list[sites.SourcePost] | None = None
    for name in tools:
        shutil.rmtree(work / f"{name}-out", ignore_errors=True)
        if (work / name).is_dir():
            continue
        if posts is None:
            posts, _ = sites.read_middleman(work / "blog")
        print(f"converting {len(posts)} posts for {name}", file=sys.stderr)
        (sites.write_hugo if name == "hugo" else sites.write_pelican)(posts, work / name)


def run_mode(tool: Contender, idle_for: float) -> dict[str, object]:
    log = tool.cwd / f"daemon-{tool.mode}.log"
    with log.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(tool.command, cwd=tool.cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(lambda: tool.ready(log.read_text("utf-8", "replace")), process, 900)
            first = time.perf_counter() - started
            print(f"{tool.mode}: first build done after {first:.1f} s", file=sys.stderr)
            time.sleep(2)  # let the first build's aftermath (hub worker, gc, watches) pass
            idle = measure_idle(process.pid, idle_for)
            print(f"{tool.mode}: idle {idle}", file=sys.stderr)
            times = []
            for n in range(tool.samples):
                # A change written while a tool is still busy with the last one can be lost
                # (Pelican watches only between rebuilds): each probe finds the tool idle.
                _until_quiet(log, process)
                # ... and at a random moment: after a quiet second, a writer polling every
                # second would otherwise be caught just after its poll, every time.
                time.sleep(random.Random(-n).random())
                times.append(probe(tool, n, process))
            after = measure_idle(process.pid, min(idle_for, 10.0))
        finally:
            ours = tool.mode in ("events", "poll")
            process.send_signal(signal.SIGTERM if ours else signal.SIGINT)
            try:
                code = process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
    if ours and code != 0:
        raise SystemExit(f"the daemon exited with {code}; see {log}")
    return {"mode": tool.mode, "first": first, "times": times, "idle": idle, "after": after}


def probe(tool: Contender, n: int, process: subprocess.Popen[bytes]) -> float | None:
    """Write one new post and time it into every feed file it belongs in; None if it has not
    reached them all within the contender's limit."""
    rng = random.Random(n)
    tags = rng.sample(TAGS, 2)
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    post = sites.SourcePost(
        stem=f"{when:%Y-%m-%d}-probe-{tool.mode}-{n}",
        title=f"Latency probe {tool.mode} {n}",
        author=AUTHOR,
        date=when,
        tags=tuple(tags),
        published=True,
        body=f"\nA probe for the latency benchmark, number {n}.\n",
    )
    targets = tool.targets(tags)
    name, text = tool.write(post)
    started = time.perf_counter()
    (tool.posts_dir / name).write_text(text, "utf-8")
    arrived = _until(lambda: all(t.holds(post.title) for t in targets), process, tool.limit)
    seconds = time.perf_counter() - started
    missing = [str(t.path) for t in targets if not t.holds(post.title)]
    report = f"{seconds * 1000:.0f} ms" if arrived else f"missed, not in {', '.join(missing)}"
    print(f"{tool.mode}: probe {n}: {report}", file=sys.stderr)
    return seconds if arrived else None


def _middleman_post(post: sites.SourcePost) -> str:
    return (
        f'---\ntitle: "{post.title}"\nauthor: {post.author}\n'
        f"date: {post.date:%Y-%m-%d %H:%M:%S} UTC\ntags: {', '.join(post.tags)}\n---\n"
        f"{post.body}"
    )


class _Target:
    """One feed file, read again only when its stamp changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._text = ""

    def holds(self, title: str) -> bool:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return False
        stamp = (info.st_ino, info.st_mtime_ns)
        if stamp != self._stamp:
            self._stamp, self._text = stamp, self.path.read_text("utf-8")
        return title in self._text


def _syndicate_targets(settings: Settings, tags: list[str]) -> list[_Target]:
    specs = [feed_spec(settings.feeds, settings.site, FeedKind.SITE, "", "")]
    specs += [feed_spec(settings.feeds, settings.site, FeedKind.TAG, slugify(t), t) for t in tags]
    specs.append(feed_spec(settings.feeds, settings.site, FeedKind.AUTHOR, AUTHOR, AUTHOR))
    return [_Target(settings.output_dir / o.path) for spec in specs for o in spec.outputs]


def measure_idle(pid: int, seconds: float) -> Idle:
    """CPU share over `seconds` of doing nothing, then memory."""
    before, started = measure.cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    used = measure.cpu_seconds(pid) - before
    elapsed = time.perf_counter() - started
    rollup = _smaps_rollup(pid)
    return Idle(100 * used / elapsed, rollup["Rss"] / 1024, rollup["Pss"] / 1024)


def _smaps_rollup(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        values[name.rstrip(":")] = int(value)
    return values


def _builds(log: str) -> int:
    count = 0
    for line in log.splitlines():
        try:
            count += json.loads(line).get("msg") == "built"
        except ValueError:
            continue
    return count


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], limit: float) -> None:
    if not _until(ready, process, limit, tick=0.1):
        raise SystemExit(f"timed out after {limit:.0f} s")


def _until_quiet(log: Path, process: subprocess.Popen[bytes], quiet: float = 1.0) -> None:
    """Until the log has not grown for `quiet` seconds."""
    size, since = -1, time.perf_counter()
    while time.perf_counter() - since < quiet:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited with {process.returncode}")
        now = log.stat().st_size
        if now != size:
            size, since = now, time.perf_counter()
        time.sleep(0.05)


def _until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], limit: float, tick: float = TICK
) -> bool:
    """Whether `ready` came true within `limit` seconds."""
    deadline = time.perf_counter() + limit
    while not ready():
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited with {process.returncode}")
        if time.perf_counter() > deadline:
            return False
        time.sleep(tick)
    return True


def _remove_probes(work: Path) -> None:
    for folder in ("blog/source/blog", "hugo/content/posts", "pelican/content"):
        for path in (work / folder).glob("*-probe-*.*"):
            path.unlink()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _table(rows: list[dict[str, object]], posts: int, idle: float) -> str:
    lines = [
        f"Latency, new post file written → in every feed file it belongs in ({posts:,} posts); "
        f"idle over {idle:.0f} s",
        "",
        "| tool | probes | missed | p50 | p95 | max | p50 x syndicate | first build | idle CPU "
        "| idle RSS | idle PSS | RSS after the probes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base = next((_median(r) for r in rows if r["mode"] == "events"), None)
    for row in rows:
        times, idle_row, after, first = row["times"], row["idle"], row["after"], row["first"]
        assert isinstance(times, list) and isinstance(first, float)
        assert isinstance(idle_row, Idle) and isinstance(after, Idle)
        arrived = [t for t in times if t is not None]
        if arrived:
            median = _median(row)
            ratio = f"{median / base:.1f}" if base else "-"
            spread = f"{_ms(median)} | {_ms(_percentile(arrived, 0.95))} | {_ms(max(arrived))}"
        else:
            ratio, spread = "-", "- | - | -"
        lines.append(
            f"| {LABELS[str(row['mode'])]} | {len(times)} | {len(times) - len(arrived)} "
            f"| {spread} | {ratio} | {first:.1f} s "
            f"| {idle_row.cpu_percent:.2f} % | {idle_row.rss_mb:.0f} MB "
            f"| {idle_row.pss_mb:.0f} MB | {after.rss_mb:.0f} MB |"
        )
    return "\n".join(lines)


def _median(row: dict[str, object]) -> float:
    """Of the probes that arrived."""
    times = row["times"]
    assert isinstance(times, list)
    return float(statistics.median(t for t in times if t is not None))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


if __name__ == "__main__":
    main()
