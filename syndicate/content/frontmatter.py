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
            data = yaml.load(fm, Loader=_Yaml12Loader)  # noqa: S506 - a safe loader subclass
        else:
            data = handler.load(fm)
    except yaml.MarkedYAMLError as exc:
        line = _line_of(text, fm, exc.problem_mark.line if exc.problem_mark else 0)
        raise FrontmatterError(path, f"frontmatter is not valid YAML: {exc.problem}", line=line) from None
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise FrontmatterError(path, f"frontmatter does not parse: {exc}", line=1) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontmatterError(path, f"frontmatter must be a mapping of keys to values, not {type(data).__name__}", line=1)
    return {str(k): v for k, v in data.items()}, body.lstrip("\n")


def _line_of(text: str, fm: str, line_in_fm: int) -> int:
    start = text.find(fm)
    return text.count("\n", 0, max(start, 0)) + line_in_fm + 1
