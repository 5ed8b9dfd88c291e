"""The dashboard's structural check: every feed the example blog builds is sound, and each kind
of damage a reader would stumble on is named, with the entry it is in."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from syndicate.feeds.structure import MAX_PROBLEMS, check_feed
from syndicate.model import FeedFormat
from tests.conftest import REPO
from tests.test_cli import run

ATOM = "{http://www.w3.org/2005/Atom}"
SUFFIXES = {".xml": FeedFormat.ATOM, ".rss": FeedFormat.RSS, ".json": FeedFormat.JSON}
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>Blog</title></head></html>"


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example blog and the repository's config, copied and built by `syndicate build`."""
    root = tmp_path_factory.mktemp("example")
    shutil.copytree(REPO / "examples" / "blog", root / "examples" / "blog")
    (root / "config").mkdir()
    shutil.copy(REPO / "config" / "syndicate.toml", root / "config")
    built = run(["build"], root)
    assert built.returncode == 0, built.stderr
    return root / "public"


@pytest.fixture(scope="module")
def site(public: Path) -> dict[FeedFormat, bytes]:
    """The site feeds, the example's largest files, as written."""
    return {
        fmt: (public / "blog" / f"feed{suffix}").read_bytes() for suffix, fmt in SUFFIXES.items()
    }


def edited_xml(data: bytes, edit: Callable[[etree._Element], object]) -> bytes:
    root = etree.fromstring(data)
    edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def edited_json(data: bytes, edit: Callable[[dict[str, Any]], object]) -> bytes:
    feed = json.loads(data)
    edit(feed)
    return json.dumps(feed).encode()


def one(parent: etree._Element, path: str) -> etree._Element:
    found = parent.find(path)
    assert found is not None, path
    return found


def atom_entries(root: etree._Element) -> list[etree._Element]:
    return root.findall(f"{ATOM}entry")


def atom_id(entry: etree._Element) -> str:
    return entry.findtext(f"{ATOM}id") or ""


def rss_items(root: etree._Element) -> list[etree._Element]:
    return root.findall("channel/item")


def test_every_feed_the_example_writes_is_sound(public: Path) -> None:
    written = sorted(path for path in public.rglob("*") if path.is_file())
    assert {path.suffix for path in written} == set(SUFFIXES)
    assert len(written) > 30
    problems = {
        str(path.relative_to(public)): check_feed(path.read_bytes(), SUFFIXES[path.suffix])
        for path in written
    }
    assert {path: found for path, found in problems.items() if found} == {}


# Atom.


def test_atom_entry_without_id(site: dict[FeedFormat, bytes]) -> None:
    def drop_id(root: etree._Element) -> None:
        entry = atom_entries(root)[1]
        entry.remove(one(entry, f"{ATOM}id"))

    assert check_feed(edited_xml(site[FeedFormat.ATOM], drop_id), FeedFormat.ATOM) == [
        "entry 2: no <id>"
    ]


def test_atom_duplicate_entry_id(site: dict[FeedFormat, bytes]) -> None:
    root = etree.fromstring(site[FeedFormat.ATOM])
    first, _, third = atom_entries(root)[:3]
    one(third, f"{ATOM}id").text = atom_id(first)
    assert check_feed(etree.tostring(root), FeedFormat.ATOM) == [
        f"entry 3 ({atom_id(first)}): the same <id> as entry 1"
    ]


def test_atom_bad_dates(site: dict[FeedFormat, bytes]) -> None:
    def spoil(root: etree._Element) -> None:
        one(root, f"{ATOM}updated").text = "2024-12-10 10:00:00"
        one(atom_entries(root)[2], f"{ATOM}updated").text = "yesterday"

    root = etree.fromstring(site[FeedFormat.ATOM])
    third = atom_id(atom_entries(root)[2])
    assert check_feed(edited_xml(site[FeedFormat.ATOM], spoil), FeedFormat.ATOM) == [
        "feed: <updated> is not an RFC 3339 date: '2024-12-10 10:00:00'",
        f"entry 3 ({third}): <updated> is not an RFC 3339 date: 'yesterday'",
    ]


