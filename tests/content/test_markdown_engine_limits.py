"""No body brings the Markdown engine (and with it the process) down."""

from __future__ import annotations

import pytest

from syndicate.content.markdown import MAX_NESTING, to_html


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
