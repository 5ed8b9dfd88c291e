"""Permalink patterns and URL resolution: always absolute, always encoded, RFC 3986 joins."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote, urljoin

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from syndicate.content.urls import absolute, check_pattern, encode, expand, host_of, path_of

PAGE = "https://blog.example.org/blog/2024/05/hello.html"
WHEN = datetime(2024, 5, 1, 9, 8, 7, tzinfo=UTC)


# --- patterns -------------------------------------------------------------------------------


def test_expand_fills_date_and_named_fields() -> None:
    pattern = "{year}/{month}/{day}/{hour}{minute}{second}/{slug}.html"
    assert expand(pattern, WHEN, {"slug": "hello"}) == "2024/05/01/090807/hello.html"


def test_expand_collapses_empty_segments_and_leading_slash() -> None:
    assert expand("/{categories}/{year}/{slug}/", WHEN, {"slug": "s"}) == "2024/s/"


def test_expand_keeps_nested_categories() -> None:
    assert expand("{categories}/{slug}", WHEN, {"categories": "a/b", "slug": "s"}) == "a/b/s"


def test_check_pattern_accepts_known_fields() -> None:
    check_pattern("blog/{year}/{month}/{slug}.html")


@pytest.mark.parametrize("pattern", ["{author}/{slug}", "{year:04d}/{slug}"])
def test_check_pattern_refuses_unknown_fields_and_specs(pattern: str) -> None:
    with pytest.raises(ValueError, match="unknown field"):
        check_pattern(pattern)


# --- absolute -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("", PAGE),
        ("other.html", "https://blog.example.org/blog/2024/05/other.html"),
        ("../other.html", "https://blog.example.org/blog/2024/other.html"),
        ("../../../../x", "https://blog.example.org/x"),
        ("./a/./b/../c", "https://blog.example.org/blog/2024/05/a/c"),
        ("/about/", "https://blog.example.org/about/"),
        ("?page=2", PAGE + "?page=2"),
        ("#section", PAGE + "#section"),
        ("//cdn.example.net/x.png", "https://cdn.example.net/x.png"),
        ("https://other.org/a/../b", "https://other.org/a/../b"),
        ("mailto:ana@example.org", "mailto:ana@example.org"),
        ("  padded.html \n", "https://blog.example.org/blog/2024/05/padded.html"),
    ],
)
def test_absolute_resolves_references(ref: str, expected: str) -> None:
    assert absolute(PAGE, ref) == expected


def test_absolute_percent_encodes_spaces_and_non_ascii() -> None:
    assert absolute(PAGE, "my file.png") == "https://blog.example.org/blog/2024/05/my%20file.png"
    assert absolute(PAGE, "/tag/日本") == "https://blog.example.org/tag/%E6%97%A5%E6%9C%AC"
    assert absolute(PAGE, "café?q=é#à") == (
        "https://blog.example.org/blog/2024/05/caf%C3%A9?q=%C3%A9#%C3%A0"
    )


def test_absolute_keeps_existing_percent_escapes() -> None:
    assert absolute(PAGE, "/a%20b") == "https://blog.example.org/a%20b"


def test_absolute_keeps_empty_segments_as_rfc_3986_does() -> None:
    # urljoin drops them (a long-standing Python quirk); RFC 3986 5.2.4 keeps them.
    assert absolute(PAGE, "a//b") == "https://blog.example.org/blog/2024/05/a//b"


def test_absolute_keeps_an_empty_fragment() -> None:
    assert absolute(PAGE, "#") == PAGE + "#"


def test_absolute_against_a_base_with_a_query() -> None:
    assert absolute("https://h.org/a/b?x=1", "c") == "https://h.org/a/c"
    assert absolute("https://h.org/a/b?x=1", "") == "https://h.org/a/b?x=1"


def test_absolute_against_a_bare_host() -> None:
    assert absolute("https://h.org", "a") == "https://h.org/a"


def test_encode_converts_an_international_host() -> None:
    assert encode("https://bücher.example/ä") == "https://xn--bcher-kva.example/%C3%A4"


def test_encode_leaves_clean_urls_alone() -> None:
    assert encode(PAGE + "?a=b&c=d#e") == PAGE + "?a=b&c=d#e"


def test_host_and_path_of() -> None:
    assert host_of(PAGE) == "blog.example.org"
    assert host_of("not a url") == "localhost"
    assert path_of(PAGE + "?q#f") == "blog/2024/05/hello.html"
    assert path_of("https://blog.example.org") == ""


# --- absolute agrees with urljoin -----------------------------------------------------------

_BASES = st.sampled_from(
    [
        "https://blog.example.org/",
        PAGE,
        "https://h.org/a/b/",
        "https://h.org:8080/x/y/z",
        "http://h.org/deep/er/path/index.html",
    ]
)
# Segments are never empty and hold no ';': there urljoin follows RFC 1808 rather than 3986
# (it drops empty segments and reads `;` as parameters). Spaces and accents are in, since the
# comparison is made modulo percent-encoding.
_SEGMENT = st.one_of(
    st.sampled_from([".", "..", "...", ".a"]),
    st.text(alphabet="abz09é -_~!$&'()*+,=:@", min_size=1, max_size=6),
)
_PATH = st.lists(_SEGMENT, max_size=6).map("/".join)
_QUERY = st.text(alphabet="az09=&/?.:é -", min_size=1, max_size=8)
_FRAGMENT = st.text(alphabet="az09/?.#:é -", min_size=1, max_size=8)


@st.composite
def _references(draw: st.DrawFn) -> str:
    host = draw(st.one_of(st.none(), st.sampled_from(["cdn.example.net", "h.org:81"])))
    ref = f"//{host}/" if host else ("/" if draw(st.booleans()) else "")
    ref += draw(_PATH)
    if draw(st.booleans()):
        ref += "?" + draw(_QUERY)
    if draw(st.booleans()):
        ref += "#" + draw(_FRAGMENT)
    if ":" in ref.split("/", 1)[0]:
        ref = "./" + ref  # a first segment with ':' would read as a scheme
    return ref


@given(_BASES, _references().filter(lambda ref: ref == ref.strip()))
@example(PAGE, "../../..")
@example(PAGE, "..?x")
@example(PAGE, "./..")
@example(PAGE, "//cdn.example.net")
@example("https://blog.example.org/", "/..")
def test_absolute_agrees_with_urljoin(base: str, ref: str) -> None:
    assert unquote(absolute(base, ref)) == urljoin(base, ref)


@given(_BASES, _references())
def test_absolute_is_always_absolute_and_encoded(base: str, ref: str) -> None:
    url = absolute(base, ref)
    assert url.startswith(("https://", "http://"))
    assert url.isascii()
    assert " " not in url