def test_atom_wrong_root(site: dict[FeedFormat, bytes]) -> None:
    assert check_feed(site[FeedFormat.RSS], FeedFormat.ATOM) == [
        "the root element is <rss> in no namespace,"
        " not <feed> in namespace http://www.w3.org/2005/Atom"
    ]
    old = site[FeedFormat.ATOM].replace(b"http://www.w3.org/2005/Atom", b"http://purl.org/atom/ns#")
    assert check_feed(old, FeedFormat.ATOM) == [
        "the root element is <feed> in namespace http://purl.org/atom/ns#,"
        " not <feed> in namespace http://www.w3.org/2005/Atom"
    ]


def test_atom_entry_with_nothing_to_show(site: dict[FeedFormat, bytes]) -> None:
    def strip(root: etree._Element) -> None:
        entry = atom_entries(root)[0]
        for name in ("link", "content"):
            for element in entry.findall(f"{ATOM}{name}"):
                entry.remove(element)

    first = atom_id(atom_entries(etree.fromstring(site[FeedFormat.ATOM]))[0])
    assert check_feed(edited_xml(site[FeedFormat.ATOM], strip), FeedFormat.ATOM) == [
        f'entry 1 ({first}): no <link rel="alternate"> and no <content>'
        " (nothing for readers to show)"
    ]


def test_atom_link_needs_an_href_attribute(site: dict[FeedFormat, bytes]) -> None:
    def spoil(root: etree._Element) -> None:
        first, second = atom_entries(root)[:2]
        del one(first, f"{ATOM}link").attrib["href"]
        one(second, f"{ATOM}link").set("href", "")  # a same-document reference, allowed

    first = atom_id(atom_entries(etree.fromstring(site[FeedFormat.ATOM]))[0])
    assert check_feed(edited_xml(site[FeedFormat.ATOM], spoil), FeedFormat.ATOM) == [
        f"entry 1 ({first}): a <link> has no href"
    ]


def test_atom_feed_level_elements(site: dict[FeedFormat, bytes]) -> None:
    def spoil(root: etree._Element) -> None:
        for name in ("title", "author"):
            root.remove(one(root, f"{ATOM}{name}"))
        for link in root.findall(f"{ATOM}link"):
            link.set("rel", "related")
        one(root, f"{ATOM}id").text = "blog.example.org/feed"
        etree.SubElement(root, f"{ATOM}updated").text = "2024-01-01T00:00:00Z"

    assert check_feed(edited_xml(site[FeedFormat.ATOM], spoil), FeedFormat.ATOM) == [
        "feed: no <title>",
        "feed: 2 <updated> elements where there must be exactly one",
        "feed: <id> is not an IRI (no scheme such as https: or tag:): 'blog.example.org/feed'",
        'feed: no <link rel="self"> (readers use it to know where the feed lives)',
    ]


def test_atom_authors_come_from_the_feed_or_the_entry(site: dict[FeedFormat, bytes]) -> None:
    def orphan(root: etree._Element) -> None:
        root.remove(one(root, f"{ATOM}author"))
        entry = atom_entries(root)[0]
        entry.remove(one(entry, f"{ATOM}author"))
        name = one(atom_entries(root)[1], f"{ATOM}author/{ATOM}name")
        name.text = " "

    root = etree.fromstring(site[FeedFormat.ATOM])
    first, second = (atom_id(entry) for entry in atom_entries(root)[:2])
    assert check_feed(edited_xml(site[FeedFormat.ATOM], orphan), FeedFormat.ATOM) == [
        f"entry 1 ({first}): no <author>, and the feed has none to stand in",
        f"entry 2 ({second}): an <author> has no <name>",
    ]


