"""Credentials, resolved from the references the config holds (`env:NAME`, `file:PATH`) at the
moment a publisher is made. The values live only in the publisher: never in settings dumps,
logs, the database or any page.

Each value is checked as it is resolved: it goes into an HTTP header (a token) or is an address
(a webhook's `url`), so whitespace or control characters inside it can only be a copy-paste
accident, and would otherwise surface as an HTTP library's error quoting the whole value. The
error names the account, the credential and where it was read from, never the value. Every
value resolved is registered with the process's redactor (redaction.py), so a value some
answer or exception quotes all the same is taken out of what is stored and logged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from syndicate.accounts import AccountSettings
from syndicate.errors import AuthError
from syndicate.publish.network import describe
from syndicate.redaction import Redactor, process_redactor
from syndicate.secret_refs import UnreadableSecretError, read_reference

URL_CREDENTIALS = frozenset({"url"})  # addresses, which are secrets (a webhook's URL)


def resolve(
    account: AccountSettings,
    environ: Mapping[str, str],
    base_dir: Path,
    redactor: Redactor | None = None,
) -> dict[str, str]:
    """The account's secrets by name; AuthError naming the first one that cannot be read or
    is not usable. Every value read is registered with `redactor` (the process's)."""
    redactor = redactor or process_redactor()
    missing = [n for n in describe(account.network).credentials if n not in account.credentials]
    if missing:
        raise AuthError(
            f"account {account.name!r}: credentials.{missing[0]} is not set "
            f'(write e.g. {missing[0]} = "env:{_env_name(account.name, missing[0])}")'
        )
    values = {}
    for name, reference in account.credentials.items():
        value = _read(account.name, name, reference, environ, base_dir)
        redactor.add(value)  # before the check: its own message must not quote it either
        check_value(account.name, name, reference, value)
        values[name] = value
    return values


def problems(account: AccountSettings, environ: Mapping[str, str], base_dir: Path) -> list[str]:
    """Every reason the account's credentials cannot be used here, for `syndicate check`;
    each names the account and the reference, never a value."""
    found = [
        f"account {account.name!r}: credentials.{name} is not set"
        for name in describe(account.network).credentials
        if name not in account.credentials
    ]
    for name, reference in account.credentials.items():
        try:
            value = _read(account.name, name, reference, environ, base_dir)
            process_redactor().add(value)
            check_value(account.name, name, reference, value)
        except AuthError as error:
            found.append(error.reason)
    return found


def learn(accounts: Iterable[AccountSettings], environ: Mapping[str, str], base_dir: Path) -> None:
    """Register every credential value that can be read here with the process's redactor, so
    what this process shows (logs, the outbox's stored errors) never quotes one, even before
    any publisher is made. What cannot be read is left for the publisher to report."""
    redactor = process_redactor()
    for account in accounts:
        for name, reference in account.credentials.items():
            try:
                redactor.add(_read(account.name, name, reference, environ, base_dir))
            except AuthError:
                continue


def check_value(account: str, name: str, reference: str, value: str) -> None:
    """AuthError unless `value` can be sent: visible ASCII with no whitespace inside (a header
    value), and for an address an absolute http(s) URL."""
    where = f"account {account!r}: credentials.{name} (from {_source(reference)})"
    if any(c.isspace() for c in value):
        raise AuthError(f"{where} has whitespace inside it; a copy-paste accident? Fix it there")
    if any(not (0x21 <= ord(c) <= 0x7E) for c in value):
        raise AuthError(f"{where} holds control or non-ASCII characters; fix it there")
    if name in URL_CREDENTIALS:
        scheme, _, rest = value.partition("://")
        if scheme.lower() not in {"http", "https"} or not rest.split("/", 1)[0]:
            raise AuthError(f"{where} must be an absolute http:// or https:// URL")


def _read(
    account: str, name: str, reference: str, environ: Mapping[str, str], base_dir: Path
) -> str:
    try:
        return read_reference(reference, environ, base_dir)
    except UnreadableSecretError as exc:
        raise AuthError(f"account {account!r}: credentials.{name}: {exc}") from None


def _source(reference: str) -> str:
    kind, _, where = reference.partition(":")
    return f"${where}" if kind == "env" else where


def _env_name(account: str, name: str) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in account).upper()
    return f"{stem}_{name.upper()}"
