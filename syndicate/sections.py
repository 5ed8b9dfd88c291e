"""What every table of the settings is made of: a frozen msgspec Struct that refuses unknown
keys, and the checks its `__post_init__` runs.

Why msgspec and not pydantic (which the admin API keeps, through FastAPI): every command reads
the settings first, and pydantic's models cost about 0.1 s to define in each new process, a
fifth of `syndicate build` after one new post; msgspec defines and converts them in a few
milliseconds. Converting checks types, bounds (`Annotated[int, Meta(ge=1)]`) and choices
(`Literal`); a table's own checks run in `__post_init__`, raising `FieldError` to name the key
at fault (settings_errors.py words either for config.py's ConfigError with file, line and key).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from msgspec import structs


class Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One table of the settings."""


S = TypeVar("S", bound=Section)


class FieldError(ValueError):
    """A check of one key failed (raised from `__post_init__`, where msgspec knows only the
    table)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def check(section: Section, key: str, verify: Any) -> None:
    """Run `verify(value)` on one key: its ValueError becomes a FieldError naming the key, and
    a value it returns replaces the one given (a URL given its trailing slash)."""
    value = getattr(section, key)
    try:
        normal = verify(value)
    except ValueError as exc:
        raise FieldError(key, str(exc)) from None
    if normal is not None and normal != value:
        structs.force_setattr(section, key, normal)


def parse(kind: type[S], table: Mapping[str, Any]) -> S:
    """A table from plain values (TOML's), converted and checked; msgspec.ValidationError
    says what is wrong and where. Numbers and booleans may be written as strings, as
    `${NAME}` from the environment makes them (`port = "${PORT}"`)."""
    return msgspec.convert(table, kind, strict=False, dec_hook=_paths)


def _paths(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError


def replace(section: S, **changes: Any) -> S:
    """A copy with some keys changed. The table's own checks (`__post_init__`) run again;
    types and bounds, which converting checks, are the caller's to keep."""
    return structs.replace(section, **changes)


def to_plain(value: Any) -> Any:
    """Plain JSON values with the Python names of the keys (`json_`, `schema_name`), in their
    order: what the build's fingerprints of the settings are made from."""
    if isinstance(value, msgspec.Struct):
        return {f.name: to_plain(getattr(value, f.name)) for f in structs.fields(value)}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # a Path
