"""Which paths of a blog's tree its generator publishes: where syndicate must write nothing.

Jekyll copies every file of its source into `_site/` except what starts with `_`, `.` or `#`,
ends with `~`, or its `exclude:` list names (unless `include:` brings it back), and empties
`_site/` at each build. Hugo publishes into `public/` (`publishDir`) what `static/` and
`content/` hold. A database or an admin token in any of those would be on the web site.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import yaml

from syndicate.content.layouts import hugo_config, read_config

# Jekyll's own additions to any `exclude:` list (Configuration::DEFAULT_EXCLUDES).
_JEKYLL_EXCLUDES = (
    ".sass-cache",
    ".jekyll-cache",
    "gemfiles",
    "Gemfile",
    "Gemfile.lock",
    "node_modules",
    "vendor/bundle/",
    "vendor/cache/",
    "vendor/gems/",
    "vendor/ruby/",
)


def published_by(root: Path, layout: str, path: Path) -> str | None:
    """Why the generator of the blog at `root` would publish (or wipe) `path`, else None."""
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return None  # outside the blog: the generator never sees it
    try:
        if layout == "jekyll":
            return _jekyll(read_config(root / "_config.yml"), relative)
        if layout == "hugo":
            return _hugo(hugo_config(root), relative)
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _jekyll(config: dict[str, Any], relative: Path) -> str | None:
    destination = str(config.get("destination") or "_site").strip("/")
    if relative.parts[: len(Path(destination).parts)] == Path(destination).parts:
        return f"`jekyll build` empties {destination}/ and writes the site there"
    text = relative.as_posix()
    included = _strings(config.get("include")) or [".htaccess"]
    excluded = _strings(config.get("exclude"))
    excluded = [*excluded, *_JEKYLL_EXCLUDES] if excluded else []
    if any(_jekyll_glob(pattern, text) for pattern in excluded if pattern not in included):
        return None
    for depth in range(1, len(relative.parts) + 1):
        part = relative.parts[depth - 1]
        special = part.startswith(("_", ".", "#")) or part.endswith("~")
        prefix = "/".join(relative.parts[:depth])
        if special and not any(_jekyll_glob(pattern, prefix) for pattern in included):
            return None
    return "`jekyll build` copies it into _site/ (set `exclude:` or use a `_` or `.` folder)"


def _jekyll_glob(pattern: str, text: str) -> bool:
    """EntryFilter#glob_include?: an fnmatch, or a path under the pattern."""
    pattern = pattern.lstrip("/")
    return (
        fnmatch.fnmatchcase(text, pattern)
        or text.startswith(pattern.rstrip("/") + "/")
        or text == pattern.rstrip("/")
    )


def _hugo(config: dict[str, Any], relative: Path) -> str | None:
    first = relative.parts[0] if relative.parts else ""
    publish = str(config.get("publishDir") or config.get("publishdir") or "public").strip("/")
    if relative.as_posix() == publish or relative.as_posix().startswith(publish + "/"):
        return f"`hugo` writes the site into {publish}/"
    statics = _strings(config.get("staticDir") or config.get("staticdir")) or ["static"]
    content = str(config.get("contentDir") or config.get("contentdir") or "content")
    if first in [s.strip("/") for s in statics]:
        return f"`hugo` copies {first}/ into {publish}/"
    if first == content.strip("/"):
        return f"`hugo` publishes the files of {first}/ beside its pages"
    if first == "themes" and "static" in relative.parts:
        return f"`hugo` copies a theme's static/ into {publish}/"
    return None
