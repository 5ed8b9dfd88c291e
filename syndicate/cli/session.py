"""What every command shares: the options' context, its messages and its error handling.

Nothing heavy is imported here or in the command modules at start: a command imports what it
runs when it runs, so `syndicate --help` and commands that build nothing start at once."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from syndicate.errors import ConfigError, SyndicateError

if TYPE_CHECKING:  # the settings' models load only for commands that read them
    from syndicate.config import Settings


class Context:
    def __init__(self, configs: tuple[str, ...], blog: str | None, quiet: bool) -> None:
        self.config_options = configs
        self.blog = blog
        self.quiet = quiet

    @property
    def config_option(self) -> str | None:
        """The one `--config` given, if exactly one was."""
        return self.config_options[0] if len(self.config_options) == 1 else None

    @property
    def config_files(self) -> list[Path]:
        from syndicate.blogs import config_files

        return config_files(self.config_options, os.environ)

    @property
    def config_path(self) -> Path:
        """The config file of the blog a command acts on."""
        files = self.config_files
        if len(files) == 1 and self.blog is None:
            return files[0]
        path = self.settings().source_file
        assert path is not None  # settings loaded from a file know it
        return path

    def settings(self) -> Settings:
        """The config of the one blog a command acts on (`--blog`, when there are several);
        the accounts' credential values are known to the log and the outbox's redaction from
        here on (never shown, whatever quotes them)."""
        files = self.config_files
        if len(files) == 1:
            return _learned(self._single(files[0]))
        from syndicate.blogs import choose, load_blogs, names

        blogs = load_blogs(files)
        if self.blog is None:
            raise ConfigError(
                f"{len(blogs)} blogs are configured ({names(blogs)}); choose one with --blog NAME"
            )
        return _learned(choose(blogs, self.blog))

    def every_settings(self) -> list[Settings]:
        """Every blog's config (only `--blog`'s, when given), for the commands that run every
        blog at once: any config that cannot be used stops them."""
        blogs, broken = self.usable_settings()
        if broken:
            raise broken[0]
        return blogs

    def usable_settings(self) -> tuple[list[Settings], list[ConfigError]]:
        """Every blog's config that can be used (only `--blog`'s, when given), and the errors
        of the others, for the commands that act on each blog in turn."""
        files = self.config_files
        if len(files) == 1:
            return [_learned(self._single(files[0]))], []
        from syndicate.blogs import choose, load_blogs, load_each

        if self.blog is not None:
            return [_learned(choose(load_blogs(files), self.blog))], []
        blogs, broken = load_each(files)
        return [_learned(settings) for settings in blogs], broken

    def _single(self, path: Path) -> Settings:
        from syndicate.config import load_settings  # for start-up time: see the module's doc

        settings = load_settings(path)
        if self.blog is not None:
            from syndicate.blogs import choose

            choose([settings], self.blog)  # a --blog that names no blog is an error
        return settings


class Finished(SystemExit):
    """A command's work is done and its resources closed: the process may leave without
    tearing its objects down (`syndicate.cli.entry`). In one process (tests, CliRunner) it
    is an ordinary SystemExit."""


def _learned(settings: Settings) -> Settings:
    if settings.accounts:  # a blog without accounts need not import the publishers' base
        from syndicate.publish.credentials import learn

        learn(settings.accounts, os.environ, settings.base_dir)
    return settings


def each_blog(
    obj: Context,
    act: Callable[[Settings], tuple[int, dict[str, Any]]],
    *,
    as_json: bool = False,
    report_on_stdout: bool = False,
) -> int:
    """`act` on every blog (or `--blog`'s) in turn; the worst exit status. With several
    blogs each one's output starts with its name, and `--json` prints a list of their reports,
    each naming its blog. A blog that fails to open or act is named and the others still go."""
    with handled(as_json):
        blogs, broken = obj.usable_settings()
    if len(blogs) == 1 and not broken:
        with handled(as_json):
            status, report = act(blogs[0])
        if as_json:
            click.echo(json.dumps(report, indent=2))
        return status
    worst, reports = (2 if broken else 0), []
    for error in broken:
        click.echo(f"syndicate: {error}", err=True)
        reports.append({"config": error.file, "error": str(error)})
    for settings in blogs:
        if not as_json:  # the heading goes where the blog's report goes
            heading = f"== {settings.blog_name} ({settings.source_file})"
            if report_on_stdout:
                click.echo(heading)
            else:
                say(obj, heading)
        try:
            status, report = act(settings)
        except SyndicateError as error:
            click.echo(f"syndicate: {settings.blog_name}: {error}", err=True)
            status, report = 2, {"error": str(error)}
        worst = max(worst, status)
        reports.append({"blog": settings.blog_name, **report})
    if as_json:
        click.echo(json.dumps(reports, indent=2))
    return worst


def say(obj: Context, message: str) -> None:
    if not obj.quiet:
        click.echo(message, err=True)


@contextmanager
def handled(as_json: bool = False) -> Iterator[None]:
    """Turn our errors into a one-line message and exit status 2, never a traceback."""
    try:
        yield
    except SyndicateError as error:
        if as_json:
            click.echo(json.dumps({"error": str(error)}))
        click.echo(f"syndicate: {error}", err=True)
        sys.exit(2)
