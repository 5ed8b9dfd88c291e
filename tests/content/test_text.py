"""The text helpers' quick paths give what the plain definitions give, for any text."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.content import text

# Every code point is possible, the ones XML refuses among them, astral ones included.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=200)
UNSAFE = st.sampled_from(["\x00", "\x1f", "\x7f", "\x9f", "\ud800", "\ufdd0", "\ufffe",
                          "\U0001fffe", "\U0010ffff"])  # fmt: skip


@settings(max_examples=500)
@given(st.lists(st.one_of(ANY_TEXT, UNSAFE)).map("".join))
def test_stripping_xml_unsafe_characters_matches_the_whole_definition(value: str) -> None:
    assert text.strip_xml_unsafe(value) == text._XML_UNSAFE.sub("", value)


def test_the_quick_path_still_finds_every_kind_of_unsafe_character() -> None:
    assert text.strip_xml_unsafe("a\x00b\x7fc\ud800d\ufffee") == "abcde"
    assert text.strip_xml_unsafe("a\U0001fffeb\U0001f600c\x01") == "ab\U0001f600c"
    assert text.strip_xml_unsafe("") == ""


ASCII_TEXT = st.text(st.characters(max_codepoint=0x7F), max_size=300)


@settings(max_examples=500)
@given(
    st.lists(st.one_of(ASCII_TEXT, st.sampled_from(["\x00", "\x0b", "\x1f", "\x7f"]))).map("".join)
)
def test_the_ascii_path_strips_what_the_whole_definition_strips(value: str) -> None:
    assert text.strip_xml_unsafe(value) == text._XML_UNSAFE.sub("", value)
    assert text.strip_unreadable(value) == text._XML_UNSAFE.sub("", value).replace("\ufffd", "")


@settings(max_examples=300)
@given(st.lists(st.one_of(ANY_TEXT, UNSAFE, st.just("\ufffd"))).map("".join))
def test_unreadable_text_loses_what_xml_refuses_and_the_replacement_character(value: str) -> None:
    assert text.strip_unreadable(value) == text._XML_UNSAFE.sub("", value).replace("\ufffd", "")


@given(st.binary(max_size=300))
def test_digests_are_hashlibs_blake2b_whichever_module_gives_it(data: bytes) -> None:
    """Stored digests (sources, feed files, ETags) must not change with where BLAKE2b is
    imported from (text.py takes it without loading OpenSSL)."""
    expected = hashlib.blake2b(data, digest_size=16).hexdigest()
    assert text.digest_bytes(data) == expected
    assert text.digest(data.decode("latin-1")) == text.digest_bytes(
        data.decode("latin-1").encode("utf-8")
    )
