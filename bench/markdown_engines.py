"""Time Markdown engines on the bodies of generated posts, and watch their memory grow.

    python bench/markdown_engines.py [--posts 10000] [--passes 2] [--engines a,b]

Each engine runs in a fresh interpreter, which loads the bodies, builds the engine, then renders
every body PASSES times. Its RSS (from /proc/self/statm) is read before the first pass and after
each one: a steady rise from pass to pass is memory the engine keeps per call (a leak), not a
cache that fills once. Engines that are not installed are skipped.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import sites
from generate import generate

Render = Callable[[str], str]


def _markdown_it_pyrs() -> Render:
    from markdown_it_pyrs import MarkdownIt

    # The same rules syndicate enables (syndicate/content/markdown.py).
    engine = MarkdownIt("commonmark").enable_many(
        ["table", "strikethrough", "autolink_ext", "tasklist", "footnote"]
    )
    render: Render = engine.render
    return render


def _markdown_it_py() -> Render:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render


def _mistune() -> Render:
    import mistune

    # escape=False passes raw HTML through, as the other engines do.
    engine = mistune.create_markdown(
        escape=False, plugins=["table", "strikethrough", "footnotes", "task_lists", "url"]
    )

    def render(text: str) -> str:
        return str(engine(text))

    return render


def _cmarkgfm() -> Render:
    import cmarkgfm

    render: Render = cmarkgfm.github_flavored_markdown_to_html
    return render


# name → (module to import, distribution for its version, factory)
ENGINES: dict[str, tuple[str, str, Callable[[], Render]]] = {
    "markdown-it-pyrs": ("markdown_it_pyrs", "markdown-it-pyrs", _markdown_it_pyrs),
    "markdown-it-py": ("markdown_it", "markdown-it-py", _markdown_it_py),
    "mistune": ("mistune", "mistune", _mistune),
    "cmarkgfm": ("cmarkgfm", "cmarkgfm", _cmarkgfm),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: measure this engine
    parser.add_argument("--bodies", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_engine(args.child, args.bodies, args.passes)))
        return
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        parser.error(f"unknown engine {unknown[0]!r}; use {','.join(ENGINES)}")
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as scratch:
        bodies = _write_bodies(Path(scratch), args.posts)
        rows = [_run_child(name, bodies, args.passes) for name in names]
    print(render_table(rows, args.posts, args.passes))


def _write_bodies(scratch: Path, posts: int) -> Path:
    """The bodies of POSTS generated posts, as one JSON list the children load."""
    generate(scratch / "blog", posts)
    loaded, _ = sites.read_middleman(scratch / "blog")
    path = scratch / "bodies.json"
    path.write_text(json.dumps([post.body for post in loaded]), "utf-8")
    return path


def _run_child(name: str, bodies: Path, passes: int) -> dict[str, Any]:
    module, dist, _ = ENGINES[name]
    if importlib.util.find_spec(module) is None:
        return {"engine": name, "skipped": "not installed"}
    print(f"{name} ...", file=sys.stderr, flush=True)
    command = [sys.executable, __file__, "--child", name, "--bodies", str(bodies)]
    done = subprocess.run(
        [*command, "--passes", str(passes)], capture_output=True, text=True, check=True
    )
    row: dict[str, Any] = json.loads(done.stdout)
    row["version"] = metadata.version(dist)
    return row


def measure_engine(name: str, bodies_path: Path, passes: int) -> dict[str, Any]:
    """In the child: RSS before, time and RSS after each pass over every body."""
    bodies: list[str] = json.loads(bodies_path.read_text("utf-8"))
    render = ENGINES[name][2]()
    render("warm *up*")  # so lazily built tables count as set-up, not as growth
    gc.collect()
    before = _rss_kb()
    seconds: list[float] = []
    after: list[int] = []
    size = 0
    for _ in range(passes):
        started = time.perf_counter()
        for body in bodies:
            size += len(render(body))
        seconds.append(time.perf_counter() - started)
        gc.collect()  # what is left is kept by the engine, not garbage waiting for collection
        after.append(_rss_kb())
    return {
        "engine": name,
        "posts": len(bodies),
        "seconds": seconds,
        "rss_before_kb": before,
        "rss_after_kb": after,
        "html_bytes": size // passes,
    }


def _rss_kb() -> int:
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") // 1024


def render_table(rows: list[dict[str, Any]], posts: int, passes: int) -> str:
    lines = [
        f"Markdown engines: {posts} generated post bodies, {passes} passes, each engine in a "
        "fresh interpreter. Growth = RSS after a pass minus RSS before it.",
        "",
        "| engine | version | s (pass 1) | posts/s | RSS before MB | growth pass 1 MB "
        "| growth last pass MB | KB per call (last pass) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "skipped" in row:
            lines.append(f"| {row['engine']} | {row['skipped']} | | | | | | |")
            continue
        lines.append(_engine_line(row))
    return "\n".join(lines)


def _engine_line(row: dict[str, Any]) -> str:
    before, after = row["rss_before_kb"], row["rss_after_kb"]
    first = after[0] - before
    last = after[-1] - (after[-2] if len(after) > 1 else before)
    return (
        f"| {row['engine']} | {row['version']} | {row['seconds'][0]:.2f} | "
        f"{row['posts'] / row['seconds'][0]:.0f} | {before / 1024:.1f} | {first / 1024:.1f} | "
        f"{last / 1024:.1f} | {last / row['posts']:.2f} |"
    )


if __name__ == "__main__":
    main()
