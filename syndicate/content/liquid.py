"""Jekyll's Liquid in posts, rendered as Jekyll renders it before the Markdown.

The engine is python-liquid (a complete Liquid 5), given what Jekyll gives a post: `site` (the
blog's `_config.yml`, its address as syndicate's settings say, `site.data` from `_data/`) and
`page` (the post's frontmatter, its url and path), and Jekyll's URL filters. So
`{{ site.repository }}/issues/1339` is the repository's issue, and a `{% for %}` over a list
writing reference-link definitions writes them.

What is Jekyll's and not Liquid's is settled first: `{% raw %}` is kept aside, `{% highlight %}`
becomes a fence, `{% post_url %}` and `{% link %}` become the permalink they name. A tag or a
filter neither knows (a plugin's, `{% include %}`, which reads the theme's files) is removed
with a warning, so it costs only itself; a template Liquid cannot read at all loses its tags
and variables, with a warning. Each variable that prints nothing because it is not defined is
named in a warning.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import yaml
from liquid import Environment, Undefined
from liquid.exceptions import LiquidError

from syndicate.content.permalinks import jekyll_slugify
from syndicate.content.site_paths import jekyll_file_url
from syndicate.content.templating import Expansion, Resolver

PageData = Callable[[], Mapping[str, Any]]  # the post's `page` variables, made when asked

_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_HIGHLIGHT = re.compile(
    r"\{%-?\s*highlight\s+([\w+#.-]+)[^%]*%\}\n?(.*?)\n?\{%-?\s*endhighlight\s*-?%\}", re.DOTALL
)
_TAG = re.compile(r"\{%-?\s*(\w+)\s*(.*?)\s*-?%\}", re.DOTALL)
_OUTPUT = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
_QUOTED = re.compile(r"""'[^']*'|"[^"]*\"""")
_FILTER = re.compile(r"\|\s*([A-Za-z_][\w-]*)")
_PLACEHOLDER = "\ue001{}\ue001"
# The parts of Liquid's blocks that are not tags of their own.
_INNER = frozenset(
    {"else", "elsif", "when", "endif", "endunless", "endcase", "endfor", "endcapture"}
    | {"endcomment", "endtablerow", "enddoc", "endifchanged", "break", "continue"}
)
# Jekyll's own `include` reads _includes/ with arguments Liquid's `include` does not take.
_NOT_OURS = frozenset({"include", "include_relative", "render"})


class _Environment(Environment):
    loop_iteration_limit = 100_000  # a post cannot stall the build
    output_stream_limit = 10_000_000