def test_atom_text_constructs(site: dict[FeedFormat, bytes]) -> None:
    xhtml = '<content xmlns="http://www.w3.org/2005/Atom" type="xhtml"><p>bare</p></content>'
    html = '<summary xmlns="http://www.w3.org/2005/Atom" type="html"><b>raw</b></summary>'
    div = (
        '<content xmlns="http://www.w3.org/2005/Atom" type="xhtml">'
        '<div xmlns="http://www.w3.org/1999/xhtml"><p>fine</p></div></content>'
    )

    def replace(root: etree._Element) -> None:
        for position, markup in enumerate((xhtml, html, div)):
            entry = atom_entries(root)[position]
            for name in ("content", "summary"):
                for element in entry.findall(f"{ATOM}{name}"):
                    entry.remove(element)
            entry.append(etree.fromstring(markup))

    entries = atom_entries(etree.fromstring(site[FeedFormat.ATOM]))
    first, second = atom_id(entries[0]), atom_id(entries[1])
    assert check_feed(edited_xml(site[FeedFormat.ATOM], replace), FeedFormat.ATOM) == [
        f'entry 1 ({first}): <content type="xhtml"> must hold one XHTML <div> and nothing else',
        f'entry 2 ({second}): <summary type="html"> contains elements'
        " (its markup must be escaped as text)",
    ]


# RSS 2.0.


def test_rss_version_and_channel(site: dict[FeedFormat, bytes]) -> None:
    def spoil(root: etree._Element) -> None:
        root.set("version", "0.91")
        channel = one(root, "channel")
        channel.remove(one(channel, "description"))
        one(channel, "link").text = "/blog/"
        for link in channel.findall(f"{ATOM}link"):
            channel.remove(link)

    assert check_feed(edited_xml(site[FeedFormat.RSS], spoil), FeedFormat.RSS) == [
        "<rss> has version '0.91'; it must be '2.0'",
        "channel: no <description>",
        "channel: <link> is not an absolute http(s) URL: '/blog/'",
        'channel: no <atom:link rel="self"> (readers use it to know where the feed lives)',
    ]


def test_rss_wrong_root(site: dict[FeedFormat, bytes]) -> None:
    assert check_feed(site[FeedFormat.ATOM], FeedFormat.RSS) == [
        "the root element is <feed> in namespace http://www.w3.org/2005/Atom,"
        " not <rss> in no namespace"
    ]


def test_rss_items(site: dict[FeedFormat, bytes]) -> None:
    root = etree.fromstring(site[FeedFormat.RSS])
    items = rss_items(root)
    guids = [item.findtext("guid") or "" for item in items]
    for name in ("title", "description"):
        items[0].remove(one(items[0], name))
    one(items[1], "guid").text = guids[0]
    one(items[2], "link").text = "2024/10/call.html"
    one(items[3], "pubDate").text = "Tue, 10 Dec 2024 10:00:00 -0000"
    one(items[4], "pubDate").text = "10/12/2024"
    one(items[5], "guid").text = "post-6"
    one(items[6], "guid").text = "post-7"
    one(items[6], "guid").set("isPermaLink", "false")
    assert check_feed(etree.tostring(root), FeedFormat.RSS) == [
        f"item 1 ({guids[0]}): neither a <title> nor a <description>",
        f"item 2 ({guids[0]}): the same <guid> as item 1",
        f"item 3 ({guids[2]}): <link> is not an absolute http(s) URL: '2024/10/call.html'",
        f"item 4 ({guids[3]}): <pubDate> has no time zone: 'Tue, 10 Dec 2024 10:00:00 -0000'",
        f"item 5 ({guids[4]}): <pubDate> is not an RFC 822 date: '10/12/2024'",
        "item 6 (post-6): <guid> is a permalink (isPermaLink is not 'false')"
        " but not an absolute http(s) URL: 'post-6'",
    ]


# JSON Feed 1.1.


