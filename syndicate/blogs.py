"""Several blogs in one deployment: the config files named on the command line, each one a
blog's settings as ever, loaded together and checked against each other.

`--config` may be given more than once, and a folder stands for every `*.toml` in it (sorted),
so `syndicate --config /etc/syndicate/blogs run` serves every blog put in that folder. A blog
is chosen by its name (`[cluster] blog`, else the site URL's host and path) or by its config
file's name without `.toml`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate.errors import ConfigError
from syndicate.locations import find_config

if TYPE_CHECKING:
    from syndicate.config import Settings


def config_files(given: Sequence[str], environ: Mapping[str, str]) -> list[Path]:
    """The config files: each `--config`, a folder for its `*.toml`; else the one
    `find_config` finds ($SYNDICATE_CONFIG may be a folder too)."""
    named = [Path(path) for path in given] or [find_config(None, environ)]
    files: list[Path] = []
    for path in named:
        if path.is_dir():
            inside = sorted(p for p in path.glob("*.toml") if p.is_file())
            if not inside:
                raise ConfigError("a folder of blogs with no *.toml file in it", file=str(path))
            files += inside
        else:
            files.append(path)
    return list(dict.fromkeys(files))  # a file named twice is one blog


def load_blogs(files: Sequence[Path], environ: Mapping[str, str] | None = None) -> list[Settings]:
    """Every blog's settings; a ConfigError when one cannot be used, or when two of them would
    share a name, a ledger, an output folder or a render cache (each would overwrite the
    other's)."""
    blogs, broken = load_each(files, environ)
    if broken:
        raise broken[0]
    return blogs


def load_each(
    files: Sequence[Path], environ: Mapping[str, str] | None = None
) -> tuple[list[Settings], list[ConfigError]]:
    """The settings of the blogs whose config can be used, and the errors of the others, for
    the commands that go on with the other blogs past a broken one. Those that load must not
    share what `load_blogs` says."""
    from syndicate.config import load_settings

    environ = os.environ if environ is None else environ
    blogs: list[Settings] = []
    broken: list[ConfigError] = []
    for path in files:
        try:
            blogs.append(load_settings(path, environ))
        except ConfigError as error:
            broken.append(error)
    _distinct(blogs, "name", lambda s: s.blog_name, "set [cluster] blog in one of them")
    _distinct(blogs, "ledger", lambda s: s.store_url, "give each its own store.url or store.schema")
    _distinct(blogs, "feeds.output", lambda s: str(s.output_dir), "give each its own")
    _distinct(blogs, "store.cache", lambda s: str(s.cache_path), "give each its own")
    return blogs, broken


def distinct_addresses(blogs: Iterable[Settings]) -> None:
    """For the commands that listen: no two blogs on one address and port (0 is any port)."""
    _distinct(
        [settings for settings in blogs if settings.server.port != 0],
        "server address",
        lambda s: f"{s.server.host}:{s.server.port}",
        "give each its own server.port",
    )


def choose(blogs: Sequence[Settings], name: str) -> Settings:
    """The blog called `name`: its blog name, else its config file's name without .toml."""
    for settings in blogs:
        if settings.blog_name == name:
            return settings
    for settings in blogs:
        if settings.source_file is not None and settings.source_file.stem == name:
            return settings
    raise ConfigError(f"no blog is called {name!r}; there are {names(blogs)}")


def names(blogs: Iterable[Settings]) -> str:
    return ", ".join(settings.blog_name for settings in blogs)


def _distinct(
    blogs: Sequence[Settings], what: str, key: Callable[[Settings], str], advice: str
) -> None:
    seen: dict[str, Settings] = {}
    for settings in blogs:
        value = key(settings)
        if value in seen:
            first = seen[value].source_file
            raise ConfigError(
                f"this blog and the one in {first} have the same {what}; {advice}",
                file=str(settings.source_file),
            )
        seen[value] = settings
