"""Frontmatter through python-frontmatter: YAML (`---`), TOML (`+++`) or JSON (`{`).

YAML is read as YAML 1.2 reads booleans (`yes`, `no`, `on`, `off` stay strings), so a post
titled "No" or tagged "on" keeps its words.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from syndicate.errors import FrontmatterError

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL = "tag:yaml.org,2002:bool"


class _Yaml12Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The fast safe loader, with only true/false as booleans."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _TomlHandler(BaseHandler):
    """TOML frontmatter between `+++` lines, read with the standard library."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


_YAML = YAMLHandler()
_HANDLERS: tuple[BaseHandler, ...] = (_YAML, _TomlHandler(), JSONHandler())


def split(path: str, text: str) -> tuple[dict[str, Any], str]:
    """(metadata, body) of a source text. A text without frontmatter has empty metadata."""
    handler = next((h for h in _HANDLERS if h.detect(text)), None)
    if handler is None:
        return {}, text
    try:
        fm, body = handler.split(text)
    except ValueError:
        raise FrontmatterError(path, "frontmatter is opened but never closed", line=1) from None
    try:
        if handler is _YAML:
            data = plain_mapping(fm)
            if data is None:
                data = yaml.load(fm, Loader=_Yaml12Loader)  # noqa: S506 - a safe loader subclass
        else:
            data = handler.load(fm)
    except yaml.MarkedYAMLError as exc:
        line = _line_of(text, fm, exc.problem_mark.line if exc.problem_mark else 0)
        raise FrontmatterError(
            path, f"frontmatter is not valid YAML: {exc.problem}", line=line
        ) from None
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise FrontmatterError(path, f"frontmatter does not parse: {exc}", line=1) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontmatterError(
            path,
            f"frontmatter must be a mapping of keys to values, not {type(data).__name__}",
            line=1,
        )
    return {str(k): v for k, v in data.items()}, body.lstrip("\n")


_PLAIN_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):(?:[ ]+(.*?))?[ ]*$")
_UNSAFE_START = frozenset("-?:,[]{}#&*!|>'\"%@`.+~")
_BOOLEANS = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
_NULLS = {"null", "Null", "NULL", "~"}


def plain_mapping(fm: str) -> dict[str, Any] | None:
    """The frontmatter as a dict when it is only `key: plain value` lines, else None.

    Most posts' frontmatter is that simple, and reading it here costs a fifth of a YAML parse.
    Anything YAML could read differently (quotes, lists, blocks, comments, flow style, values
    with `: ` or ` #`) is left to the YAML parser. Values stay strings apart from the
    booleans and nulls, which is what every field syndicate reads accepts: dates and numbers
    are parsed by their readers, the same way whether YAML typed them or not.
    """
    data: dict[str, Any] = {}
    for line in fm.split("\n"):
        if not line.strip():
            continue
        match = _PLAIN_LINE.match(line)
        if match is None:
            return None
        key, value = match.group(1), match.group(2)
        if not value:
            data[key] = None
            continue
        quote = value[0]
        if quote in "\"'" and len(value) > 1 and value[-1] == quote and _simply_quoted(value):
            data[key] = value[1:-1]
            continue
        if (
            value[0] in _UNSAFE_START
            or ": " in value
            or " #" in value
            or value.endswith(":")
            or "\t" in value
        ):
            return None
        if value in _NULLS:
            data[key] = None
        else:
            data[key] = _BOOLEANS.get(value, value)
    return data


def _simply_quoted(value: str) -> bool:
    """A quoted scalar whose inside needs no unescaping (no quotes, backslashes or newlines)."""
    inner = value[1:-1]
    return value[0] not in inner and "\\" not in inner


def body_of(text: str) -> str:
    """The body of a source text, without reading its frontmatter."""
    handler = next((h for h in _HANDLERS if h.detect(text)), None)
    if handler is None:
        return text
    try:
        return handler.split(text)[1].lstrip("\n")
    except ValueError:
        return text


def _line_of(text: str, fm: str, line_in_fm: int) -> int:
    start = text.find(fm)
    return text.count("\n", 0, max(start, 0)) + line_in_fm + 1
