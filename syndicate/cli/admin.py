"""`syndicate token`: the admin token for the dashboard (/admin/) and the API (/api/)."""

from __future__ import annotations

import os
import sys

import click

from syndicate.cli.session import Context, handled, say


@click.command()
@click.option("--show", is_flag=True, help="Print the existing token.")
@click.option("--rotate", is_flag=True, help="Replace the token (every login session ends).")
@click.pass_obj
def token(obj: Context, show: bool, rotate: bool) -> None:
    """Create the admin token that opens the dashboard and the API; prints it on stdout.

    It is kept in admin.token_file (mode 600) and read again when it changes, so a running
    daemon needs no restart. $SYNDICATE_ADMIN_TOKEN, when set, is used instead of the file."""
    from syndicate.admin.auth import TOKEN_ENV, TokenSource, new_token, write_token

    with handled():
        settings = obj.settings()
    path = settings.token_path
    if os.environ.get(TOKEN_ENV, "").strip():
        say(obj, f"the daemon uses ${TOKEN_ENV}, not {path}: change the variable instead")
        sys.exit(1)
    existing = TokenSource({}, path).current()
    if existing and not rotate:
        if show:
            click.echo(existing)
        else:
            say(obj, f"a token exists in {path}; --show prints it, --rotate replaces it")
        return
    if show:
        say(obj, f"no token yet in {path}: run `syndicate token` to create one")
        sys.exit(1)
    made = new_token()
    write_token(path, made)
    click.echo(made)
    where = f"http://{settings.server.host}:{settings.server.port}/admin/"
    say(obj, f"Saved in {path} (readable by you only). Log in at {where} with it;")
    say(obj, "scripts send it as `Authorization: Bearer TOKEN` to /api/.")
    if not settings.admin.enabled:
        say(obj, "admin.enabled is false in the config: the dashboard stays off until it is true")


COMMANDS = (token,)
