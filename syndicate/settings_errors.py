"""A settings file's mistake in words: msgspec's validation errors ("Expected `int` >= 1 -
at `$.feeds.limit`") read as the key they are at and what it should be ("Input should be
greater than or equal to 1"), for config.py's ConfigError with file, line and key."""

from __future__ import annotations

import re
from typing import Any, Literal, get_args, get_origin

import msgspec

from syndicate.sections import FieldError

_WHERE = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_FIELD_NAMED = re.compile(
    r"^Object (?P<what>contains unknown|missing required) field `(?P<key>[^`]+)`$"
)
_BOUND = re.compile(r"^Expected `\w+` (?P<op>>=|<=|>|<) (?P<limit>\S+)$")
_BOUND_WORDS = {
    ">=": "greater than or equal to",
    "<=": "less than or equal to",
    ">": "greater than",
    "<": "less than",
}


def explain(error: msgspec.ValidationError, root: type) -> tuple[str, tuple[str, ...]]:
    """What is wrong, in words, and the key it is wrong at (`("feeds", "tags", "limit")`),
    in the settings whose model is `root`."""
    found = _WHERE.match(str(error))
    assert found is not None
    message = found["message"]
    loc = tuple(a or b for a, b in _PATH_PART.findall(found["path"] or ""))
    named = _FIELD_NAMED.match(message)
    cause = error.__cause__
    if named:
        loc += (named["key"],)
        if named["what"] == "missing required":
            return "required setting is missing", loc
        return "unknown setting (check its spelling and section)", loc
    if isinstance(cause, FieldError):
        return str(cause), (*loc, _key_in_file(root, loc, cause.key))
    bound = _BOUND.match(message)
    if bound:
        limit = bound["limit"].removesuffix(".0")
        return f"Input should be {_BOUND_WORDS[bound['op']]} {limit}", loc
    choices = _choices(root, loc) if message.startswith("Invalid enum value") else ""
    if choices:
        return f"Input should be {choices}", loc
    kinds = _KINDS.match(message)
    if kinds:
        want, got = kinds["want"], kinds["got"]
        return f"Input should be a valid {_KIND_WORDS.get(want, want)}, not {got}", loc
    return message, loc


_KINDS = re.compile(r"^Expected `(?P<want>\w+)`, got `(?P<got>\w+)`$")
_KIND_WORDS = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean (true or false)",
    "array": "list",
    "object": "table",
}


def _key_in_file(root: type, loc: tuple[str, ...], name: str) -> str:
    """A key's name in the file (`schema`) from its name in the model (`schema_name`)."""
    table = _table_at(root, loc)
    if not (isinstance(table, type) and issubclass(table, msgspec.Struct)):
        return name
    return {f.name: f.encode_name for f in msgspec.structs.fields(table)}.get(name, name)


def _choices(root: type, loc: tuple[str, ...]) -> str:
    """The values a `Literal` key takes, found by its place in the settings."""
    options = [repr(o) for o in get_args(_table_at(root, loc))]
    return ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else "".join(options)


def _table_at(root: type, loc: tuple[str, ...]) -> Any:
    """The type of the setting at `loc` (a table, or a key's `Literal`)."""
    kind: Any = root
    for part in loc:
        if not part.isdigit():
            if not (isinstance(kind, type) and issubclass(kind, msgspec.Struct)):
                return None
            found = {f.encode_name: f for f in msgspec.structs.fields(kind)}.get(part)
            if found is None:
                return None
            kind = _unwrap(found.type)
    return kind


def _unwrap(kind: Any) -> Any:
    """The struct or Literal inside `tuple[X, ...]`, `X | None` or `Annotated[X, ...]`."""
    while get_origin(kind) not in (None, Literal):
        kind = next(a for a in get_args(kind) if a is not type(None) and a is not Ellipsis)
    return kind
