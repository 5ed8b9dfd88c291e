"""Every exception syndicate raises on purpose, in one tree.

    SyndicateError
     ├── ConfigError           the config file is missing, unreadable or invalid
     ├── ContentError          one source file could not become a post
     │    ├── EncodingError    its bytes are not text we can trust
     │    ├── FrontmatterError its frontmatter is not valid YAML, TOML or JSON
     │    └── PostDataError    a field is missing or wrong (title, date, ...)
     ├── StoreError            the state database cannot be used
 ├── UsageError            a command names something that does not exist (a post, a delivery)
 ├── DraftExistsError      the round-up draft `digest` would write is already there
 │                         (publish/digest.py)
     └── OutputError           a feed file cannot be written

A ContentError is about one post: the build reports it and carries on with the
others. The rest stop the command that met them.
"""

from __future__ import annotations


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


class OutputError(SyndicateError):
    """A feed file cannot be written."""


class UsageError(SyndicateError):
    """A command names something that does not exist (a post, a delivery, an account)."""
