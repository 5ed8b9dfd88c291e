# ruff: noqa: RUF001  (curly quotes and dashes are what this tests)
"""Titles smartified as Jekyll's `smartify` (kramdown's SmartyPants) makes them; each expected
value here is what Jekyll 4.3 printed for the input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.content.smartify import smartify

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("title", "jekyll"),
    [
        ("Jekyll's Mid-Life Crisis (Or, 2.5.0)", "Jekyll’s Mid-Life Crisis (Or, 2.5.0)"),
        (
            'Jekyll 3.4.1, or "Unintended Consequences"',
            "Jekyll 3.4.1, or “Unintended Consequences”",
        ),
        ("Err... I mean 2.1.0.", "Err… I mean 2.1.0."),
        ("It's the '90s -- really --- yes", "It’s the ’90s – really — yes"),
        ("Rock 'n' roll <<ok>> 5' 10\" tall", "Rock ‘n’ roll «ok» 5’ 10” tall"),
        ("He said, \"She said 'hi'.\"", "He said, “She said ‘hi’.”"),
        ("a << b >> c", f"a «{NBSP}b{NBSP}» c"),
        ("'tis the season", "‘tis the season"),
        ("5'10\"", "5’10”"),
        ("Use `code` and 'quote'", "Use `code` and ‘quote’"),
        ("Title with <code>'x'</code> code", "Title with <code>'x'</code> code"),
        ("Tom & Jerry's day", "Tom & Jerry’s day"),
        ("Plain words", "Plain words"),
        ('a \\"b\\" c', "a \\“b\\” c"),
        ("x \\\\ y \\. \\- \\` z", "x \\\\ y \\. \\- \\` z"),
    ],
)
def test_titles_come_out_as_jekyll_smartifies_them(title: str, jekyll: str) -> None:
    assert smartify(title) == jekyll


@given(st.text())
def test_letters_and_digits_are_never_touched(text: str) -> None:
    keep = [c for c in text if c.isalnum()]
    assert [c for c in smartify(text) if c.isalnum()] == keep
