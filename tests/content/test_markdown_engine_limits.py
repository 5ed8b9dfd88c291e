"""No body brings the Markdown engine (and with it the process) down."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from syndicate.content.markdown import MAX_NESTING, to_html, too_deep


@pytest.mark.parametrize(
    "body",
    [
        ">" * 100_000,  # killed the process with SIGSEGV in the native engine
        "> " * 100_000,
        "- " * 50_000,
        "1. " * 30_000,
        "* " * 50_000,
    ],
)
def test_deep_nesting_renders_bounded(body: str) -> None:
    html = to_html(body)
    assert html.count("<blockquote>") + html.count("<li>") <= 2 * MAX_NESTING


def test_a_body_the_native_engine_panics_on_still_renders() -> None:
    assert to_html("[`") == "<p>[`</p>\n"
    assert "<code>x</code>" in to_html("[`\n\nSome `x` code.")


def test_ordinary_nesting_and_rules_keep_the_native_engine() -> None:
    assert to_html("> > quoted\n\n----------") == (
        "<blockquote>\n<blockquote>\n<p>quoted</p>\n</blockquote>\n</blockquote>\n<hr>\n"
    )
    assert "task" in to_html("- [ ] task") and "☐" in to_html("- [ ] task")


_TOKENS = [">", "> ", "- ", "* ", "+ ", "1. ", "22) ", "-", "*", "1.", " ", "\t", "x", "\n", "\r"]


@settings(max_examples=2000)
@given(st.lists(st.sampled_from(_TOKENS), max_size=120).map("".join))
@example("> " * MAX_NESTING)
@example("x\n" + "- " * MAX_NESTING)
@example("\n" * 3 + "  " + "1. " * MAX_NESTING)
def test_the_deep_nesting_guard_is_the_line_start_pattern(body: str) -> None:
    """The guard searches "\\n" + body for a newline and the markers, which is what a pattern
    anchored with `^` under re.MULTILINE finds in the body (and five times quicker)."""
    anchored = re.compile(
        rf"^[ \t]*(?:(?:>|[*+-](?=[ \t])|\d{{1,9}}[.)](?=[ \t]))[ \t]*){{{MAX_NESTING}}}",
        re.MULTILINE,
    )
    assert bool(too_deep(body)) == bool(anchored.search(body))
