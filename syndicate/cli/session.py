"""What every command shares: the options' context, its messages and its error handling.

Nothing heavy is imported here or in the command modules at start: a command imports what it
runs when it runs, so `syndicate --help` and commands that build nothing start at once."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syndicate.errors import SyndicateError
from syndicate.locations import find_config

if TYPE_CHECKING:  # the settings' models load only for commands that read them
    from syndicate.config import Settings


class Context:
    def __init__(self, config: str | None, quiet: bool) -> None:
        self.config_option = config
        self.quiet = quiet

    @property
    def config_path(self) -> Path:
        return find_config(self.config_option, os.environ)

    def settings(self) -> Settings:
        """The config; the accounts' credential values are known to the log and the outbox's
        redaction from here on (never shown, whatever quotes them)."""
        from syndicate.config import load_settings  # for start-up time: see the module's doc
        from syndicate.publish.credentials import learn

        settings = load_settings(self.config_path)
        learn(settings.accounts, os.environ, settings.base_dir)
        return settings


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
