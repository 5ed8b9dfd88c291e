"""Time `syndicate build` against Hugo and Pelican on the same posts, in one run.

    python bench/run.py [--sizes rdo,1k,10k,50k] [--repeat 3] [--repeat-50k 1] [--tools ...]

For each size the same Middleman posts (the RDO corpus, or bench/generate.py's blog) are
converted into a Hugo and a Pelican site (see sites.py); then every tool builds its feeds
REPEAT times, round-robin, each run cold and into a fresh output directory. Afterwards, on the
10k blog, one new post is added per repeat and syndicate's incremental build is timed, with
Hugo's full rebuild of the same change for context.

Prints a Markdown report on stdout (progress goes to stderr) and keeps the raw numbers in
bench/results/. bench/README.md says what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import measure
import sites
import startup
from generate import generate

BENCH = Path(__file__).resolve().parent
RDO = BENCH.parent.parent / "shared" / "corpora" / "rdo"
GENERATED = {"1k": 1_000, "10k": 10_000, "50k": 50_000}
ALL_SIZES = ("rdo", *GENERATED)
SYN_RSS = "syndicate (same feeds as Hugo)"
SYN_DEFAULT = "syndicate (default)"
HUGO = "hugo"
HUGO_HL = "hugo (highlighting on)"
PELICAN = "pelican"
SETTLE_AFTER_PREPARE = 10.0  # seconds idle before a size's first round: it follows big writes
TOOL_KEYS = {
    "syndicate-rss": SYN_RSS,
    "syndicate": SYN_DEFAULT,
    "hugo": HUGO,
    "hugo-highlight": HUGO_HL,
    "pelican": PELICAN,
}

CONFIGURED = {
    SYN_RSS: "RSS only; site and tag feeds (author feeds off); 20 entries, full content; "
    "[build] workers = 0 (one per core); cold: output, ledger and cache removed before each run",
    SYN_DEFAULT: "Atom + RSS + JSON Feed for the site, each tag and each author; 20 entries, "
    "full content; [build] workers = 0; cold like the above",
    HUGO: "the binary itself (not the Python wrapper); outputs: home = [rss], term = [rss], "
    "page = [] (no HTML), section/taxonomy/sitemap/robotsTXT/404 disabled; taxonomy tags "
    "only; services.rss.limit = 20; built-in RSS template (summaries); goldmark unsafe = true "
    "(raw HTML passed, as syndicate does); markup.highlight.codeFences = false (syndicate "
    "highlights no code either: the same work). The x Hugo column compares with this row",
    HUGO_HL: "the same, with Hugo's default code highlighting (codeFences = true), as this "
    "benchmark configured Hugo before: more work than syndicate does",
    PELICAN: "FEED_RSS + TAG_FEED_RSS only (every other feed None); FEED_MAX_ITEMS = 20; no HTML: "
    "DIRECT_TEMPLATES = [] and every *_SAVE_AS = ''; no static files; content cache off; "
    "WITH_FUTURE_DATES = False; default Markdown extensions; summaries in RSS (its default)",
}


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    command: list[str]
    cwd: Path
    output: Path  # removed before every run; its files are counted after
    state: tuple[Path, ...] = ()  # also removed before a cold run
    ok_codes: frozenset[int] = frozenset({0})
    reports_json: bool = False  # prints syndicate's `build --json` summary on stdout


@dataclass(slots=True)
class Corpus:
    label: str
    blog: Path  # the Middleman blog
    posts: list[sites.SourcePost]
    skipped: list[str]
    tools: list[Tool]
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def main() -> None:
    args = _arguments()
    # pip compiles an installed package's bytecode, and an editable one writes it on first
    # import, unless this forbids it: then every run would compile syndicate's modules again
    # (about 80 ms here), which no user pays.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    measure.start_spawner()  # now, while this process is small (see measure.py)
    work: Path = args.scratch.resolve()
    TRASH.folder = work / "trash"
    facts = machine_facts()
    report: dict[str, Any] = {"machine": facts, "configured": CONFIGURED, "args": _jsonable(args)}
    corpora: list[Corpus] = []
    notes: list[str] = []
    _log("[start-up] commands that build nothing")
    startup_times = startup.measure(startup.commands(), args.repeat * 7)
    report["startup"] = startup_times
    for label in args.sizes:
        corpus = prepare(label, work, args.tools)
        if corpus is None:
            notes.append(f"{label}: skipped, {RDO} is absent")
            continue
        corpora.append(corpus)
        run_round_robin(corpus, _repeat_of(args, label), args.pause, work / "logs")
        report["sizes"] = {c.label: _corpus_json(c) for c in corpora}
        _save(report, args.results)
    incremental = None
    chosen = next((c for c in corpora if c.label == args.incremental_size), None)
    if chosen is not None and args.repeat > 0:
        incremental = run_incremental(chosen, args.repeat, args.pause, work / "logs")
        report["incremental"] = incremental
    else:
        notes.append(f"incremental: skipped, --sizes does not include {args.incremental_size}")
    TRASH.empty()
    facts["load average after (1, 5, 15 min)"] = _load()
    path = _save(report, args.results)
    large = f" (50k: {_repeat_of(args, '50k')})" if "50k" in args.sizes else ""
    print(render_report(facts, startup_times, corpora, incremental, notes, f"{args.repeat}{large}"))
    print(f"\nRaw results: {path}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=_sizes, default=list(ALL_SIZES), help="comma-separated: rdo,1k,10k,50k"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool and size")
    parser.add_argument(
        "--repeat-50k",
        type=int,
        default=None,
        help="runs per tool at 50k (default: --repeat); Pelican takes over 5 minutes a run there",
    )
    parser.add_argument(
        "--tools",
        type=_tools,
        default=list(TOOL_KEYS.values()),
        help=f"comma-separated, of {','.join(TOOL_KEYS)} (default all)",
    )
    parser.add_argument(
        "--incremental-size",
        choices=ALL_SIZES,
        default="10k",
        help="the blog the incremental case adds posts to (default 10k)",
    )
    parser.add_argument("--pause", type=float, default=1.0, help="seconds to idle between runs")
    parser.add_argument("--scratch", type=Path, default=BENCH / "scratch", help="scratch directory")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    return parser.parse_args()


def _repeat_of(args: argparse.Namespace, label: str) -> int:
    """Runs per tool for one size: 50k may take fewer, so that every size fits in one run."""
    if label == "50k" and args.repeat_50k is not None:
        return int(args.repeat_50k)
    return int(args.repeat)


def _sizes(text: str) -> list[str]:
    sizes = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in ALL_SIZES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown size {unknown[0]!r}; use {','.join(ALL_SIZES)}")
    return sizes


def _tools(text: str) -> list[str]:
    keys = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [k for k in keys if k not in TOOL_KEYS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown tool {unknown[0]!r}; use {','.join(TOOL_KEYS)}")
    return [TOOL_KEYS[k] for k in keys]


# Machine facts ---------------------------------------------------------------------------------


def machine_facts() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "memory_gb": round(_meminfo_kb("MemTotal") / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "syndicate": f"{_version('syndicate')} at {_git_state()}",
        "markdown-it-pyrs": _version("markdown-it-pyrs"),
        "hugo": _hugo_version(),
        "pelican": _version("pelican"),
        "markdown (Pelican's)": _version("markdown"),
        # Other work on this small machine skews timings; the load shows whether there was any.
        "load average before (1, 5, 15 min)": _load(),
    }


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _git_state() -> str:
    """The commit measured, and whether syndicate/ differs from it (it is installed editable)."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=BENCH.parent, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown commit"
    dirty = git("status", "--porcelain", "--", "syndicate")
    return f"{head}{' + uncommitted changes in syndicate/' if dirty else ''}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _hugo_version() -> str:
    try:
        done = subprocess.run(
            [str(sites.hugo_binary()), "version"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "not installed"
    words = done.stdout.split()  # "hugo v0.168.0-<commit>+extended linux/amd64 ..."
    return words[1].split("-")[0] if len(words) > 1 else "unknown"


def _meminfo_kb(key: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _script(name: str) -> str:
    """A console script of this venv (next to the interpreter), else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


# Preparing a size ------------------------------------------------------------------------------


def prepare(label: str, work: Path, tools: list[str]) -> Corpus | None:
    """The blog for LABEL, its Hugo and Pelican copies, and the tools' commands."""
    TRASH.empty()  # now, while nothing is timed: see Trash
    base = work / label
    blog = base / "blog"
    _remove(blog)
    if label == "rdo":
        if not RDO.is_dir():
            return None
        # A copy: the incremental case adds posts to its blog, and the corpus is shared.
        shutil.copytree(RDO, blog)
    else:
        _log(f"[{label}] generating {GENERATED[label]} posts")
        generate(blog, GENERATED[label])
    posts, skipped = sites.read_middleman(blog)
    _log(f"[{label}] converting {len(posts)} posts for Hugo and Pelican")
    for name, write in (("hugo", sites.write_hugo), ("pelican", sites.write_pelican)):
        _remove(base / name)
        write(posts, base / name)
    every = [
        _syndicate_tool(SYN_RSS, blog, base / "syndicate-rss", same_as_hugo=True),
        _syndicate_tool(SYN_DEFAULT, blog, base / "syndicate", same_as_hugo=False),
        Tool(HUGO, _hugo_command(base, "hugo.toml"), base / "hugo", base / "hugo-out"),
        Tool(
            HUGO_HL,
            _hugo_command(base, "hugo-highlight.toml"),
            base / "hugo",
            base / "hugo-highlight-out",
        ),
        Tool(PELICAN, _pelican_command(base), base / "pelican", base / "pelican-out"),
    ]
    _log(f"[{label}] letting the disk settle for {SETTLE_AFTER_PREPARE:.0f} s")
    measure.settle(SETTLE_AFTER_PREPARE)
    return Corpus(label, blog, posts, skipped, [t for t in every if t.name in tools])


def _hugo_command(base: Path, config: str) -> list[str]:
    out = "hugo-out" if config == "hugo.toml" else "hugo-highlight-out"
    return [
        str(sites.hugo_binary()),
        "--source",
        str(base / "hugo"),
        "--config",
        str(base / "hugo" / config),
        "--destination",
        str(base / out),
    ]


def _pelican_command(base: Path) -> list[str]:
    site = base / "pelican"
    out = base / "pelican-out"
    return [
        _script("pelican"),
        str(site / "content"),
        "-s",
        str(site / "pelicanconf.py"),
        "-o",
        str(out),
        "-q",
    ]


def _syndicate_tool(name: str, blog: Path, home: Path, *, same_as_hugo: bool) -> Tool:
    _remove(home)
    home.mkdir(parents=True)
    config = home / "syndicate.toml"
    config.write_text(syndicate_config(blog, same_as_hugo=same_as_hugo), "utf-8")
    state = tuple(
        home / f"{stem}{suffix}"
        for stem in ("syndicate.db", "syndicate-cache.sqlite")
        for suffix in ("", "-wal", "-shm", "-journal")
    )
    return Tool(
        name,
        [_script("syndicate"), "--config", str(config), "build", "--json"],
        home,
        home / "public",
        state,
        ok_codes=frozenset({0, 1}),  # 1: some posts could not be read (the RDO corpus has two)
        reports_json=True,
    )


def syndicate_config(blog: Path, *, same_as_hugo: bool) -> str:
    # Each [feeds.KIND] table is written out whole, so the feeds made do not depend on the
    # defaults of the version measured (before 7776dfe a partial table lost its default paths).
    formats = '["rss"]' if same_as_hugo else '["atom", "rss", "json"]'
    authors = "false" if same_as_hugo else "true"
    return f"""\
[site]
title = "{sites.SITE_TITLE}"
url = "{sites.SITE_URL}"

[content]
root = {json.dumps(str(blog))}
layout = "middleman"

[feeds]
output = "public"
formats = {formats}
limit = {sites.FEED_LIMIT}

[feeds.site]
enabled = true
title = "{{site}}"
atom = "feed.xml"
rss = "feed.rss"
json = "feed.json"

[feeds.tags]
enabled = true
title = "{{site}}: {{tag}}"
atom = "tag/{{slug}}.xml"
rss = "tag/{{slug}}.rss"
json = "tag/{{slug}}.json"

[feeds.authors]
enabled = {authors}
title = "{{site}}: posts by {{author}}"
atom = "author/{{slug}}.xml"
rss = "author/{{slug}}.rss"
json = "author/{{slug}}.json"

[build]
workers = 0

[store]
url = "sqlite:///syndicate.db"
cache = "syndicate-cache.sqlite"
"""


# Running ---------------------------------------------------------------------------------------


def run_round_robin(corpus: Corpus, repeat: int, pause: float, logs: Path) -> None:
    """Each tool once per round, so a slow spell of the machine hits every tool alike."""
    for round_ in range(repeat):
        for tool in corpus.tools:
            result = run_cold(tool, pause, logs / corpus.label)
            corpus.runs.setdefault(tool.name, []).append(result)
            _log(
                f"[{corpus.label}] {tool.name} {round_ + 1}/{repeat}: {result['wall']:.2f} s, "
                f"{result['max_rss_kb'] // 1024} MB max RSS, {result['files']} files"
            )


def run_cold(tool: Tool, pause: float, logs: Path, *, sample: bool = True) -> dict[str, Any]:
    for path in (tool.output, *tool.state):
        TRASH.take(path)
    measure.settle(pause)
    return run_measured(tool, logs, sample=sample)


def run_measured(tool: Tool, logs: Path, *, sample: bool = True) -> dict[str, Any]:
    logs.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]  # kept with the run: a high one explains an outlier
    stem = {name: key for key, name in TOOL_KEYS.items()}[tool.name]
    stdout, stderr = logs / f"{stem}.stdout", logs / f"{stem}.stderr"
    result = measure.run(tool.command, cwd=tool.cwd, stdout=stdout, stderr=stderr, sample=sample)
    if result.returncode not in tool.ok_codes:
        # Recorded and reported, not fatal: one crash should not cost the other tools' numbers.
        tail = stderr.read_text("utf-8", "replace").strip().splitlines()[-1:]
        _log(f"{tool.name} FAILED with exit status {result.returncode}: {tail}; see {stderr}")
        return {"failed": result.returncode, "error": tail}
    row: dict[str, Any] = {
        "wall": result.wall,
        "max_rss_kb": result.max_rss_kb,
        "peak_pss_kb": result.peak_pss_kb,
        "pss_samples": result.samples,
        "files": _count_files(tool.output),
        "load_before": load,
    }
    if tool.reports_json:
        summary = json.loads(stdout.read_text("utf-8"))
        row |= {
            "seconds": summary["seconds"],
            "phases": summary["phases"],
            "public": summary["posts"]["public"],
            "read": summary["posts"]["read"],
            "rendered": summary["posts"]["rendered"],
            "written": len(summary["feeds"]["written"]),
            "errors": len(summary["errors"]),
        }
    return row


# The incremental case --------------------------------------------------------------------------


def run_incremental(corpus: Corpus, repeat: int, pause: float, logs: Path) -> dict[str, Any]:
    """One new post per round, then each syndicate config's ordinary build and Hugo's rebuild,
    unsampled: the table shows no PSS, and sampling would slow these short runs (measure.py)."""
    logs = logs / f"{corpus.label}-incremental"
    syndicates = [t for t in corpus.tools if t.reports_json]
    for tool in syndicates:  # already built, whatever ran before
        run_cold(tool, pause, logs)
    hugo = next((t for t in corpus.tools if t.name == HUGO), None)
    runs: dict[str, list[dict[str, Any]]] = {}
    for round_ in range(repeat):
        _add_post(corpus, round_)
        for tool in syndicates:
            measure.settle(pause)
            runs.setdefault(tool.name, []).append(run_measured(tool, logs, sample=False))
        if hugo is not None:
            runs.setdefault(HUGO, []).append(run_cold(hugo, pause, logs, sample=False))
        _log(f"[incremental] round {round_ + 1}/{repeat} done")
    return {"size": corpus.label, "posts": len(corpus.posts), "runs": runs}


def _add_post(corpus: Corpus, round_: int) -> None:
    """A new post, dated now and tagged like the newest one, in the blog and the Hugo site."""
    newest = max(corpus.posts, key=lambda p: p.date)
    now = datetime.now(UTC)
    stem = f"{now:%Y-%m-%d}-incremental-benchmark-post-{round_ + 1}"
    author = f"author: {newest.author}\n" if newest.author else ""
    text = (
        f"---\ntitle: Incremental benchmark post {round_ + 1}\n{author}"
        f"date: {now:%Y-%m-%d %H:%M:%S} UTC\ntags: {', '.join(newest.tags)}\n---\n\n"
        f"{newest.body}"
    )
    (corpus.blog / "source" / "blog" / f"{stem}.html.md").write_text(text, "utf-8")
    post = sites.read_post(text, stem)
    assert not isinstance(post, str), post
    hugo_site = next((t.cwd for t in corpus.tools if t.name == HUGO), None)
    if hugo_site is not None:
        (hugo_site / "content" / "posts" / f"{stem}.md").write_text(sites.hugo_post(post), "utf-8")


# Reporting -------------------------------------------------------------------------------------


def render_report(
    facts: dict[str, Any],
    startup_times: dict[str, list[float]],
    corpora: list[Corpus],
    incremental: dict[str, Any] | None,
    notes: list[str],
    repeat: int | str,
) -> str:
    lines = ["# syndicate build vs Hugo and Pelican", ""]
    lines += [f"- {key}: {value}" for key, value in facts.items()]
    lines += ["", "Configured:"]
    lines += [f"- {name}: {text}" for name, text in CONFIGURED.items()]
    lines += ["", "Start-up: a new process that builds nothing, alternating; medians:", ""]
    lines += startup.table(startup_times)
    lines += ["", f"Medians of {repeat} cold runs per tool, run round-robin.", ""]
    lines += _cold_table(corpora)
    if incremental is not None:
        lines += ["", *_incremental_table(incremental)]
    for corpus in corpora:
        if corpus.skipped:
            lines.append(f"\n{corpus.label}: left out of the Hugo and Pelican sites: ")
            lines += [f"- {note}" for note in corpus.skipped]
    lines += [f"\nNote: {note}" for note in notes]
    return "\n".join(lines)


def _cold_table(corpora: list[Corpus]) -> list[str]:
    lines = [
        "| size | posts | tool | feed files | wall s | wall s min..max | x Hugo | x Pelican "
        "| max RSS MB | tree PSS MB | build s (in-process) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for corpus in corpora:
        hugo = _median(corpus.runs.get(HUGO, []), "wall")
        pelican = _median(corpus.runs.get(PELICAN, []), "wall")
        for tool in corpus.tools:
            runs = corpus.runs.get(tool.name, [])
            wall = _median(runs, "wall")
            ratio = f"{wall / hugo:.2f}" if hugo else "-"
            to_pelican = f"{wall / pelican:.2f}" if pelican else "-"
            seconds = f"{_median(runs, 'seconds'):.2f}" if tool.reports_json else "-"
            lines.append(
                f"| {corpus.label} | {len(corpus.posts)} | {_named(tool.name, runs)} | "
                f"{int(_median(runs, 'files'))} | {wall:.2f} | {_spread(runs)} | {ratio} | "
                f"{to_pelican} | {_median(runs, 'max_rss_kb') / 1024:.0f} | "
                f"{_median(runs, 'peak_pss_kb') / 1024:.0f} | {seconds} |"
            )
    return lines


def _incremental_table(incremental: dict[str, Any]) -> list[str]:
    lines = [
        f"Incremental: one new post added to the built {incremental['size']} blog, then "
        "`syndicate build --json` as a new process, as a `make` or CI step runs it (wall s: "
        "start-up included). Hugo: a full rebuild, its only mode. Medians:",
        "",
        "| tool | wall s | build s (in-process) | phases (s) | posts read | files written "
        "| max RSS MB |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for name, runs in incremental["runs"].items():
        syndicate = any("seconds" in run for run in runs)
        seconds = f"{_median(runs, 'seconds'):.3f}" if syndicate else "-"
        phases = _phase_medians(runs) if syndicate else "-"
        read = f"{int(_median(runs, 'read'))}" if syndicate else "-"
        written = f"{int(_median(runs, 'written'))}" if syndicate else "-"
        wall, rss = _median(runs, "wall"), _median(runs, "max_rss_kb") / 1024
        lines.append(
            f"| {_named(name, runs)} | {wall:.3f} | {seconds} | {phases} | {read} | {written} "
            f"| {rss:.0f} |"
        )
    return lines


def _named(name: str, runs: list[dict[str, Any]]) -> str:
    failed = sum(1 for run in runs if "failed" in run)
    return f"{name} ({failed} of {len(runs)} runs FAILED)" if failed else name


def _phase_medians(runs: list[dict[str, Any]]) -> str:
    runs = [run for run in runs if "phases" in run]
    names = dict.fromkeys(name for run in runs for name in run["phases"])
    return ", ".join(
        f"{name} {statistics.median(run['phases'].get(name, 0.0) for run in runs):.3f}"
        for name in names
    )


def _spread(runs: list[dict[str, Any]]) -> str:
    walls = [run["wall"] for run in runs if "wall" in run]
    return f"{min(walls):.2f}..{max(walls):.2f}" if walls else "-"


def _median(runs: list[dict[str, Any]], key: str) -> float:
    values = [run[key] for run in runs if key in run]
    return float(statistics.median(values)) if values else 0.0


def _corpus_json(corpus: Corpus) -> dict[str, Any]:
    return {
        "blog": str(corpus.blog),
        "posts": len(corpus.posts),
        "skipped": corpus.skipped,
        "commands": {t.name: t.command for t in corpus.tools},
        "runs": corpus.runs,
    }


def _save(report: dict[str, Any], folder: Path) -> Path:
    """Written after every size, so a long run that is stopped still leaves its numbers."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = report["machine"]["date"].replace(":", "").replace("+0000", "Z")
    path = folder / f"run-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return path


# Small helpers ---------------------------------------------------------------------------------


class Trash:
    """Where a run's old output and state go before the next run, deleted only between sizes.

    On this machine's disk (ext4, mounted with `discard`), creating files right after a large
    delete is many times slower: 3,135 files of 12 KB took 0.15 s, but 1.4-2.1 s just after
    deleting as many, even after os.sync() and a 5 s pause. Deleting each tool's output before
    its next run would slow whichever tool writes the most files, more with every round. A
    rename frees no blocks, so it costs the next run nothing.
    """

    def __init__(self) -> None:
        self.folder = BENCH / "scratch" / "trash"
        self._count = 0

    def take(self, path: Path) -> None:
        if not path.exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._count += 1
        path.rename(self.folder / f"{self._count}-{path.name}")

    def empty(self) -> None:
        _remove(self.folder)


TRASH = Trash()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _count_files(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def _jsonable(args: argparse.Namespace) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
