"""Frontmatter: YAML (read with YAML 1.2 booleans), TOML and JSON, and the plain fast path."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from syndicate.content.frontmatter import body_of, plain_mapping, split, split_safe
from syndicate.content.text import xml_safe_values
from syndicate.errors import FrontmatterError

# --- the formats ---------------------------------------------------------------------------


def test_yaml_frontmatter_and_body_are_split() -> None:
    meta, body = split("p.md", "---\ntitle: Hello\ntags: [a, b]\n---\n\nBody text.\n")
    assert meta == {"title": "Hello", "tags": ["a", "b"]}
    assert body == "Body text.\n"


def test_toml_frontmatter_between_plus_lines() -> None:
    text = '+++\ntitle = "Hugo post"\ndate = 2021-03-04T05:06:07Z\ntags = ["x"]\n+++\n\nBody'
    meta, body = split("p.md", text)
    assert meta == {
        "title": "Hugo post",
        "date": datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC),
        "tags": ["x"],
    }
    assert body == "Body"


def test_json_frontmatter_in_braces() -> None:
    meta, body = split("p.md", '{\n  "title": "J",\n  "tags": ["a"]\n}\nBody\n')
    assert meta == {"title": "J", "tags": ["a"]}
    assert body == "Body\n"


def test_text_without_frontmatter_has_empty_metadata() -> None:
    assert split("p.md", "Just *Markdown*.\n") == ({}, "Just *Markdown*.\n")


def test_empty_frontmatter_is_an_empty_mapping() -> None:
    assert split("p.md", "---\n---\nBody") == ({}, "Body")


def test_delimiters_may_carry_trailing_spaces() -> None:
    assert split("p.md", "---  \ntitle: x\n---   \nBody") == ({"title": "x"}, "Body")


def test_blank_lines_after_frontmatter_are_not_body() -> None:
    assert split("p.md", "---\ntitle: x\n---\n\n\n\nBody\n")[1] == "Body\n"


def test_body_of_skips_frontmatter_without_reading_it() -> None:
    assert body_of("---\ntitle: [unclosed\n---\n\nBody") == "Body"
    assert body_of("No frontmatter") == "No frontmatter"
    assert body_of("---\nnever closed") == "---\nnever closed"


# --- YAML 1.2 booleans ---------------------------------------------------------------------


@pytest.mark.parametrize("word", ["No", "no", "Yes", "on", "Off", "y", "N"])
def test_yaml_11_boolean_words_stay_strings_in_plain_frontmatter(word: str) -> None:
    assert split("p.md", f"---\ntitle: {word}\n---\n")[0] == {"title": word}


@pytest.mark.parametrize("word", ["No", "on", "off", "yes"])
def test_yaml_11_boolean_words_stay_strings_in_full_yaml(word: str) -> None:
    meta, _ = split("p.md", f"---\ntitle: {word}\ntags: [{word}, x]\n---\n")
    assert meta == {"title": word, "tags": [word, "x"]}


@pytest.mark.parametrize(("word", "value"), [("true", True), ("False", False), ("TRUE", True)])
def test_true_and_false_are_booleans(word: str, value: bool) -> None:
    assert split("p.md", f"---\npublished: {word}\n---\n")[0] == {"published": value}
    assert split("p.md", f"---\npublished: {word}\ntags: [a]\n---\n")[0]["published"] is value


# --- errors --------------------------------------------------------------------------------


def test_bad_yaml_names_the_line_in_the_file() -> None:
    text = "---\ntitle: Fine\nauthor: ana\ntitle2: a: b: c\ndate: 2020-01-01\n---\nBody"
    with pytest.raises(FrontmatterError) as caught:
        split("source/blog/p.md", text)
    assert caught.value.line == 4
    assert str(caught.value).startswith("source/blog/p.md:4: frontmatter is not valid YAML")


def test_bad_yaml_line_counts_from_the_file_not_the_block() -> None:
    text = "---\ntitle: x\n  indented: wrongly\n---\n"
    with pytest.raises(FrontmatterError) as caught:
        split("p.md", text)
    assert caught.value.line == 3


def test_unclosed_flow_list_is_reported_near_it() -> None:
    text = "---\ntitle: x\ntags: [a, b\ndate: 2020-01-01\n---\n"
    with pytest.raises(FrontmatterError) as caught:
        split("p.md", text)
    assert caught.value.line in (3, 4)


def test_unclosed_frontmatter_is_an_error() -> None:
    with pytest.raises(FrontmatterError, match="never closed"):
        split("p.md", "---\ntitle: x\n\nBody without a closing line\n")


def test_frontmatter_that_is_a_list_is_an_error() -> None:
    with pytest.raises(FrontmatterError, match="mapping"):
        split("p.md", "---\n- a\n- b\n---\n")


def test_bad_toml_is_an_error_with_its_line() -> None:
    with pytest.raises(FrontmatterError, match="not valid TOML") as caught:
        split("p.md", "+++\ntitle = 'a'\n\ndate = [broken\n+++\nbody\n")
    assert caught.value.line == 4


def test_frontmatter_errors_survive_pickling() -> None:
    import pickle

    with pytest.raises(FrontmatterError) as caught:
        split("p.md", "---\na: b: c\n---\n")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.path, copy.line, str(copy)) == ("p.md", 2, str(caught.value))


# --- the plain fast path -------------------------------------------------------------------


def test_plain_mapping_reads_simple_lines() -> None:
    fm = "title: Hello world\nauthor: ana\ndate: 2014-11-13 15:53:33 UTC\ndraft:\n"
    assert plain_mapping(fm) == {
        "title": "Hello world",
        "author": "ana",
        "date": "2014-11-13 15:53:33 UTC",
        "draft": None,
    }


def test_plain_mapping_unquotes_simple_quotes() -> None:
    assert plain_mapping("title: \"It's: here\"\nslug: 'a-b'") == {
        "title": "It's: here",
        "slug": "a-b",
    }


@pytest.mark.parametrize(
    "fm",
    [
        "tags: [a, b]",
        "tags:\n  - a",
        "title: a: b",
        "title: x # comment",
        "title: 'It''s'",
        'title: "tab\\there"',
        "title: |\n  block",
        "title: >\n  folded",
        "title: &anchor x",
        "title: *alias",
        "title: !tag x",
        "title: %x",
        "title: @x",
        "title: `x`",
        "title: <<",
        "true: x",
        "null: x",
        "title: a\tb",
        "title: a\rb",
        "title: a\u2028b",
        "title: x\n  continued",
        "\ttitle: x",
    ],
)
def test_plain_mapping_refuses_anything_yaml_might_read_differently(fm: str) -> None:
    assert plain_mapping(fm) is None


@pytest.mark.parametrize(
    ("fm", "value"),
    [
        ("title: 0", 0),
        ("title: 010", 8),
        ("title: 1.10", 1.1),
        ("title: 1:30", 90),
        ("title: 2015-05-21", date(2015, 5, 21)),
        ("date: 2013-04-03 15:13:23+00:00", datetime(2013, 4, 3, 15, 13, 23, tzinfo=UTC)),
    ],
)
def test_plain_mapping_types_values_as_yaml_does(fm: str, value: object) -> None:
    assert plain_mapping(fm) == {fm.split(":", maxsplit=1)[0]: value}


def _yaml12_loader() -> type[yaml.SafeLoader]:
    """yaml.safe_load's loader with YAML 1.2 booleans: only true/false (any case style)."""
    boolean = "tag:yaml.org,2002:bool"

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != boolean]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        boolean, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return Loader


