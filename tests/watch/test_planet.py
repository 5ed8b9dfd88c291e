"""Importing a planet's configuration as [[sources]] tables, and appending them to a config."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from syndicate.config import SourceSettings, parse_settings
from syndicate.errors import ConfigError
from syndicate.sections import parse
from syndicate.watch.planet import (
    append_sources,
    import_planet,
    read_planet,
    sources_toml,
)
from syndicate.watch.poll import source_prefix
from tests.conftest import CORPORA
from tests.watch.conftest import DATA

PLANET = DATA / "planet.ini"
RDO = CORPORA / "rdo" / "planet-rdo.ini"
CONFIG = '[site]\nurl = "https://planet.example.org/"\n'


def test_feed_sections_become_sources() -> None:
    sources = read_planet(PLANET)
    assert [(s.name, s.url, s.author) for s in sources] == [
        ("Alice Example", "https://alice.example.net/feed.atom", "Alice Example"),
        ("Bob", "http://bob.example.com/?feed=rss2&cat=5", "Bob"),
        ("nameless.example.org", "https://nameless.example.org/feeds/all.atom.xml", None),
        # The same name twice: the second gets its host, so the two keep apart in the ledger.
        (
            "Alice Example (alice.example.net)",
            "https://alice.example.net/other%20feed.xml",
            "Alice Example",
        ),
        # From the OPML reading list beside the planet file (its copy of Alice's feed is not).
        ("Carol", "https://carol.example.org/atom.xml", "Carol"),
    ]
    assert all(s.interval == 1800 and s.tags == () and not s.include for s in sources)
    assert len({source_prefix(s.name) for s in sources}) == len(sources)


def test_what_is_not_imported_is_said() -> None:
    imported = import_planet(PLANET)
    assert imported.name == "Planet Example"
    assert imported.warnings == (
        "planet-wide filters = excerpt.py not imported: syndicate has none",
        "[https://planet.example.org/people.foaf] skipped: a reading list (foaf); "
        "add the feeds it lists to the planet file, or as [[sources]] by hand",
        "[ftp://files.example.org/feed.xml] skipped: not an http(s) address",
        "[members.opml] [gopher://old.example.org/feed] skipped: not an http(s) address",
        "template variables not imported (syndicate has no templates): face, twitter",
    )
    assert imported.notes == {
        "http://bob.example.com/?feed=rss2&cat=5": (
            "planet option not imported: filters = stripAd/feedburner.sed",
            "planet option not imported: exclude = (?i)sponsored",
        )
    }


def test_toml_names_the_planet_and_reads_back() -> None:
    text = sources_toml(read_planet(PLANET), PLANET)
    assert text.startswith("# Remote sources from Planet Example (planet.ini)\n")
    assert (
        '# planet option not imported: exclude = (?i)sponsored\n[[sources]]\nname = "Bob"' in text
    )
    tables = tomllib.loads(text)["sources"]
    assert [parse(SourceSettings, t) for t in tables] == read_planet(PLANET)


def test_toml_strings_are_escaped() -> None:
    odd = SourceSettings(
        name='Quote " back\\slash\ttab\nnewline',
        url="https://x.example/feed",
        interval=600,
        tags=("a", "b c"),
        include=True,
    )
    text = sources_toml([odd], "A planet\nwith two lines")
    assert text.splitlines()[0] == "# Remote sources from A planet with two lines"
    (table,) = tomllib.loads(text)["sources"]
    assert parse(SourceSettings, table) == odd


def test_append_adds_only_new_sources(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text(
        CONFIG + '\n[[sources]]\nname = "Bob"\nurl = "HTTP://BOB.EXAMPLE.COM/?feed=rss2&cat=5"\n',
        encoding="utf-8",
    )
    found = read_planet(PLANET)
    assert append_sources(config, found, PLANET) == 4
    settings = parse_settings(config.read_text("utf-8"), file="x", base_dir=tmp_path)
    assert [s.name for s in settings.sources] == [
        "Bob",
        "Alice Example",
        "nameless.example.org",
        "Alice Example (alice.example.net)",
        "Carol",
    ]
    before = config.read_bytes()
    assert append_sources(config, found, PLANET) == 0
    assert config.read_bytes() == before


def test_append_keeps_names_apart(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text(
        CONFIG + '[[sources]]\nname = "alice example"\nurl = "https://elsewhere.example/"\n',
        encoding="utf-8",
    )
    assert append_sources(config, read_planet(PLANET)[:1]) == 1
    names = [s["name"] for s in tomllib.loads(config.read_text("utf-8"))["sources"]]
    assert names == ["alice example", "Alice Example (alice.example.net)"]


def test_append_to_a_file_without_a_final_newline(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text(CONFIG.rstrip("\n"), encoding="utf-8")
    assert append_sources(config, read_planet(PLANET), "Planet Example") == 5
    text = config.read_text("utf-8")
    assert '"https://planet.example.org/"\n\n# Remote sources from Planet Example\n' in text
    assert len(parse_settings(text, file="x", base_dir=tmp_path).sources) == 5


@pytest.mark.parametrize(
    ("existing", "message"),
    [
        ("sources = []\n" + CONFIG, "not valid TOML"),  # [[sources]] cannot extend it
        ('sources = "none"\n' + CONFIG, "`sources` must be [[sources]] tables"),
        (CONFIG + "[oops\n", "not valid TOML"),
    ],
)
def test_append_refuses_what_it_cannot_extend(tmp_path: Path, existing: str, message: str) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text(existing, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        append_sources(config, read_planet(PLANET))
    assert message in str(raised.value)
    assert config.read_text("utf-8") == existing
    assert [p.name for p in tmp_path.iterdir()] == ["syndicate.toml"]  # no temporary left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = no section\n", "planet.ini:1: not a planet configuration: an option before"),
        ("[Planet]\nname = x\n  more\n\n  again\n", "planet.ini:5: not a planet configuration"),
        ("[templates]\nx = 1\n", "no [Planet] and no feeds"),
    ],
)
def test_what_is_not_a_planet(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "planet.ini"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"planet\.ini") as raised:
        read_planet(path)
    assert message in str(raised.value)


def test_latin1_planet(tmp_path: Path) -> None:
    path = tmp_path / "planet.ini"
    path.write_bytes(
        "[Planet]\nname = P\n[https://a.example/feed]\nname = Jos\xe9\n".encode("latin-1")
    )
    assert [s.name for s in read_planet(path)] == ["José"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_planet(tmp_path / "nope.ini")


@pytest.mark.corpus
def test_planet_rdo() -> None:
    if not RDO.is_file():
        pytest.skip(f"no Planet RDO configuration at {RDO}")
    imported = import_planet(RDO)
    assert imported.name == "Planet RDO"
    sources = imported.sources
    assert len(sources) == 43  # commented-out feeds are not sources
    by_url = {s.url: s for s in sources}
    assert by_url["http://drbacchus.com/tag/openstack/feed/"].name == "Rich Bowen"
    jiri = by_url["https://www.jistr.com/blog/tags/openstack/feed.xml"]
    assert jiri.name == "Website and blog of Jiří Stránský"
    assert by_url["http://gorka.eguileor.com/feed/?cat=10&feed=rss2"].name == "Gorka Eguileor"
    assert len({source_prefix(s.name) for s in sources}) == len(sources)
    assert imported.warnings == (
        "template variables not imported (syndicate has no templates): twitter",
    )
    text = sources_toml(sources, RDO)
    assert text.startswith("# Remote sources from Planet RDO (planet-rdo.ini)\n")
    tables = tomllib.loads(text)["sources"]
    assert [parse(SourceSettings, t) for t in tables] == list(sources)


@pytest.mark.corpus
def test_planet_rdo_appended_to_the_example_config(tmp_path: Path) -> None:
    if not RDO.is_file():
        pytest.skip(f"no Planet RDO configuration at {RDO}")
    from syndicate.config import load_settings
    from tests.conftest import REPO

    config = tmp_path / "syndicate.toml"
    original = (REPO / "config" / "syndicate.toml").read_bytes()
    config.write_bytes(original)
    sources = read_planet(RDO)
    assert append_sources(config, sources, RDO) == 43
    text = config.read_bytes()
    assert text.startswith(original)  # the file's own lines, byte for byte
    assert b"# Remote sources from Planet RDO (planet-rdo.ini)" in text[len(original) :]
    assert load_settings(config).sources == tuple(sources)
    assert append_sources(config, sources, RDO) == 0
    assert config.read_bytes() == text


def test_subscriptions_are_what_venus_says(tmp_path: Path) -> None:
    """Every section but [Planet], [DEFAULT] and the filters and templates it names is a
    subscription; one that is no http(s) address is said to be skipped, not lost quietly."""
    path = tmp_path / "planet.ini"
    path.write_text(
        "[Planet]\nname = P\nfilters = strip.sed?x=1\n"
        "[strip.sed]\nx = 1\n"
        "[feeds.example.org/rss]\nname = No scheme\n"
        "[https://a.example/feed]\nname = A ; Python 2 ended a value here\nfilters = f.py\n"
        "[f.py]\nwidth = 1\n",
        encoding="utf-8",
    )
    imported = import_planet(path)
    assert [(s.name, s.url) for s in imported.sources] == [("A", "https://a.example/feed")]
    assert imported.warnings == (
        "planet-wide filters = strip.sed?x=1 not imported: syndicate has none",
        "[feeds.example.org/rss] skipped: not an http(s) address",
    )
