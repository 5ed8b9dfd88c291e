"""Where one `syndicate build` process spends its time, step by step as the CLI takes them.

    python bench/process_steps.py CONFIG

Run it in a new process (with `PYTHONPATH=TREE` for another checkout) after changing the blog,
e.g. adding a post: it prints the seconds of the CLI's imports, the settings (importing their
models, reading and validating the file), the pipeline's imports, opening the builder, the
build and its phases, and what the CLI does after it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

started = time.perf_counter()
import click  # noqa: E402, F401

from syndicate.cli import main as _cli  # noqa: E402, F401

cli = time.perf_counter()


def main() -> None:
    from syndicate.config import load_settings

    settings = load_settings(Path(sys.argv[1]))
    loaded = time.perf_counter()
    from syndicate.feeds.discovery import link_tags
    from syndicate.pipeline.opening import open_builder

    imported = time.perf_counter()
    with open_builder(settings) as builder:
        opened = time.perf_counter()
        try:
            report = builder.build(quick=True)
        except TypeError:  # a checkout from before the quick build
            report = builder.build()
        built = time.perf_counter()
        builder.remember(report, "cli")
        link_tags(settings)
    done = time.perf_counter()
    phases = ", ".join(f"{k} {v:.3f}" for k, v in report.phases.items())
    print(
        f"cli imports {cli - started:.3f}, settings {loaded - cli:.3f}, "
        f"pipeline imports {imported - loaded:.3f}, open builder {opened - imported:.3f}, "
        f"build {built - opened:.3f} ({phases}), after {done - built:.3f}, "
        f"total {done - started:.3f}"
    )


if __name__ == "__main__":
    main()
