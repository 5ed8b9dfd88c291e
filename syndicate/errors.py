"""Every exception syndicate raises on purpose, in one tree. Import them from here (or from
`syndicate`); no other module defines a public exception.

    SyndicateError
     ├── ConfigError            the config file is missing, unreadable or invalid
     ├── ContentError           one source file could not become a post
     │    ├── EncodingError     its bytes are not text we can trust
     │    ├── FrontmatterError  its frontmatter is not valid YAML, TOML or JSON
     │    └── PostDataError     a field is missing or wrong (title, date, ...)
     ├── StoreError             the state database cannot be used
     ├── OutputError            a feed file cannot be written
     ├── UsageError             a command names something that does not exist (a post, a delivery)
     ├── DraftExistsError       the round-up draft `digest` would write is already there
     ├── NotAFeedError          (also a ValueError) fetched bytes hold no feed at all
     ├── AddressRefusedError    a remote source's host resolves to an address it may not reach
     ├── NotFoundError          (also a LookupError) the dashboard has no such thing
     ├── ConflictError          (also a ValueError) a dashboard action does not apply now
     ├── RefusedError           a request the dashboard will not serve (status, stable code)
     └── PublishError           a send did not happen, or may not have
          ├── RateLimitedError  429: try again at `until` (the network's reset time)
          ├── TransientError    5xx, timeouts, refused or dropped connections: back off, retry
          │    └── AmbiguousError  the request may have reached the network: find() first
          ├── AuthError         401/403: the account's credentials or permissions: pause it
          ├── RejectedError     the network refuses this message (422, too long...): fail it
          └── DuplicateError    the network already has this post (X's 403): reconcile

A ContentError is about one post: the build reports it and carries on with the
others. A PublishError is about one delivery: the outbox decides what happens next from its
class alone, without knowing the network. The rest stop the command that met them. Errors that
were a ValueError or LookupError before this tree existed still are, so no caller changes.
"""

from __future__ import annotations

from datetime import datetime

from syndicate.redaction import redact


class SyndicateError(Exception):
    """Base of every error syndicate raises on purpose."""


class ConfigError(SyndicateError):
    """The configuration cannot be used; says where and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.reason = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        if self.key:
            where += f": {self.key}"
        return f"{where}: {self.reason}"


class ContentError(SyndicateError):
    """One source file could not become a post."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type[ContentError], tuple[str, str, int | None]]:
        # Errors cross from worker processes; the default reduce would lose the fields.
        return type(self), (self.path, self.reason, self.line)


class EncodingError(ContentError):
    """The file's bytes are not text in an encoding we can identify with confidence."""


class FrontmatterError(ContentError):
    """The frontmatter block does not parse."""


class PostDataError(ContentError):
    """A frontmatter field is missing or has a value we cannot use."""


class StoreError(SyndicateError):
    """The state database cannot be opened, migrated or written."""


class StaleOwnerError(StoreError):
    """A ledger write by a node of a cluster that no longer owns the blog: another node took
    it over (store/ownership.py). Refused, whatever that node believes."""


class OutputError(SyndicateError):
    """A feed file cannot be written."""


class UsageError(SyndicateError):
    """A command names something that does not exist (a post, a delivery, an account)."""


class DraftExistsError(SyndicateError):
    """The round-up's file is already there; it is left alone."""


class NotAFeedError(SyndicateError, ValueError):
    """The bytes hold no feed at all (an error page, garbage, nothing)."""


class AddressRefusedError(SyndicateError):
    """A host whose address a source may not be fetched from. The message says which and
    how to allow it, for the source's status."""

    def __init__(self, host: str, address: object, kind: str) -> None:
        shown = host if host == str(address) else f"{host} = {address}"
        super().__init__(
            f"refused to connect to {shown} ({kind} address): a remote source may reach only "
            "public addresses and its own url's host (or, set `intranet = true`, a private "
            "network's)"
        )
        self.host = host
        self.address = address
        self.kind = kind


class NotFoundError(SyndicateError, LookupError):
    """No such post, delivery, account or feed."""


class ConflictError(SyndicateError, ValueError):
    """The action does not apply to the thing as it is now (retry a sent delivery, say)."""


class RefusedError(SyndicateError):
    """A request the dashboard will not serve; `code` is the API's stable error code;
    `retry_after` the seconds to wait, for a 429."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


class PublishError(SyndicateError):
    """A send that did not happen, or may not have; `reason` is for people, and never holds
    a credential value (an exception or an answer that quotes one is redacted here)."""

    def __init__(self, reason: str) -> None:
        self.reason = redact(reason)
        super().__init__(self.reason)


class RateLimitedError(PublishError):
    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.until = until


class TransientError(PublishError):
    """Worth retrying after a backoff: the network or the connection failed."""


class AmbiguousError(TransientError):
    """The request may have been applied (a timeout or dropped connection after sending)."""


class AuthError(PublishError):
    """The credentials are missing, wrong or lack permission: the account is paused."""


class RejectedError(PublishError):
    """The network refuses this message for good; retrying the same text cannot help."""


class DuplicateError(PublishError):
    """The network already has this text from this account (X's duplicate-content 403)."""
