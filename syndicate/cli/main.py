"""The command line: `syndicate init | check | build`.

Exit status: 0 when all went well, 1 when some post or check failed (everything else was still
done), 2 when the configuration or the command line cannot be used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from syndicate import __version__
from syndicate.cli import admin, publish
from syndicate.cli.session import Context, Finished, each_blog, handled, say
from syndicate.errors import ConfigError
from syndicate.locations import CONFIG_ENV, DEFAULT_CONFIG, find_config
from syndicate.plural import counted

if TYPE_CHECKING:  # the settings' models load only for commands that read them
    from syndicate.config import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="syndicate")
@click.option(
    "--config",
    "-c",
    metavar="PATH",
    multiple=True,
    help=f"Config file (else $SYNDICATE_CONFIG, else ./{DEFAULT_CONFIG}); repeat it, or name "
    "a folder of *.toml files, for several blogs.",
)
@click.option(
    "--blog",
    "-b",
    metavar="NAME",
    help="With several blogs: the one to act on (its name or its config file's name).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
@click.pass_context
def main(ctx: click.Context, config: tuple[str, ...], blog: str | None, quiet: bool) -> None:
    """Feeds (Atom, RSS, JSON Feed) for a blog's Markdown posts."""
    ctx.obj = Context(config, blog, quiet)


@main.command()
@click.argument("blog", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where to write the config (default: --config, else ./{DEFAULT_CONFIG}).",
)
@click.option("--url", help="The blog's public address, if the blog does not declare it.")
@click.option("--title", help="The blog's name, if the blog does not declare it.")
@click.option("--force", is_flag=True, help="Replace an existing config file.")
@click.pass_obj
def init(
    obj: Context, blog: Path, output: Path | None, url: str | None, title: str | None, force: bool
) -> None:
    """Write a commented config file for the blog in BLOG."""
    from syndicate.scaffold import default_config, scaffold

    chosen = obj.config_option or os.environ.get(CONFIG_ENV)
    target = output or (Path(chosen) if chosen else default_config(blog, DEFAULT_CONFIG))
    joining = target.is_dir()  # a folder of blogs: this one joins it, named after its folder
    if joining:
        target = target / f"{blog.resolve().name}.toml"
    with handled():
        if len(obj.config_options) > 1 and output is None:
            raise ConfigError("init writes one config: give one --config, or --output")
        if target.exists() and not force:
            raise ConfigError(f"{target} already exists; pass --force to replace it")
        name = target.stem if joining else None
        result = scaffold(blog, target.parent, url=url, title=title, name=name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(result.text, encoding="utf-8")
    where = f" at {result.url}" if result.url else ""
    say(obj, f"Wrote {target} for the {result.layout} blog {result.title!r}{where}")
    say(obj, f"Feeds go to {(target.parent / result.output).resolve()}")
    for note in result.notes:
        click.echo(f"syndicate: warning: {note}", err=True)
    found = find_config(None, {})
    hint = f" --config {target}" if target.resolve() != found.resolve() else ""
    if joining:
        hint = f" --config {target.parent} --blog {target.stem}"
    say(obj, f"Next: syndicate{hint} check, then syndicate{hint} build")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.pass_obj
def check(obj: Context, as_json: bool, strict: bool) -> None:
    """Validate the config and every post; name each bad file and why."""
    from syndicate.check import check as run_check
    from syndicate.clock import SystemClock

    def check_one(settings: Settings) -> tuple[int, dict[str, Any]]:
        report = run_check(settings, SystemClock())
        if not as_json:
            for finding in report.findings:
                click.echo(finding.render(), err=True)
            say(
                obj,
                f"{counted(report.posts, 'post')} ({report.public} public): "
                f"{counted(report.errors, 'error')}, {counted(report.warnings, 'warning')}",
            )
        failed = report.errors > 0 or (strict and report.warnings > 0)
        return (1 if failed else 0), report.to_json()

    raise Finished(each_blog(obj, check_one, as_json=as_json))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@click.option(
    "--full",
    is_flag=True,
    help="Re-read every post and remake every feed (files still change only if their bytes do).",
)
@click.option(
    "--links", is_flag=True, help='Print the <link rel="alternate"> tags of the site feeds.'
)
@click.pass_obj
def build(obj: Context, as_json: bool, full: bool, links: bool) -> None:
    """Write all feeds; only what changed since the last build is redone."""

    def build_one(settings: Settings) -> tuple[int, dict[str, Any]]:
        return _build_blog(obj, settings, as_json=as_json, full=full, links=links)

    raise Finished(each_blog(obj, build_one, as_json=as_json))


def _build_blog(
    obj: Context, settings: Settings, *, as_json: bool, full: bool, links: bool
) -> tuple[int, dict[str, Any]]:
    from syndicate.feeds.discovery import link_tags
    from syndicate.pipeline.opening import open_builder

    with (
        _progress(enabled=not (as_json or obj.quiet)) as progress,
        open_builder(settings, progress=progress) as builder,
    ):
        report = builder.build(full=full, quick=True)
        builder.remember(report, "cli")
        tags = link_tags(settings)
    for error in report.errors:
        click.echo(f"{error}", err=True)
    from syndicate.content.urls import is_placeholder

    placeholder = is_placeholder(settings.site.url)
    if placeholder:
        click.echo(
            f"syndicate: error: site.url {settings.site.url} is a placeholder: every link and id "
            "in the feeds points there; set the blog's address",
            err=True,
        )
    summary = report.to_json()
    summary["output"] = str(settings.output_dir)
    summary["links"] = tags
    if not as_json:
        say(
            obj,
            f"{counted(report.public, 'public post')}, {counted(len(report.changes), 'change')}; "
            f"{len(report.written):,} of {counted(report.feeds, 'feed file')} written to "
            f"{settings.output_dir} "
            f"in {report.seconds:.2f}s",
        )
        if report.errors:
            say(
                obj,
                f"{counted(len(report.errors), 'error')} (see above); "
                "`syndicate check` explains more",
            )
        if links:
            for tag in tags:
                click.echo(tag["html"])
    return (1 if report.errors or placeholder else 0), summary


_PORT_OFFSET = click.option(
    "--port-offset",
    type=click.IntRange(0, 1000),
    default=0,
    help="Listen on server.port plus this (several replicas of a set of blogs on one machine).",
)


@main.command()
@click.option("--poll", is_flag=True, default=None, help="Poll the posts instead of file events.")
@click.option("--host", help="Listen on this address (default: server.host, 127.0.0.1).")
@click.option("--port", type=int, help="Listen on this port (default: server.port, 8080).")
@_PORT_OFFSET
@click.option(
    "--log-format",
    type=click.Choice(["auto", "human", "json"]),
    default=None,
    help="Log lines for people or JSON (default: log.format).",
)
@click.pass_obj
def run(
    obj: Context,
    poll: bool | None,
    host: str | None,
    port: int | None,
    port_offset: int,
    log_format: str | None,
) -> None:
    """The daemon: watch the posts, rebuild and serve the feeds, tell hubs; stop with Ctrl-C.
    With several blogs, a daemon for each (a process each)."""
    from syndicate import logs

    options = _forwarded(poll=poll, host=host, port_offset=port_offset, log_format=log_format)
    _supervise_several(obj, "run", options, port)
    from syndicate.daemon.service import Daemon

    with handled():
        settings = _with_overrides(
            obj.settings(), poll=poll, host=host, port=port, port_offset=port_offset,
            log_format=log_format,
        )  # fmt: skip
        as_json = logs.setup(settings.log.format, settings.log.level, blog=obj.blog)
        daemon = Daemon(settings)
        sys.exit(daemon.run(on_ready=lambda url: _ready(obj, settings, url, as_json=as_json)))


@main.command()
@click.option("--host", help="Listen on this address (default: server.host, 127.0.0.1).")
@click.option("--port", type=int, help="Listen on this port (default: server.port, 8080).")
@_PORT_OFFSET
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None, port_offset: int) -> None:
    """Only serve the feeds already built, over HTTP. With several blogs, a server each."""
    from syndicate import logs

    _supervise_several(obj, "serve", _forwarded(host=host, port_offset=port_offset), port)
    from syndicate.serve import serve_feeds

    with handled():
        settings = _with_overrides(obj.settings(), host=host, port=port, port_offset=port_offset)
        as_json = logs.setup(settings.log.format, settings.log.level, blog=obj.blog)
        serve_feeds(settings, on_ready=lambda url: _ready(obj, settings, url, as_json=as_json))


