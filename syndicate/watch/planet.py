"""Planet Venus / Planet 2.0 configurations (planet.ini) → `[[sources]]` tables.

A planet's INI file has a `[Planet]` section for the planet itself, a `[DEFAULT]` section whose
options every feed inherits, sections for templates and filters (`[index.html.tmpl]`,
`[excerpt.py]`), and one section per feed, named by the feed's URL. Only `name` maps onto
syndicate: it names the source and, as on the planet's pages, stands for the author of entries
that name none. The other per-feed options are template variables (`face`, `twitter`...) or
behaviour syndicate does not have (filters); the import says which were left behind.
"""

from __future__ import annotations

import configparser
import os
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

from syndicate.config import SourceSettings
from syndicate.content.tags import slugify
from syndicate.errors import ConfigError
from syndicate.sections import replace
from syndicate.watch.imported import Imported, make_source, unique_name, url_key
from syndicate.watch.opml import MAX_BYTES as MAX_LIST_BYTES
from syndicate.watch.opml import read_opml

# Options that change what a planet shows: syndicate cannot honour them, so each is reported.
_BEHAVIOUR = frozenset(
    {
        "filters",
        "filter",
        "exclude",
        "ignore_in_feed",
        "future_dates",
        "new_feed_items",
        "activity_threshold",
        "title_type",
        "summary_type",
        "content_type",
        "name_type",
        "xml_base",
    }
)
_MAPPED = frozenset({"name"})
_QUIET = frozenset({"feed_timeout"})  # how long Planet waited: polling has its own timeouts
_PLANET_SECTIONS = frozenset({"planet", "default"})
_LIST_FORMATS = ("opml", "foaf", "csv", "config")  # Venus's reading lists (OPML is read)
LIST_TIMEOUT = 30.0  # seconds to fetch a reading list
Fetch = Callable[[str, Path], bytes]  # a reading list's address (or path), the planet's folder


def read_planet(path: Path) -> list[SourceSettings]:
    """The feeds of the planet configured in `path`, as sources (see `import_planet`)."""
    return list(import_planet(path).sources)


def import_planet(path: Path, fetch: Fetch | None = None) -> Imported:
    """Read a planet.ini; raises ConfigError when it cannot be read or is not INI. The OPML
    reading lists it subscribes to are read with `fetch` (an address, or a path beside the
    planet file) and their feeds imported too."""
    fetch = fetch or fetch_list
    parser = _parse(path)
    defaults = _options(parser, "DEFAULT")
    warnings = _planet_warnings(parser, defaults)
    sources: list[SourceSettings] = []
    notes: dict[str, tuple[str, ...]] = {}
    taken: set[str] = set()
    lists: list[str] = []
    for section in _subscriptions(parser):
        options = {**defaults, **_options(parser, section)}
        listed = _reading_list(options)
        if listed == "opml":  # read after the planet's own feeds, whose settings come first
            lists.append(section.strip())
            continue
        if listed:
            warnings.append(
                f"[{section.strip()}] skipped: a reading list ({listed}); "
                "add the feeds it lists to the planet file, or as [[sources]] by hand"
            )
            continue
        name = options.get("name") or None
        source = make_source(section.strip(), name, name, taken, warnings)
        if source is None or any(url_key(s.url) == url_key(source.url) for s in sources):
            continue
        taken.add(slugify(source.name))
        sources.append(source)
        left = _left_behind(_options(parser, section))
        if left:
            notes[source.url] = left
    for listed_at in lists:
        for found in _listed(listed_at, path, fetch, warnings):
            _add(found, sources, taken)
    template_only = _template_variables(parser)
    if template_only:
        warnings.append(
            "template variables not imported (syndicate has no templates): "
            + ", ".join(template_only)
        )
    planet = _options(parser, "Planet").get("name") or None
    return Imported(planet, tuple(sources), tuple(warnings), notes, origin=path.name)


def _add(source: SourceSettings, sources: list[SourceSettings], taken: set[str]) -> None:
    """`source` from a reading list, unless a feed of the planet has its address; renamed if
    its name's slug is taken."""
    if any(url_key(s.url) == url_key(source.url) for s in sources):
        return
    name = unique_name(source.name, urlsplit(source.url).hostname or "", taken)
    taken.add(slugify(name))
    sources.append(replace(source, name=name))


