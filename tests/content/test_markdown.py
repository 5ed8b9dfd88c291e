"""Markdown to HTML: CommonMark with GitHub's extensions, and the summary separator."""

from __future__ import annotations

import pytest

from syndicate.content.markdown import MORE, mark_summary, to_html
from tests.content.conftest import assert_valid_html

MARKERS = ("READMORE", "<!--more-->")


def test_commonmark_basics() -> None:
    html = to_html("# Title\n\nSome *em* and **strong** and `code`.\n")
    assert html.startswith("<h1>Title</h1>\n<p>Some <em>em</em> and <strong>strong</strong>")
    assert html.endswith(" and <code>code</code>.</p>\n")


def test_gfm_tables() -> None:
    html = to_html("| a | b |\n|---|:-:|\n| 1 | 2 |\n")
    assert "<table>" in html
    assert "<th>a</th>" in html
    assert '<td align="center">2</td>' in html


def test_fenced_code_keeps_its_language_and_escapes_html() -> None:
    html = to_html("```python\nif a < b:\n    pass\n```\n")
    assert html == ('<pre><code class="language-python">if a &lt; b:\n    pass\n</code></pre>\n')


def test_strikethrough() -> None:
    assert to_html("~~gone~~") == "<p><s>gone</s></p>\n"


def test_autolinks_bare_urls_and_www() -> None:
    html = to_html("See https://example.org and www.example.com.")
    assert '<a href="https://example.org">https://example.org</a>' in html
    assert '<a href="http://www.example.com">www.example.com</a>' in html


def test_task_lists_become_ballot_boxes() -> None:
    html = to_html("- [ ] todo\n- [x] done\n")
    assert '<li class="task-list-item">☐ todo</li>' in html
    assert '<li class="task-list-item">☑ done</li>' in html
    assert "<input" not in html


def test_footnotes_become_plain_numbers_with_the_notes_at_the_end() -> None:
    # Readers strip the ids footnote links point at, so the links would lead nowhere.
    html = to_html("Text.[^1]\n\n[^1]: The note.\n")
    assert "<p>Text.<sup>1</sup></p>" in html
    assert "The note." in html and "#fn" not in html and "↩" not in html


def test_raw_html_passes_through_for_the_sanitiser() -> None:
    assert "<script>" in to_html("<script>x()</script>\n")


def test_output_is_valid_html() -> None:
    assert_valid_html(to_html("# T\n\n| a |\n|---|\n| 1 |\n\n- [x] ok\n\nx[^1]\n\n[^1]: n\n"))


# --- summary separators ---------------------------------------------------------------------


def test_readmore_on_its_own_line_is_replaced_by_a_block_marker() -> None:
    marked = mark_summary("Intro\n\nREADMORE\n\nRest", MARKERS)
    assert marked == f"Intro\n\n\n{MORE}\n\n\nRest"
    assert to_html(marked) == f"<p>Intro</p>\n{MORE}\n<p>Rest</p>\n"


def test_readmore_with_spaces_around_still_counts() -> None:
    assert MORE in mark_summary("Intro\n  READMORE \t\nRest", MARKERS)


@pytest.mark.parametrize("text", ["Intro READMORE rest", "READMORE-ish", "See `READMORE`"])
def test_readmore_inside_a_line_is_a_word(text: str) -> None:
    assert mark_summary(text, MARKERS) == text


def test_more_comment_counts_inline() -> None:
    assert mark_summary("Intro <!--more--> rest", MARKERS) == f"Intro {MORE} rest"


def test_only_the_first_separator_is_replaced() -> None:
    marked = mark_summary("a\n\n<!--more-->\n\nb\n\n<!--more-->\n", MARKERS)
    assert marked.count(MORE) == 1
    assert marked.count("<!--more-->") == 1


def test_the_first_configured_marker_wins() -> None:
    marked = mark_summary("a <!--more--> b\n\nREADMORE\n", MARKERS)
    assert marked == f"a <!--more--> b\n\n\n{MORE}\n\n"


def test_custom_markers() -> None:
    assert mark_summary("a\n\n---more---\n\nb", ("---more---",)) == f"a\n\n\n{MORE}\n\n\nb"


def test_no_marker_leaves_the_text_alone() -> None:
    assert mark_summary("Just text.", MARKERS) == "Just text."


@pytest.mark.parametrize(
    "text",
    [
        "```\nREADMORE\n```\n",
        "~~~html\n<!--more-->\n~~~\n",
        "Put `<!--more-->` where the summary ends.\n",
        "```\nnever closed\n<!--more-->\n",
        "Intro:\n\n    <!--more-->\n    READMORE\n",
        "Text `code\n``` fence opened mid-paragraph\nREADMORE\n",
    ],
)
def test_separators_inside_code_are_code(text: str) -> None:
    assert mark_summary(text, MARKERS) == text


def test_a_separator_after_a_code_sample_still_counts() -> None:
    text = "Use `<!--more-->` like this:\n\n```\n<!--more-->\n```\n\n<!--more-->\n\nRest"
    marked = mark_summary(text, MARKERS)
    assert marked == text.replace("\n\n<!--more-->\n\nRest", f"\n\n{MORE}\n\nRest")
