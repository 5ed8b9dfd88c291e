"""The publishing commands: preview, publish, outbox, export, digest."""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syndicate.cli.session import Context, handled, say
from syndicate.errors import ConfigError, UsageError
from syndicate.plural import counted

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo


def _zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo  # only for the commands that read a period

    return ZoneInfo(name)


_SPAN = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _as_source(post: str | None, root: Path) -> str | None:
    """A file named from the current directory, as the source path the ledger knows it by."""
    if not post or not Path(post).is_file():
        return post
    try:
        return Path(post).resolve().relative_to(root).as_posix()
    except ValueError:  # outside the blog: let the other ways of finding a post try
        return post


@click.command()
@click.argument("post", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.pass_obj
def preview(obj: Context, post: str | None, as_json: bool) -> None:
    """Per account: the exact text for POST, its length / limit, and when it would go out.

    POST is a file (or the end of its path), an entry id, a permalink or words of the title;
    the newest public post by default."""
    from syndicate.publish.opening import open_publishing
    from syndicate.publish.preview import find_post
    from syndicate.publish.preview import preview as make_preview

    settings = obj.settings()
    with handled(as_json), open_publishing(settings) as dispatcher:
        dispatcher.take_events()  # a post the last build announced is queued, not "not queued"
        dispatcher.replan()
        record = find_post(dispatcher.ledger.records(), _as_source(post, settings.content_root))
        if record is None:
            raise UsageError(f"no post matches {post!r}" if post else "no public post yet")
        items = make_preview(dispatcher, record)
    if as_json:
        click.echo(json.dumps({"post": record.entry_id, "accounts": [i.to_json() for i in items]}))
        return
    click.echo(f"{record.post.title}  ({record.source or record.entry_id})")
    if not items:
        click.echo("  no accounts are configured: add [[accounts]] to the config")
    for item in items:
        click.echo(f"\n[{item.account}] {item.network}: {item.status}")
        if item.text is None:
            click.echo(f"  not for this account: {item.note}")
            continue
        click.echo("  " + item.text.replace("\n", "\n  "))
        click.echo(f"  {_length(item.length, item.limit)}; {_when(item.status, item.when)}")
        for number, part in enumerate(item.thread, 2):
            click.echo(f"  -- part {number} of {len(item.thread) + 1}, answering the one before:")
            click.echo("  " + part.text.replace("\n", "\n  "))
            click.echo(f"  {_length(part.length, item.limit)}")
        if item.image:
            alt = f"alt text: {item.image_alt}" if item.image_alt else "no alt text"
            click.echo(f"  image: {item.image} ({alt})")
        if item.note:
            click.echo(f"  note: {item.note}")


def _length(length: int, limit: int) -> str:
    return f"length {length} / {limit}" if length else f"limit {limit}"


def _when(status: str, when: datetime | None) -> str:
    moment = when.isoformat(timespec="minutes") if when else "-"
    if status == "sent":
        return f"sent {moment}"
    if status == "not queued":
        # Public before syndicate first saw it: announced only if `backfill` queues it.
        return f"not queued (`syndicate backfill` would send it from {moment})"
    return f"{status}, goes out {moment}"


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what is due, send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.pass_obj
def publish(obj: Context, dry_run: bool, as_json: bool) -> None:
    """One pass of the outbox: take new posts in, send what is due."""
    from syndicate.publish.messages import messages_for
    from syndicate.publish.opening import open_publishing
    from syndicate.publish.preview import account_rules

    report: list[dict[str, object]] = []
    with handled(as_json), open_publishing(obj.settings()) as dispatcher:
        dispatcher.take_events()
        dispatcher.replan()
        due = dispatcher.due()
        dry = dry_run or dispatcher.settings.publish.dry_run
        for delivery in due:
            if dry:
                account = dispatcher.accounts[delivery.account]
                record = dispatcher.ledger.records_of([delivery.post_pk])[delivery.post_pk]
                rules, _ = account_rules(dispatcher, account.name)
                messages = messages_for(record.pk, record.post, account, rules, dispatcher.cache)
                report.append({"id": delivery.id, "account": delivery.account,
                               "result": "would send", "text": messages[0].text,
                               "thread": [m.text for m in messages[1:]]})  # fmt: skip
            else:
                outcome = dispatcher.attempt(delivery)
                report.append({"id": delivery.id, "account": delivery.account,
                               "result": outcome.result, "detail": outcome.detail})  # fmt: skip
        upcoming = dispatcher.next_due()
    if as_json:
        click.echo(json.dumps({"dry_run": dry, "deliveries": report}))
    else:
        for row in report:
            click.echo(f"#{row['id']} {row['account']}: {row['result']} {row.get('detail', '')}")
            for text in [row["text"], *row["thread"]] if "text" in row else []:  # type: ignore[misc]
                click.echo("  " + str(text).replace("\n", "\n  "))
        nothing = "nothing was due" if not report else f"{len(report)} deliveries"
        after = f"; next due {upcoming.isoformat(timespec='minutes')}" if upcoming else ""
        say(obj, f"{nothing}{' (dry run)' if dry else ''}{after}")
    sys.exit(1 if any(r["result"] == "failed" for r in report) else 0)


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.option("--account", help="Only this account's deliveries.")
@click.pass_context
def outbox(ctx: click.Context, as_json: bool, account: str | None) -> None:
    """Deliveries: pending, scheduled, sent (with links), failed (with reasons)."""
    if ctx.invoked_subcommand is not None:
        return
    from syndicate.publish.opening import open_publishing
    from syndicate.publish.outbox_view import collect, render

    obj: Context = ctx.obj
    with handled(as_json), open_publishing(obj.settings()) as dispatcher:
        dispatcher.take_events()
        dispatcher.replan()
        view = collect(dispatcher, account)
    click.echo(json.dumps(view, indent=2) if as_json else render(view))


def _steer(obj: Context, action: str, target: str) -> None:
    from syndicate.publish.opening import open_publishing

    with handled(), open_publishing(obj.settings()) as dispatcher:
        now = dispatcher.clock.now()
        box = dispatcher.outbox
        if action in ("pause", "resume"):
            if target not in dispatcher.accounts:
                raise UsageError(f"no account named {target!r}")
            if action == "pause":
                box.pause(target, "paused by `syndicate outbox pause`", now)
            else:
                box.resume(target, now)
            say(obj, f"account {target} {action}d")
            return
        if not target.isdigit() or box.get(int(target)) is None:
            raise UsageError(f"no delivery #{target} (see `syndicate outbox`)")
        done = {
            "retry": box.retry,
            "cancel": box.cancel,
            "send-now": box.send_now,
        }[action](int(target), now)
        if not done:
            delivery = box.get(int(target))
            status = delivery.status if delivery else "gone"
            raise UsageError(f"delivery #{target} is {status}: cannot {action} it")
        say(obj, f"delivery #{target}: {action} done")


@outbox.command("retry")
@click.argument("delivery_id")
@click.pass_obj
def outbox_retry(obj: Context, delivery_id: str) -> None:
    """Queue a failed delivery again."""
    _steer(obj, "retry", delivery_id)


@outbox.command("cancel")
@click.argument("delivery_id")
@click.pass_obj
def outbox_cancel(obj: Context, delivery_id: str) -> None:
    """Never send this delivery."""
    _steer(obj, "cancel", delivery_id)


@outbox.command("send-now")
@click.argument("delivery_id")
@click.pass_obj
def outbox_send_now(obj: Context, delivery_id: str) -> None:
    """Make a queued or failed delivery due at once (the daemon or `publish` sends it)."""
    _steer(obj, "send-now", delivery_id)


@outbox.command("pause")
@click.argument("account")
@click.pass_obj
def outbox_pause(obj: Context, account: str) -> None:
    """Hold every delivery of ACCOUNT until it is resumed."""
    _steer(obj, "pause", account)


@outbox.command("resume")
@click.argument("account")
@click.pass_obj
def outbox_resume(obj: Context, account: str) -> None:
    """Let ACCOUNT's deliveries go out again."""
    _steer(obj, "resume", account)


@click.command()
@click.option("--since", required=True, metavar="SPAN", help="7d, 12h, 2w, or a date.")
@click.option("--until", metavar="DATE", help="End of the period (default: now).")
@click.option("--author", help="Who signs the round-up (default: the site's author).")
@click.option("--no-remote", is_flag=True, help="Leave out the entries of remote sources.")
@click.pass_obj
def digest(
    obj: Context, since: str, until: str | None, author: str | None, no_remote: bool
) -> None:
    """Write a "blog round-up" post draft listing the period's posts, into the blog."""
    from syndicate.clock import SystemClock
    from syndicate.publish.digest import make_digest

    clock = SystemClock()
    with handled():
        settings = obj.settings()
        start, end = _period(since, until, clock.now(), _zone(settings.content.timezone))
        path, made = make_digest(
            settings, clock, start, until=end, author=author, remote=not no_remote
        )
    say(
        obj,
        f"Wrote {path}: {counted(made.count, 'post')}. Review it, then publish it "
        "(published: true, or draft: false on Hugo).",
    )


@click.group()
def export() -> None:
    """Write the period's posts for other tools."""


@export.command("hootsuite")
@click.option("--since", required=True, metavar="SPAN", help="7d, 12h, 2w, or a date.")
@click.option("--until", metavar="DATE", help="End of the period (default: now).")
@click.option("--account", help="The account whose template and timing to use.")
@click.option("--timezone", help="Your Hootsuite profile's time zone (default: the account's).")
@click.option(
    "--date-format",
    type=click.Choice(["mdy", "dmy"]),
    default="mdy",
    help="MM/DD/YYYY (Hootsuite's default) or DD/MM/YYYY.",
)
@click.pass_obj
def export_hootsuite(
    obj: Context,
    since: str,
    until: str | None,
    account: str | None,
    timezone: str | None,
    date_format: str,
) -> None:
    """A Hootsuite bulk-composer CSV on stdout: time, message, link; Hootsuite's rules kept."""
    from syndicate.clock import SystemClock
    from syndicate.publish.export import export_hootsuite as make_csv

    clock = SystemClock()
    with handled():
        settings = obj.settings()
        start, end = _period(since, until, clock.now(), _zone(settings.content.timezone))
        text, made = make_csv(
            settings,
            clock,
            start,
            until=end,
            account=account,
            timezone=timezone,
            date_format=date_format,
        )
    sys.stdout.buffer.write(text.encode("utf-8"))  # bytes: the CSV's CRLF line ends stay
    for problem in made.problems:
        click.echo(f"left out {problem.title!r} ({problem.url}): {problem.reason}", err=True)
    say(obj, f"{counted(len(made.rows), 'post')} written")
    sys.exit(1 if made.problems else 0)


def _period(
    since: str, until: str | None, now: datetime, zone: ZoneInfo
) -> tuple[datetime, datetime | None]:
    end = None
    if until:
        from syndicate.content.dates import DateError, parse_date

        try:
            end = parse_date(until, zone)
        except DateError as exc:
            raise ConfigError(f"--until {until!r}: write a date such as 2024-06-01") from exc
    return since_moment(since, now, zone), end


def since_moment(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """`7d`, `12h`, `30m`, `2w`, or a date: the start of a period ending now."""
    match = _SPAN.match(text.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    from syndicate.content.dates import DateError, parse_date

    try:
        return parse_date(text, zone)
    except DateError as exc:
        raise ConfigError(f"--since {text!r}: write 7d, 12h, 2w or a date") from exc


COMMANDS = (preview, publish, outbox, export, digest)
