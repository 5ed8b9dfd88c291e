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

from syndicate.content.text import xml_safe_values
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


# Bounds on what a post's frontmatter may cost: its text, and the values its YAML aliases make
# (a kilobyte of nested aliases, "billion laughs", names billions of values).
MAX_FRONTMATTER_CHARS = 1_000_000
MAX_VALUES = 100_000


def _expanded_size(data: Any) -> int:
    """How many values `data` holds once its shared (aliased) parts are counted each time they
    are used; past MAX_VALUES, or for a value that holds itself, more than MAX_VALUES."""
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def size(value: Any) -> int:
        if not isinstance(value, dict | list):
            return 1
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in open_ids:
            return MAX_VALUES + 1  # an alias to an enclosing value: it never ends
        open_ids.add(key)
        children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_VALUES:
                break
        open_ids.discard(key)
        sizes[key] = total
        return total

    return size(data)


_YAML = YAMLHandler()
_HANDLERS: tuple[BaseHandler, ...] = (_YAML, _TomlHandler(), JSONHandler())


def split(path: str, text: str) -> tuple[dict[str, Any], str]:
    """(metadata, body) of a source text. A text without frontmatter has empty metadata."""
    data, body, _plain = _split(path, text)
    return data, body


def split_safe(path: str, text: str) -> tuple[dict[str, Any], str]:
    """`split`, with every string in the metadata XML-safe (text.xml_safe_values): YAML escapes
    (`"\\x01"`) make characters the file's bytes did not hold. Plain ASCII `key: value` lines
    (the fast path's, most posts') can hold none that need removing, so they are not walked."""
    data, body, plain = _split(path, text)
    return (data if plain else xml_safe_values(data)), body


def _split(path: str, text: str) -> tuple[dict[str, Any], str, bool]:
    """`split`, and whether the metadata came from ASCII plain lines (see split_safe)."""
    handler = next((h for h in _HANDLERS if h.detect(text)), None)
    if handler is None:
        return {}, text, True
    try:
        fm, body = handler.split(text)
    except ValueError:
        raise FrontmatterError(path, "frontmatter is opened but never closed", line=1) from None
    if len(fm) > MAX_FRONTMATTER_CHARS:
        raise FrontmatterError(
            path, f"frontmatter is over {MAX_FRONTMATTER_CHARS:,} characters long", line=1
        )
    plain = False
    try:
        if handler is _YAML:
            data = plain_mapping(fm)
            plain = data is not None and fm.isascii()  # then nothing XML forbids is in it
            if data is None:
                data = yaml.load(fm, Loader=_Yaml12Loader)  # noqa: S506 - a safe loader subclass
        else:
            data = handler.load(fm)
    except yaml.MarkedYAMLError as exc:
        line = _line_of(text, fm, exc.problem_mark.line if exc.problem_mark else 0)
        raise FrontmatterError(
            path, f"frontmatter is not valid YAML: {exc.problem}", line=line
        ) from None
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"line (\d+)", str(exc))
        line = _line_of(text, fm, int(at.group(1)) - 1) if at else 1
        raise FrontmatterError(path, f"frontmatter is not valid TOML: {exc}", line=line) from None
    except (yaml.YAMLError, ValueError) as exc:
        raise FrontmatterError(path, f"frontmatter does not parse: {exc}", line=1) from None
    if data is None:
        data = {}
    if handler is _YAML and ("&" in fm and "*" in fm) and _expanded_size(data) > MAX_VALUES:
        raise FrontmatterError(
            path,
            f"frontmatter's aliases (`*name`) expand to over {MAX_VALUES:,} values "
            "(or into themselves)",
            line=1,
        )
    if not isinstance(data, dict):
        raise FrontmatterError(
            path,
            f"frontmatter must be a mapping of keys to values, not {type(data).__name__}",
            line=1,
        )
    return {str(k): v for k, v in data.items()}, body.lstrip("\n"), plain


_PLAIN_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):(?:[ ]+(.*?))?[ ]*$")
_UNSAFE_START = frozenset("-?:,[]{}#&*!|>'\"%@`.+~")
# Characters YAML refuses outright or reads as line breaks: only its parser can say what they do.
# Spelled as what is refused, not as the negation of what is allowed (the same set: see
# tests/content/test_frontmatter.py): a negated class reaching U+10FFFF takes 5 ms to compile.
_NOT_PLAIN_TEXT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
# YAML's own constructors for the plain scalars it types; other tags are left to the parser.
_TYPED = {f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")}
_CONSTRUCTORS = {
    tag: construct
    for tag, construct in yaml.constructor.SafeConstructor.yaml_constructors.items()
    if tag in _TYPED
}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_REFUSED = object()


def plain_mapping(fm: str) -> dict[str, Any] | None:
    """The frontmatter as a dict when it is only `key: plain value` lines, else None.

    Most posts' frontmatter is that simple, and reading it here costs a fifth of a YAML parse.
    Anything YAML could read differently (quotes, lists, blocks, comments, flow style, values
    with `: ` or ` #`) is left to the YAML parser. Plain values are typed by YAML's own rules
    (so `0`, `1.10` and `2015-05-21` come out as YAML would give them) and any other value
    stays a string: the result is always what the YAML parser would return.
    """
    if _NOT_PLAIN_TEXT.search(fm):
        return None
    data: dict[str, Any] = {}
    for line in fm.split("\n"):
        if not line.strip(" "):  # blank to YAML: no tab, and a no-break space is text
            continue
        match = _PLAIN_LINE.match(line)
        if match is None:
            return None
        key, value = match.group(1), match.group(2)
        if _typed(key) != key:
            return None  # `true:` or `null:` is not a string key
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
        typed = _typed(value)
        if typed is _REFUSED:
            return None
        data[key] = typed
    return data


def _typed(scalar: str) -> Any:
    """A plain scalar as YAML's resolvers type it, or _REFUSED for a type we do not build."""
    for tag, pattern in _Yaml12Loader.yaml_implicit_resolvers.get(scalar[0], ()):
        if pattern.match(scalar):
            construct = _CONSTRUCTORS.get(tag)
            if construct is None:
                return _REFUSED  # `<<` (merge) or `=` (value): the parser decides
            return construct(_CONSTRUCTOR, yaml.ScalarNode(tag, scalar))
    return scalar


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