def _listed(list_url: str, planet: Path, fetch: Fetch, warnings: list[str]) -> list[SourceSettings]:
    """The feeds of one OPML reading list; none, with a warning, when it cannot be read."""
    try:
        found = read_opml(fetch(list_url, planet.parent), list_url)
    except (ConfigError, OSError, httpx.HTTPError) as exc:
        warnings.append(f"[{list_url}] skipped: cannot read the reading list: {exc}")
        return []
    warnings.extend(f"[{list_url}] {warning}" for warning in found.warnings)
    return list(found.sources)


def fetch_list(where: str, base: Path) -> bytes:
    """A reading list's bytes: by HTTP(S) for an address, else the file (relative to `base`)."""
    if urlsplit(where).scheme not in ("http", "https"):
        return (base / where.removeprefix("file://")).read_bytes()
    data = bytearray()
    with httpx.stream("GET", where, timeout=LIST_TIMEOUT, follow_redirects=True) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_bytes():
            data += chunk
            if len(data) > MAX_LIST_BYTES:
                raise ConfigError(f"over {MAX_LIST_BYTES:,} bytes", file=where)
    return bytes(data)


def _subscriptions(parser: configparser.RawConfigParser) -> list[str]:
    """Venus's rule: every section but the planet's own, DEFAULT, and those that `[Planet]`
    names as its templates and filters (any section may add filters of its own)."""
    named = set(_options(parser, "Planet").get("template_files", "").split())
    for section in parser.sections():
        # A filter may carry arguments (`excerpt.py?width=500`); its section is its name.
        named.update(f.split("?")[0] for f in _options(parser, section).get("filters", "").split())
    return [
        section
        for section in parser.sections()
        if section.casefold() not in _PLANET_SECTIONS and section.strip() not in named
    ]


def _feed_sections(parser: configparser.RawConfigParser) -> list[str]:
    """The subscriptions that are feeds: an address, and not a list of other feeds."""
    return [
        section
        for section in _subscriptions(parser)
        if "://" in section and not _reading_list(_options(parser, section))
    ]


def _reading_list(options: Mapping[str, str]) -> str | None:
    """The format of a reading list (a subscription whose `content_type` says it lists other
    feeds), or None for a feed."""
    kind = options.get("content_type", "").casefold()
    return next((f for f in _LIST_FORMATS if f in kind), None)


def _template_variables(parser: configparser.RawConfigParser) -> list[str]:
    """Per-feed options Planet only passed to its templates (`face`, `twitter`...)."""
    known = _MAPPED | _BEHAVIOUR | _QUIET
    return sorted(
        {
            key
            for section in _feed_sections(parser)
            for key in _options(parser, section)
            if key not in known
        }
    )


def _parse(path: Path) -> configparser.RawConfigParser:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the planet configuration: {exc}", file=str(path)) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Planet ran on Python 2: any bytes went
    # Planet read its file with Python 2's parser: no empty lines inside values, `#` and `;`
    # comments, and `;` after a space ends a value. No interpolation here: `%` in a name or a
    # URL must stay as written. DEFAULT is read as an ordinary section so that what a feed
    # sets itself can be told from what it inherits.
    parser = configparser.RawConfigParser(
        strict=False,
        empty_lines_in_values=False,
        inline_comment_prefixes=(";",),
        default_section="\0none",
    )
    try:
        parser.read_string(text, source=str(path))
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError(
            "not a planet configuration: an option before any [section]",
            file=str(path),
            line=exc.lineno,
        ) from None
    except configparser.ParsingError as exc:
        raise ConfigError(
            "not a planet configuration: a line that is no [section], option or comment",
            file=str(path),
            line=exc.errors[0][0] if exc.errors else None,
        ) from None
    except configparser.Error as exc:
        message = str(exc).splitlines()[0]
        raise ConfigError(f"not a planet configuration: {message}", file=str(path)) from None
    if not any(s.casefold() == "planet" or "://" in s for s in parser.sections()):
        raise ConfigError("not a planet configuration: no [Planet] and no feeds", file=str(path))
    return parser


def _options(parser: configparser.RawConfigParser, wanted: str) -> dict[str, str]:
    """A section's own options (case-insensitive section names: Planet wrote `[planet]` too),
    values cleaned of invisible characters (a right-to-left mark after a Twitter handle)."""
    for section in parser.sections():
        if section.casefold() == wanted.casefold() or section == wanted:
            return {key: _clean(value or "") for key, value in parser.items(section)}
    return {}


def _clean(value: str) -> str:
    visible = "".join(c for c in value if unicodedata.category(c) != "Cf")
    return " ".join(visible.split())