def _supervise_several(obj: Context, command: str, options: list[str], port: int | None) -> None:
    """With several blogs (and no --blog), run `command` for each in a process of its own and
    exit when they end; with one, return and let the caller run it here."""
    from syndicate.blogs import distinct_addresses

    with handled():
        blogs = obj.every_settings()
        if len(blogs) == 1:
            return
        if port is not None:
            raise ConfigError("--port names one port; give each blog its own server.port")
        distinct_addresses(blogs)
    from syndicate.cli.supervise import supervise

    files = [(settings.blog_name, settings.source_file or Path()) for settings in blogs]
    sys.exit(supervise(files, [command, *options], obj.quiet))


def _forwarded(**given: Any) -> list[str]:
    """The command's options that were given, as a child's command line."""
    argv: list[str] = []
    for name, value in given.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value not in (None, False, 0):
            argv += [flag, str(value)]
    return argv


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """What syndicate knows: posts, feeds, sources, the last build and recent errors."""
    from syndicate.status import collect, render

    def status_one(settings: Settings) -> tuple[int, dict[str, Any]]:
        report = collect(settings)
        if not as_json:
            click.echo(render(report))
        return 0, report

    raise Finished(each_blog(obj, status_one, as_json=as_json, report_on_stdout=True))


@main.command()
@click.option(
    "--since", required=True, metavar="DATE", help="Oldest post date to announce (2024-01-31)."
)
@click.option("--until", metavar="DATE", help="Newest post date to announce (default: now).")
@click.pass_obj
def backfill(obj: Context, since: str, until: str | None) -> None:
    """Queue announcements of existing posts dated from DATE, for publishers to drip out."""
    from zoneinfo import ZoneInfo

    from syndicate.content.dates import DateError, parse_date
    from syndicate.pipeline.opening import open_builder

    with handled():
        settings = obj.settings()
        zone = ZoneInfo(settings.content.timezone)
        try:
            start = parse_date(since, zone)
            end = parse_date(until, zone) if until else None
        except DateError as exc:
            raise ConfigError(str(exc)) from None
        with open_builder(settings) as builder:
            builder.build()
            queued = builder.backfill(start, end)
    say(obj, f"{counted(len(queued), 'post')} queued for announcement")