def test_json_feed_level(site: dict[FeedFormat, bytes]) -> None:
    def spoil(feed: dict[str, Any]) -> None:
        feed["version"] = "https://jsonfeed.org/version/2"
        feed["title"] = ""
        feed["home_page_url"] = "blog.fernwright.example.org"
        feed["authors"] = {"name": "Ana"}

    assert check_feed(edited_json(site[FeedFormat.JSON], spoil), FeedFormat.JSON) == [
        "feed: version 'https://jsonfeed.org/version/2', not https://jsonfeed.org/version/1.1",
        "feed: title is missing or not a non-empty string",
        "feed: home_page_url is not an absolute http(s) URL: 'blog.fernwright.example.org'",
        "feed: authors is not a list of objects",
    ]
    old = edited_json(
        site[FeedFormat.JSON], lambda f: f.update(version="https://jsonfeed.org/version/1")
    )
    assert check_feed(old, FeedFormat.JSON) == []
    listless = edited_json(site[FeedFormat.JSON], lambda f: f.update(items={}))
    assert check_feed(listless, FeedFormat.JSON) == ["feed: items is an object, not a list"]


def test_json_items(site: dict[FeedFormat, bytes]) -> None:
    feed = json.loads(site[FeedFormat.JSON])
    items = feed["items"]
    ids = [item["id"] for item in items]
    del items[0]["id"]
    items[2]["id"] = ids[1]
    del items[3]["content_html"]
    items[4]["date_published"] = "2024-07-15"
    items[5]["url"] = "/blog/2024/06/fieldcamp.html"
    items[6]["authors"] = ["Ana"]
    items[7] = "an item"
    items[8]["content_text"] = 42
    assert check_feed(json.dumps(feed).encode(), FeedFormat.JSON) == [
        "item 1: id is missing or not a non-empty string",
        f"item 3 ({ids[1]}): the same id as item 2",
        f"item 4 ({ids[3]}): neither content_html nor content_text",
        f"item 5 ({ids[4]}): date_published is not an RFC 3339 date: '2024-07-15'",
        f"item 6 ({ids[5]}): url is not an absolute http(s) URL: '/blog/2024/06/fieldcamp.html'",
        f"item 7 ({ids[6]}): authors is not a list of objects",
        "item 8: a string, not an object",
        f"item 9 ({ids[8]}): content_html or content_text is not a string",
    ]


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:00:00.123456+02:00",
        "2024-02-29T00:00:00-05:30",
        "2016-12-31T23:59:60Z",
    ],
)
def test_rfc3339_dates_accepted(site: dict[FeedFormat, bytes], stamp: str) -> None:
    data = edited_json(site[FeedFormat.JSON], lambda f: f["items"][0].update(date_modified=stamp))
    assert check_feed(data, FeedFormat.JSON) == []


@pytest.mark.parametrize(
    "stamp",
    [
        "yesterday",
        "2024-05-01",
        "2024-05-01 10:00:00Z",
        "2024-05-01T10:00Z",
        "2024-05-01T10:00:00",
        "2024-05-01T10:00:00+0200",
        "2024-05-01t10:00:00z",
        "2023-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T10:00:00+24:00",
        "2024-05-01T10:00:00Z\n",
        "\u0662\u0660\u0662\u0664-05-01T10:00:00Z",  # Arabic-Indic digits
        "",
    ],
)
def test_rfc3339_dates_refused(site: dict[FeedFormat, bytes], stamp: str) -> None:
    data = edited_json(site[FeedFormat.JSON], lambda f: f["items"][0].update(date_modified=stamp))
    [problem] = check_feed(data, FeedFormat.JSON)
    assert problem.endswith(f"date_modified is not an RFC 3339 date: {stamp!r}")