_YAML12 = _yaml12_loader()
# The fields the loader reads, and a few keys that YAML itself types.
_KEYS = [
    "title",
    "date",
    "tags",
    "author",
    "authors",
    "published",
    "draft",
    "slug",
    "summary",
    "permalink",
    "updated",
    "id",
    "lang",
    "true",
    "null",
    "No",
]
_TRICKY = "0123456789-+:.,#'\"!&*?|>%@`~ TZtfnuxeE_\t\r\n\xa0\u2028\ufeff"
_VALUE = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(_TRICKY)), max_size=16
)
_LINE = st.one_of(
    st.builds(
        lambda k, sep, v: f"{k}{sep}{v}",
        st.sampled_from(_KEYS),
        st.sampled_from([":", ": ", ":  "]),
        _VALUE,
    ),
    st.sampled_from(["", " ", "\t", "\xa0", "# a comment"]),
)


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, min_size=1, max_size=5).map("\n".join))
@example("title: No\npublished: false\ntags: on")
@example("title: 0")
@example("title: \x1f")
@example("title: \n\xa0")
@example("date: 2014-09-30 16:27:00.000000000 Z")
def test_plain_mapping_agrees_with_yaml_on_everything_it_accepts(fm: str) -> None:
    fast = plain_mapping(fm)
    if fast is None:
        return  # left to the YAML parser: nothing to compare
    try:
        parsed: Any = yaml.load(fm, Loader=_YAML12)
    except yaml.YAMLError as exc:
        pytest.fail(f"the fast path accepted {fm!r}, which YAML refuses: {exc}")
    assert fast == (parsed or {})


def test_the_fast_path_leaves_every_character_yaml_does_not_print_to_the_parser() -> None:
    """Over all of Unicode: a character YAML refuses or reads as a line break (all but the
    ranges below, less U+2028, U+2029 and U+FEFF) sends the frontmatter to the parser, and
    every letter or digit of the rest stays on the fast path."""
    printable = re.compile(
        "[\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    )
    chars = [chr(code) for code in range(0x110000)]
    refused = [c for c in chars if not printable.match(c)]
    assert len(refused) > 2000
    assert [hex(ord(c)) for c in refused if plain_mapping(f"k: a{c}b") is not None] == []
    taken = [c for c in chars if c.isalnum() and printable.match(c)]
    assert [hex(ord(c)) for c in taken if plain_mapping(f"k: a{c}b") != {"k": f"a{c}b"}] == []


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, min_size=1, max_size=5).map("\n".join))
@example('title: "a\\x01b\\ufffdc"')
@example("title: plain ascii\ntags: a, b")
@example("title: caf\u00e9 \ufdd0")
def test_split_safe_cleans_what_xml_safe_values_would(fm: str) -> None:
    """split_safe skips the walk only where it would change nothing."""
    text = f"---\n{fm}\n---\nbody"
    try:
        meta, body = split("post.md", text)
    except FrontmatterError:
        return
    assert split_safe("post.md", text) == (xml_safe_values(meta), body)