class JekyllLiquid:
    """Renders the Liquid of one Jekyll blog's posts; renders in several threads keep their
    warnings apart."""

    def __init__(
        self, site_url: str, config: Mapping[str, Any] | None = None, root: Path | None = None
    ) -> None:
        parts = urlsplit(site_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base = parts.path.rstrip("/")
        site: dict[str, Any] = dict(config or {})
        site.update(url=self._origin, baseurl=self._base)
        if root is not None:
            site["data"] = DataFolder(root / str(site.get("data_dir") or "_data"))
        self._site = site
        self._root = root
        self._printed = _Printed()  # per thread: the dashboard's preview renders beside builds
        self._env = _Environment(undefined=_recorder(self._printed))
        self._env.filters.update(self._jekyll_filters())

    def expand(self, body: str, resolve: Resolver, page: PageData = dict) -> Expansion:
        """`body` with its Liquid rendered; warnings name what was removed or undefined."""
        out = Expansion(body)
        kept: list[str] = []

        def keep(match: re.Match[str]) -> str:
            kept.append(match.group(1))
            return _PLACEHOLDER.format(len(kept) - 1)

        text = _RAW.sub(keep, body)
        text = _HIGHLIGHT.sub(lambda m: f"```{m.group(1)}\n{m.group(2)}\n```", text)
        text = _TAG.sub(lambda m: self._tag(m, resolve, out), text)
        text = _OUTPUT.sub(lambda m: self._output(m, out), text)
        if "{%" in text or "{{" in text:
            text = self._render(text, page, out)
        for index, raw in enumerate(kept):
            text = text.replace(_PLACEHOLDER.format(index), raw)
        out.text = text
        return out

    def _tag(self, match: re.Match[str], resolve: Resolver, out: Expansion) -> str:
        name, argument = match.group(1), match.group(2)
        if name in ("post_url", "link"):
            reference = argument.strip().strip("'\"")
            target = resolve(reference)
            if target is None and name == "link":
                target = self._file_url(reference)
            if target is None:
                out.warnings.append(f"{{% {name} {argument} %}} names nothing the blog has")
                return ""
            return target
        if name in _NOT_OURS or (name not in self._env.tags and name not in _INNER):
            out.warnings.append(f"Liquid tag {{% {name} %}} is not expanded in feeds; removed")
            return ""
        unknown = self._unknown_filters(argument)
        if unknown:
            out.warnings.append(
                f"Liquid filter {unknown} in {{% {name} {argument} %}} is not expanded in "
                "feeds; the tag is removed"
            )
            return ""
        return match.group(0)

    def _output(self, match: re.Match[str], out: Expansion) -> str:
        unknown = self._unknown_filters(match.group(1))
        if unknown:
            out.warnings.append(
                f"Liquid filter {unknown} in {{{{ {match.group(1)} }}}} is not expanded in "
                "feeds; removed"
            )
            return ""
        return match.group(0)

    def _unknown_filters(self, expression: str) -> str | None:
        names = _FILTER.findall(_QUOTED.sub("''", expression))
        return next((n for n in names if n not in self._env.filters), None)

    def _render(self, text: str, page: PageData, out: Expansion) -> str:
        self._printed.names = []
        try:
            template = self._env.from_string(text)
            rendered = template.render(site=self._site, page=_Lazy(page))
        except (LiquidError, RecursionError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            out.warnings.append(
                f"Liquid cannot read this post ({reason}); its tags and variables are removed"
            )
            rendered = _OUTPUT.sub("", _TAG.sub("", text))
        for name in dict.fromkeys(self._printed.names):
            out.warnings.append(
                f"{{{{ {name} }}}} is not defined (in _config.yml or the post's frontmatter); "
                "it prints nothing"
            )
        return rendered

    def _file_url(self, reference: str) -> str | None:
        """`{% link %}` to a page or a collection's document, as Jekyll gives its URL."""
        if self._root is None:
            return None
        path = jekyll_file_url(self._root, self._site, reference)
        return None if path is None else self._origin + self._base + path

    def _jekyll_filters(self) -> dict[str, Callable[..., Any]]:
        def relative_url(value: object) -> str:
            text = _text(value)
            if _ABSOLUTE.match(text) or text.startswith("//"):
                return text
            return f"{self._base}/{text.lstrip('/')}"

        def absolute_url(value: object) -> str:
            text = _text(value)
            if _ABSOLUTE.match(text) or text.startswith("//"):
                return text
            return self._origin + relative_url(text)

        return {
            "relative_url": relative_url,
            "absolute_url": absolute_url,
            "xml_escape": lambda value: html.escape(_text(value), quote=False),
            "cgi_escape": lambda value: quote_plus(_text(value)),
            "uri_escape": lambda value: quote(_text(value), safe="/:@!$&'()*+,;=-._~?#[]"),
            "slugify": lambda value, mode="default": jekyll_slugify(
                _text(value), pretty=mode == "pretty"
            ),
            "jsonify": lambda value: json.dumps(value, default=str),
            "markdownify": _text,  # the body is Markdown already; it is rendered after this
            "normalize_whitespace": lambda value: " ".join(_text(value).split()),
            "number_of_words": lambda value: len(_text(value).split()),
            "array_to_sentence_string": _sentence,
        }


_ABSOLUTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _sentence(value: object, connector: str = "and") -> str:
    words = [_text(v) for v in value] if isinstance(value, list) else [_text(value)]
    if len(words) <= 2:
        return f" {connector} ".join(words)
    return f"{', '.join(words[:-1])}, {connector} {words[-1]}"


class _Printed(threading.local):
    """The undefined variables printed by the render under way in this thread."""

    def __init__(self) -> None:
        self.names: list[str] = []


def _recorder(sink: _Printed) -> type[Undefined]:
    """An Undefined that notes each time it is printed (in a condition it says nothing)."""

    class Recorder(Undefined):
        __slots__ = ()

        def __str__(self) -> str:
            hint = (self.hint or "").removesuffix(" is undefined").strip("'")
            sink.names.append(hint if hint.startswith(self.name) else self.name)
            return ""

    return Recorder


class _Lazy(Mapping[str, Any]):
    """`page`, made only when a template reads it (it costs reading the post's frontmatter)."""

    def __init__(self, make: PageData) -> None:
        self._make = make
        self._data: Mapping[str, Any] | None = None

    def _get(self) -> Mapping[str, Any]:
        if self._data is None:
            self._data = self._make()
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


class DataFolder(Mapping[str, Any]):
    """`site.data`: each `_data/<name>.yml|yaml|json` (or folder of them), read when named."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._cache: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._cache:
            self._cache[key] = self._read(key)
        if self._cache[key] is None:
            raise KeyError(key)
        return self._cache[key]

    def _read(self, key: str) -> Any:
        if "/" in key or key.startswith("."):
            return None
        if (self._folder / key).is_dir():
            return DataFolder(self._folder / key)
        for ext in ("yml", "yaml", "json"):
            path = self._folder / f"{key}.{ext}"
            try:
                text = path.read_text("utf-8-sig")
            except OSError:
                continue
            try:
                return json.loads(text) if ext == "json" else yaml.safe_load(text)
            except (ValueError, yaml.YAMLError):
                return None
        return None

    def __iter__(self) -> Iterator[str]:
        try:
            names = sorted(p.name for p in self._folder.iterdir())
        except OSError:
            return iter(())
        return iter(dict.fromkeys(n.rsplit(".", 1)[0] for n in names if not n.startswith(".")))

    def __len__(self) -> int:
        return sum(1 for _ in self)
