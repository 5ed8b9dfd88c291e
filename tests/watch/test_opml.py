"""OPML reading lists in and out: what a list holds becomes sources by the import rules, an
exported list reads back as the same sources (in syndicate and in listparser, a real OPML
consumer), hostile XML is refused safely, and a planet's OPML reading list is fetched over
HTTP."""

from __future__ import annotations

from pathlib import Path

import listparser
import pytest

from syndicate.config import SourceSettings
from syndicate.errors import ConfigError
from syndicate.watch.opml import is_opml, read_opml, sources_opml
from syndicate.watch.planet import import_planet
from tests.conftest import CORPORA
from tests.watch.conftest import DATA, Reply, ScriptedServer

RDO = CORPORA / "rdo" / "planet-rdo.ini"


def _opml(body: str, head: str = "<head><title>Friends</title></head>") -> bytes:
    return f'<?xml version="1.0"?>\n<opml version="2.0">{head}<body>{body}</body></opml>'.encode()


def test_every_feed_outline_however_nested_is_a_source() -> None:
    data = _opml(
        '<outline text="Blogs"><outline text="Deep">'
        '<outline type="rss" text="Ana" title="Ana Lima" xmlUrl="https://ana.example/feed"/>'
        "</outline></outline>"
        '<outline text="Bo" xmlUrl="http://bo.example/rss"/>'
        '<outline title="Only a title" xmlUrl="https://t.example/atom"/>'
        '<outline xmlUrl="https://nameless.example/feed.xml"/>'
        '<outline text="A page, not a feed" htmlUrl="https://page.example/"/>'
        '<outline text="Ana twice" xmlUrl="https://ANA.example/feed"/>'
    )
    imported = read_opml(data, "friends.opml")
    assert imported.name == "Friends" and imported.origin == "friends.opml"
    assert [(s.name, s.url, s.author) for s in imported.sources] == [
        ("Ana", "https://ana.example/feed", "Ana Lima"),
        ("Bo", "http://bo.example/rss", None),
        ("Only a title", "https://t.example/atom", "Only a title"),
        ("nameless.example", "https://nameless.example/feed.xml", None),
    ]


def test_names_are_made_unique_and_bad_addresses_are_named() -> None:
    data = _opml(
        '<outline text="Ana" xmlUrl="https://a.example/one"/>'
        '<outline text="ana" xmlUrl="https://b.example/two"/>'
        '<outline text="Old" xmlUrl="gopher://old.example/feed"/>'
        '<outline text="Script" xmlUrl="javascript:alert(1)"/>'
    )
    imported = read_opml(data, "x.opml")
    assert [s.name for s in imported.sources] == ["Ana", "ana (b.example)"]
    assert imported.warnings == (
        "[gopher://old.example/feed] skipped: not an http(s) address",
        "[javascript:alert(1)] skipped: not an http(s) address",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not OPML"),
        (b"<rss version='2.0'><channel/></rss>", "not <opml>"),
        (b"<opml><body><outline", "not OPML"),
        (b"\xff\xfe garbage", "not OPML"),
    ],
)
def test_what_is_not_opml_is_refused_by_name(data: bytes, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason) as caught:
        read_opml(data, "list.opml")
    assert "list.opml" in str(caught.value)


def test_entities_and_external_references_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<opml version="2.0"><body><outline text="&x;&b;" xmlUrl="https://e.example/f"/>'
        "</body></opml>"
    ).encode()
    try:
        imported = read_opml(data, "evil.opml")
    except ConfigError as refused:  # lxml refuses an attribute that names an external entity
        assert "do not read me" not in str(refused)
        return
    assert all("do not read me" not in s.name and "aaaa" not in s.name for s in imported.sources)


def test_an_export_reads_back_as_the_same_sources_here_and_in_listparser() -> None:
    sources = [
        SourceSettings(name="Ana & <Lima>", url="https://ana.example/feed?a=1&b=2", author="Ana"),
        SourceSettings(name="bo.example", url="http://bo.example/rss"),
        SourceSettings(name="Zoë 日本", url="https://z.example/atom", author="Zoë"),
    ]
    document = sources_opml(sources, "My sources")
    assert is_opml(document)
    back = read_opml(document, "out.opml")
    assert [(s.name, s.url, s.author) for s in back.sources] == [
        (s.name, s.url, s.author) for s in sources
    ]
    parsed = listparser.parse(document)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.meta.title == "My sources"
    assert [(f.title, f.url) for f in parsed.feeds] == [(s.name, s.url) for s in sources]
    assert sources_opml(sources, "My sources") == document  # deterministic bytes


def test_planet_rdo_round_trips_through_opml(tmp_path: Path) -> None:
    if not RDO.is_file():
        pytest.skip(f"no Planet RDO configuration at {RDO}")
    planet = import_planet(RDO).sources
    exported = sources_opml(planet, "Planet RDO")
    again = read_opml(exported, "planet-rdo.opml").sources
    assert [(s.name, s.url, s.author) for s in again] == [(s.name, s.url, s.author) for s in planet]
    parsed = listparser.parse(exported)
    assert not parsed.bozo and len(parsed.feeds) == len(planet) == 43


def test_a_planets_opml_reading_list_is_fetched_and_read(
    server: ScriptedServer, tmp_path: Path
) -> None:
    listed = _opml(
        '<outline text="Carol" xmlUrl="https://carol.example/atom"/>'
        '<outline text="Alice" xmlUrl="https://alice.example.net/feed.atom"/>'
    )
    url = server.route("/members.opml", Reply(body=listed))
    gone = server.url("/gone.opml")
    planet = tmp_path / "planet.ini"
    planet.write_text(
        f"[Planet]\nname = P\n\n[{url}]\ncontent_type = opml\n\n[{gone}]\ncontent_type = opml\n\n"
        "[https://alice.example.net/feed.atom]\nname = Alice Example\n"
    )
    imported = import_planet(planet)
    assert [(s.name, s.url) for s in imported.sources] == [
        ("Alice Example", "https://alice.example.net/feed.atom"),  # the planet's own wins
        ("Carol", "https://carol.example/atom"),
    ]
    assert len(imported.warnings) == 1
    assert imported.warnings[0].startswith(f"[{gone}] skipped: cannot read the reading list")


def test_the_example_planets_list_beside_it_is_read() -> None:
    names = [s.name for s in import_planet(DATA / "planet.ini").sources]
    assert "Carol" in names