def _left_behind(own: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(
        f"planet option not imported: {key} = {value}"
        for key, value in own.items()
        if key in _BEHAVIOUR
    )


def _planet_warnings(
    parser: configparser.RawConfigParser, defaults: Mapping[str, str]
) -> list[str]:
    warnings: list[str] = []
    planet = _options(parser, "Planet")
    for key, value in [*planet.items(), *defaults.items()]:
        if key in _BEHAVIOUR and value:
            warnings.append(f"planet-wide {key} = {value} not imported: syndicate has none")
    return warnings


# --- writing -----------------------------------------------------------------------------------


def sources_toml(
    sources: Iterable[SourceSettings], planet: str | os.PathLike[str] | Imported | None = None
) -> str:
    """`[[sources]]` tables for syndicate.toml, after a comment naming the planet.

    `planet` is what the sources came from: an import (its name and what was not imported are
    written as comments), the planet.ini to read again for them, or just a name.
    """
    imported = _about(planet)
    lines = [f"# Remote sources from {_heading(planet, imported)}"]
    if imported is not None:
        lines += [f"# {warning}" for warning in imported.warnings]
    notes = imported.notes if imported is not None else {}
    for source in sources:
        lines.append("")
        lines += [f"# {note}" for note in notes.get(source.url, ())]
        lines.append("[[sources]]")
        lines += [f"{key} = {value}" for key, value in _fields(source)]
    return "\n".join(_one_line(line) for line in lines) + "\n"


def _about(planet: str | os.PathLike[str] | Imported | None) -> Imported | None:
    if isinstance(planet, Imported):
        return planet
    if planet is None or isinstance(planet, str):
        return None
    try:
        return import_planet(Path(planet))
    except ConfigError:
        return None


def _heading(planet: str | os.PathLike[str] | Imported | None, imported: Imported | None) -> str:
    if planet is None:
        return "a planet"
    if isinstance(planet, str):
        return planet
    file = planet.origin if isinstance(planet, Imported) else Path(planet).name
    return f"{imported.name} ({file})" if imported is not None and imported.name else file


def _one_line(line: str) -> str:
    """A comment must not run onto the next line (a name could hold a newline)."""
    return " ".join(line.splitlines())


_DEFAULTS = {spec.name: spec.default for spec in msgspec.structs.fields(SourceSettings)}


def _fields(source: SourceSettings) -> list[tuple[str, str]]:
    """name and url always; the other settings only where they differ from the defaults."""
    out = [("name", _toml_string(source.name)), ("url", _toml_string(source.url))]
    if source.interval != _DEFAULTS["interval"]:
        out.append(("interval", repr(source.interval)))
    if source.tags:
        out.append(("tags", "[" + ", ".join(_toml_string(t) for t in source.tags) + "]"))
    if source.author:
        out.append(("author", _toml_string(source.author)))
    if source.include:
        out.append(("include", "true"))
    return out


def _toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def append_sources(
    config: Path,
    sources: Sequence[SourceSettings],
    planet: str | os.PathLike[str] | Imported | None = None,
) -> int:
    """Append to the config file the sources it does not already have (same URL); returns how
    many were added. A name already used by another source gets its host added. The file is
    replaced whole (temporary file, rename) and only if something was added."""
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    existing = _existing_sources(config, text)
    have = {url_key(str(s.get("url", ""))) for s in existing}
    taken = {slugify(str(s.get("name", ""))) for s in existing}
    new: list[SourceSettings] = []
    for source in sources:
        if url_key(source.url) in have:
            continue
        have.add(url_key(source.url))
        name = unique_name(source.name, urlsplit(source.url).hostname or "", taken)
        taken.add(slugify(name))
        new.append(replace(source, name=name))
    if not new:
        return 0
    combined = _with_blank_line(text) + sources_toml(new, planet)
    if len(_existing_sources(config, combined)) != len(existing) + len(new):
        raise ConfigError(
            "cannot append [[sources]] tables: the file defines `sources` another way",
            file=str(config),
        )
    _replace(config, combined)
    return len(new)


def _with_blank_line(text: str) -> str:
    if not text or text.endswith("\n\n"):
        return text
    return text + ("\n" if text.endswith("\n") else "\n\n")


def _existing_sources(config: Path, text: str) -> list[Mapping[str, Any]]:
    try:
        raw = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML, nothing appended: {exc}", file=str(config)) from None
    found = raw.get("sources", [])
    if not isinstance(found, list):
        raise ConfigError("`sources` must be [[sources]] tables", file=str(config))
    return [s for s in found if isinstance(s, Mapping)]


def _replace(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        if path.exists():
            Path(temporary).chmod(path.stat().st_mode & 0o7777)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
