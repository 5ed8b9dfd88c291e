"""The summary when a post marks none: its opening paragraphs."""

from __future__ import annotations

from syndicate.content.summary import is_balanced, lead_paragraphs

LONG = "x" * 200


def test_the_first_paragraph_when_it_is_long_enough() -> None:
    html = f"<p>{LONG}</p>\n<p>second</p>"
    assert lead_paragraphs(html) == f"<p>{LONG}</p>"


def test_short_paragraphs_are_gathered_up_to_the_minimum() -> None:
    html = f"<p>one</p>\n<p>two</p>\n<p>{LONG}</p>\n<p>four</p>"
    assert lead_paragraphs(html) == f"<p>one</p><p>two</p><p>{LONG}</p>"


def test_at_most_three_paragraphs() -> None:
    html = "".join(f"<p>p{i}</p>" for i in range(6))
    assert lead_paragraphs(html) == "<p>p0</p><p>p1</p><p>p2</p>"


def test_the_minimum_and_maximum_can_be_set() -> None:
    html = "<p>aaaa</p><p>bbbb</p><p>cccc</p>"
    assert lead_paragraphs(html, min_chars=5) == "<p>aaaa</p><p>bbbb</p>"
    assert lead_paragraphs(html, min_chars=1000, max_paragraphs=2) == "<p>aaaa</p><p>bbbb</p>"


def test_an_image_paragraph_comes_along() -> None:
    html = f'<p><img src="https://x.org/a.png" alt=""></p><p>{LONG}</p>'
    assert lead_paragraphs(html) == html


def test_nested_markup_inside_a_paragraph() -> None:
    html = f"<p>a <em>b <strong>c</strong></em> {LONG}</p><p>next</p>"
    assert lead_paragraphs(html) == f"<p>a <em>b <strong>c</strong></em> {LONG}</p>"


def test_paragraphs_inside_other_blocks_are_not_lead_paragraphs() -> None:
    html = f"<blockquote><p>quoted</p></blockquote><p>{LONG}</p>"
    assert lead_paragraphs(html) == f"<p>{LONG}</p>"


def test_a_post_without_paragraphs_is_summarised_by_its_first_block() -> None:
    assert lead_paragraphs("<ul><li>a</li></ul><table><tr><td>b</td></tr></table>") == (
        "<ul><li>a</li></ul>"
    )


def test_text_without_blocks_is_its_own_summary() -> None:
    assert lead_paragraphs("just text") == "just text"
    assert lead_paragraphs("") == ""


def test_void_elements_do_not_open_blocks() -> None:
    html = f"<hr><p>{LONG}</p><br/>"
    assert lead_paragraphs(html) == f"<p>{LONG}</p>"


def test_balanced() -> None:
    assert is_balanced("<p>a <em>b</em></p><img src=x><br/>")
    assert is_balanced("")
    assert not is_balanced("<p>a <em>b</em>")
    assert not is_balanced("<p><strong>bold </p>")