# Files that are not feeds at all, or are cut short.


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_not_a_feed_at_all(fmt: FeedFormat) -> None:
    kind = {FeedFormat.ATOM: "an Atom feed", FeedFormat.RSS: "an RSS 2.0 feed"}
    name = kind.get(fmt, "a JSON Feed")
    assert check_feed(HTML_PAGE, fmt) == [f"the file is an HTML page, not {name}"]
    assert check_feed(b"", fmt) == ["the file is empty"]
    assert check_feed(b"\xef\xbb\xbf \n", fmt) == ["the file is empty"]
    xhtml = b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>'
    assert len(check_feed(xhtml, fmt)) == 1


@pytest.mark.parametrize("fmt", [FeedFormat.ATOM, FeedFormat.RSS])
def test_truncated_xml(site: dict[FeedFormat, bytes], fmt: FeedFormat) -> None:
    [problem] = check_feed(site[fmt][: len(site[fmt]) // 2], fmt)
    assert problem.startswith("not well-formed XML at line ")
    assert "Premature end of data" in problem


def test_malformed_xml_names_the_line() -> None:
    data = b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n<id>x</feed>'
    assert check_feed(data, FeedFormat.ATOM) == [
        "not well-formed XML at line 3, column 13:"
        " Opening and ending tag mismatch: id line 3 and feed"
    ]


def test_xml_entities_are_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><id>&c;</id></feed>'
    )
    problems = check_feed(bomb, FeedFormat.ATOM)
    assert "feed: no <title>" in problems
    assert all(len(problem) < 200 for problem in problems)


def test_broken_json(site: dict[FeedFormat, bytes]) -> None:
    truncated = check_feed(site[FeedFormat.JSON][:-20], FeedFormat.JSON)
    assert len(truncated) == 1
    assert truncated[0].startswith("not valid JSON: ")
    assert check_feed(b'{"title": "\xff"}', FeedFormat.JSON) == [
        "not UTF-8: byte 11 cannot be decoded"
    ]
    assert check_feed(b'{"version": NaN}', FeedFormat.JSON) == [
        "not valid JSON: NaN is not a JSON value"
    ]
    assert check_feed(b"[1, 2]", FeedFormat.JSON) == ["the JSON is a list, not an object"]
    assert check_feed(site[FeedFormat.ATOM], FeedFormat.JSON) == [
        "the file is markup (it starts with '<'), not a JSON Feed"
    ]
    assert check_feed(site[FeedFormat.JSON], FeedFormat.ATOM) == [
        "the file looks like JSON, not an Atom feed"
    ]


# At most MAX_PROBLEMS messages.


def atom_without_ids(site: dict[FeedFormat, bytes], count: int) -> bytes:
    """The site's Atom feed with `count` copies of its first entry, each without an id."""
    root = etree.fromstring(site[FeedFormat.ATOM])
    template = atom_entries(root)[0]
    template.remove(one(template, f"{ATOM}id"))
    for entry in atom_entries(root):
        root.remove(entry)
    for _ in range(count):
        root.append(etree.fromstring(etree.tostring(template)))
    return etree.tostring(root)


def test_a_hundred_broken_entries_are_summed_up(site: dict[FeedFormat, bytes]) -> None:
    problems = check_feed(atom_without_ids(site, 100), FeedFormat.ATOM)
    assert len(problems) == MAX_PROBLEMS
    assert problems[:-1] == [f"entry {n}: no <id>" for n in range(1, MAX_PROBLEMS)]
    assert problems[-1] == f"{100 - MAX_PROBLEMS + 1} more problems not shown"


def test_exactly_max_problems_are_all_shown(site: dict[FeedFormat, bytes]) -> None:
    problems = check_feed(atom_without_ids(site, MAX_PROBLEMS), FeedFormat.ATOM)
    assert problems == [f"entry {n}: no <id>" for n in range(1, MAX_PROBLEMS + 1)]
    one_more = check_feed(atom_without_ids(site, MAX_PROBLEMS + 1), FeedFormat.ATOM)
    assert one_more[-1] == "2 more problems not shown"


# Never raises, whatever the bytes.

FUZZ = settings(max_examples=300, deadline=None)
XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)
XML_NAMES = [
    f"{ATOM}id", f"{ATOM}entry", f"{ATOM}link", f"{ATOM}author", f"{ATOM}content", "item",
    "guid", "link", "pubDate", "channel", "{http://www.w3.org/1999/xhtml}div",
]  # fmt: skip
XML_EDITS = st.lists(
    st.tuples(
        st.sampled_from(["drop", "text", "attr", "rename", "copy"]),
        st.integers(min_value=0),
        XML_TEXT,
        st.sampled_from(XML_NAMES),
        st.sampled_from(["rel", "type", "href", "version", "isPermaLink"]),
    ),
    max_size=8,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
JSON_KEYS = [
    "version", "title", "items", "id", "url", "external_url", "feed_url", "home_page_url",
    "authors", "content_html", "content_text", "date_published", "date_modified",
]  # fmt: skip
BYTE_EDITS = st.lists(
    st.tuples(st.integers(min_value=0), st.integers(0, 16), st.binary(max_size=8)), max_size=6
)


def assert_checked(data: bytes, fmt: FeedFormat) -> None:
    problems = check_feed(data, fmt)
    assert isinstance(problems, list)
    assert all(isinstance(problem, str) and problem for problem in problems)
    assert len(problems) <= MAX_PROBLEMS


@FUZZ
@given(data=st.binary(max_size=300), fmt=st.sampled_from(list(FeedFormat)))
def test_arbitrary_bytes_never_raise(data: bytes, fmt: FeedFormat) -> None:
    assert_checked(data, fmt)


@FUZZ
@given(edits=BYTE_EDITS, fmt=st.sampled_from(list(FeedFormat)))
def test_spliced_bytes_never_raise(
    site: dict[FeedFormat, bytes], edits: list[tuple[int, int, bytes]], fmt: FeedFormat
) -> None:
    data = site[fmt]
    for offset, cut, insert in edits:
        at = offset % (len(data) + 1)
        data = data[:at] + insert + data[at + cut :]
    assert_checked(data, fmt)


@FUZZ
@given(edits=XML_EDITS, fmt=st.sampled_from([FeedFormat.ATOM, FeedFormat.RSS]))
def test_edited_xml_never_raises(
    site: dict[FeedFormat, bytes], edits: list[tuple[str, int, str, str, str]], fmt: FeedFormat
) -> None:
    root = etree.fromstring(site[fmt])
    for op, index, text, name, attribute in edits:
        elements = list(root.iter())
        element = elements[index % len(elements)]
        parent = element.getparent()
        if op == "drop" and parent is not None:
            parent.remove(element)
        elif op == "text":
            element.text = text
        elif op == "attr":
            element.set(attribute, text)
        elif op == "rename":
            element.tag = name
        elif op == "copy" and parent is not None:
            parent.append(etree.fromstring(etree.tostring(element)))
    assert_checked(etree.tostring(root), fmt)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(JSON_KEYS), JSON_VALUES)))
def test_edited_json_never_raises(
    site: dict[FeedFormat, bytes], edits: list[tuple[int, str, object]]
) -> None:
    feed = json.loads(site[FeedFormat.JSON])
    for index, key, value in edits:
        containers = list(json_containers(feed))
        container = containers[index % len(containers)]
        if isinstance(container, dict):
            container[key] = value
        elif container:
            container[index % len(container)] = value
    assert_checked(json.dumps(feed).encode(), FeedFormat.JSON)


def json_containers(value: object) -> list[dict[str, object] | list[object]]:
    """Every object and list inside `value`, itself first."""
    if isinstance(value, dict):
        return [value, *(c for v in value.values() for c in json_containers(v))]
    if isinstance(value, list):
        return [value, *(c for v in value for c in json_containers(v))]
    return []