@main.group()
def sources() -> None:
    """Remote feeds whose entries become posts (a planet's member blogs)."""


@sources.command("import")
@click.argument("reading_list", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--write", is_flag=True, help="Append the sources to the config file.")
@click.pass_obj
def sources_import(obj: Context, reading_list: Path, write: bool) -> None:
    """Read a Planet Venus configuration (planet.ini) or an OPML reading list into [[sources]]
    tables (the OPML lists a planet subscribes to are read too)."""
    from syndicate.watch.opml import is_opml, read_opml
    from syndicate.watch.planet import append_sources, import_planet, sources_toml

    with handled():
        data = reading_list.read_bytes()
        if is_opml(data):
            imported = read_opml(data, str(reading_list))
        else:
            imported = import_planet(reading_list)
        found = list(imported.sources)
        if write:
            for warning in imported.warnings:
                click.echo(f"syndicate: warning: {warning}", err=True)
            added = append_sources(obj.config_path, found, imported)
            say(obj, f"{added} of {len(found)} sources added to {obj.config_path}")
        else:  # the warnings are comments in the tables
            click.echo(sources_toml(found, imported))


@sources.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the OPML to this file instead of standard output.",
)
@click.pass_obj
def sources_export(obj: Context, output: Path | None) -> None:
    """Write the remote sources as an OPML 2.0 reading list."""
    from syndicate.watch.opml import sources_opml

    with handled():
        settings = obj.settings()
        document = sources_opml(settings.sources, f"{settings.site.title}: sources")
        if output is None:
            click.echo(document.decode("utf-8"), nl=False)
        else:
            output.write_bytes(document)
            say(obj, f"{len(settings.sources)} sources written to {output}")


def _ready(obj: Context, settings: Settings, base: str, *, as_json: bool) -> None:
    """The banner; as one log record when the log is JSON, so every line of it parses."""
    if as_json:
        from syndicate.logs import fields

        feeds = [
            line.split(": ", 1)[1]
            for line in _serving_message(settings, base).splitlines()
            if "subscribe in a feed reader" in line
        ]
        import logging  # only here: `--help` and the building commands need no logger

        logging.getLogger("syndicate").info("serving", extra=fields(url=base, feeds=feeds))
    else:
        say(obj, _serving_message(settings, base))


def _serving_message(settings: Settings, base: str) -> str:
    """Where to look: the index page, and the site feeds to give a feed reader."""
    from syndicate.feedkinds import FeedKind
    from syndicate.feeds.plan import feed_spec

    outputs = feed_spec(settings.feeds, settings.site, FeedKind.SITE, "", "").outputs
    lines = [f"Serving the feeds of {settings.site.title} at {base}"]
    lines += [f"  subscribe in a feed reader: {base}{output.path}" for output in outputs]
    lines.append(_dashboard_line(settings, base))
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def _dashboard_line(settings: Settings, base: str) -> str:
    from syndicate.admin.auth import TokenSource

    if not settings.admin.enabled:
        return "  dashboard: off (admin.enabled = false)"
    if TokenSource(os.environ, settings.token_path).current() is None:
        return "  dashboard: off until `syndicate token` creates its token"
    return f"  dashboard: {base}admin/ (log in with the token `syndicate token --show` prints)"


def _with_overrides(settings: Settings, **changes: Any) -> Settings:
    """Settings with command-line options that were given laid over the file's."""
    from syndicate.sections import replace

    watch, server, log = settings.watch, settings.server, settings.log
    if changes.get("poll") is not None:
        watch = replace(watch, poll=changes["poll"])
    if changes.get("host"):
        server = replace(server, host=changes["host"])
    if changes.get("port") is not None:
        server = replace(server, port=changes["port"])
    if changes.get("port_offset"):
        server = replace(server, port=server.port + changes["port_offset"])
    if changes.get("log_format"):
        log = replace(log, format=changes["log_format"])
    return replace(settings, watch=watch, server=server, log=log)


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        yield _RichProgress(bar)


class _RichProgress:
    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._task: Any = None

    def phase(self, name: str, total: int) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(name, total=total)

    def advance(self, count: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, count)


for _command in (*publish.COMMANDS, *admin.COMMANDS):
    main.add_command(_command)
