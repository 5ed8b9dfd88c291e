"""kramdown attribute lists: applied to their element or removed, never left as text."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from syndicate.content import kramdown
from syndicate.content.markdown import to_html
from syndicate.content.render import Renderer
from tests.content.conftest import assert_valid_html

PAGE = "https://blog.example.org/blog/2024/05/hello.html"


def _applied(markdown: str) -> str:
    """The Markdown rendered and its attribute lists applied, before sanitising."""
    root = lxml_html.fragment_fromstring(to_html(markdown), create_parent="div")
    kramdown.apply(root)
    return "".join(lxml_html.tostring(child, encoding="unicode") for child in root).strip()


def _feed_html(markdown: str) -> str:
    """What a feed gets: rendered, applied, sanitised."""
    html = Renderer(site_url="https://blog.example.org/").render(markdown, "markdown", PAGE)
    assert_valid_html(html.content_html)
    return html.content_html


def test_needs_fixing_only_when_an_ial_might_be_there() -> None:
    assert kramdown.needs_fixing("<p>x {:.a}</p>")
    assert kramdown.needs_fixing("<h2>x {#id}</h2>")
    assert not kramdown.needs_fixing("<p>{ braces } are fine</p>")


def test_span_ial_goes_to_the_image_before_it() -> None:
    assert _applied('![](x.png){:align="right"}') == '<p><img src="x.png" alt="" align="right"></p>'


def test_span_ial_goes_to_the_emphasis_before_it() -> None:
    assert _applied("x *y*{:.k} z") == '<p>x <em class="k">y</em> z</p>'


def test_block_ial_on_the_line_before_a_paragraph() -> None:
    assert _applied("{:.alert}\nA paragraph.") == '<p class="alert">A paragraph.</p>'


def test_block_ial_on_the_line_after_a_paragraph() -> None:
    assert (
        _applied("A paragraph.\n{:.alert}").replace("\n", "") == '<p class="alert">A paragraph.</p>'
    )


def test_standalone_ial_goes_to_the_next_block() -> None:
    assert _applied("{:.note #n1}\n\nA paragraph.") == '<p class="note" id="n1">A paragraph.</p>'


def test_several_classes_and_attributes() -> None:
    html = _applied("{:.alert.alert-warning title='Careful' data-x=1}\nText")
    assert html == '<p class="alert alert-warning" title="Careful" data-x="1">Text</p>'


def test_ial_after_a_raw_html_block_goes_to_that_block() -> None:
    assert _applied('<p align="left">para</p>\n{:.x}') == '<p align="left" class="x">para</p>'


def test_header_id() -> None:
    assert _applied("## Title {#my-id}") == '<h2 id="my-id">Title</h2>'


def test_header_id_after_inline_markup() -> None:
    assert _applied("## The *big* one {#big}") == '<h2 id="big">The <em>big</em> one</h2>'


def test_toc_and_its_stub_list_are_removed() -> None:
    assert _applied("* TOC\n{:toc}\n\n## One\n\nText") == "<h2>One</h2>\n<p>Text</p>"


def test_attribute_list_definitions_are_removed_without_a_trace() -> None:
    assert _applied("{:ref: .note}\n\nText") == "<p>Text</p>"


def test_comment_extension_is_removed_inline() -> None:
    assert _applied("Before {::comment}hidden{:/comment} after") == "<p>Before  after</p>"


def test_comment_extension_block_is_removed_without_a_trace() -> None:
    assert _applied("{::comment}\nhidden\nstuff\n{:/comment}\n\nAfter") == "<p>After</p>"


def test_other_extensions_are_removed() -> None:
    assert _applied('{::options parse_block_html="true" /}\n\nText') == "<p>Text</p>"


def test_text_inside_code_is_left_alone() -> None:
    html = _applied("Use `{:.x}` and\n\n```\n{:.alert}\n## T {#id}\n{::comment}\n```")
    assert "<code>{:.x}</code>" in html
    assert "{:.alert}\n## T {#id}\n{::comment}" in html


def test_plain_braces_are_text() -> None:
    assert _applied("A set {a, b} and a dict {'k': 1}.") == (
        "<p>A set {a, b} and a dict {'k': 1}.</p>"
    )


# --- through the whole renderer -------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        '![](x.png){:align="right"}',
        "{:.alert}\nA paragraph.",
        "A paragraph.\n{:.alert}",
        "{:.alert}\n\nA paragraph.",
        "A paragraph.\n\n{:.alert .x}",
        "## Title {#id}",
        "* TOC\n{:toc}\n\n## One",
        "{:ref: .note}\n\nText",
        "{::comment}\nx\n{:/comment}\n\nText",
        "<p>para</p>\n{:.x}",
        "<div>\n{:.x}\ntext\n</div>",
        "Text {: .alert} more",
    ],
)
def test_no_attribute_list_reaches_a_feed_as_text(markdown: str) -> None:
    html = _feed_html(markdown)
    assert "{:" not in html
    assert "{#" not in html
    assert "class=" not in html  # the sanitiser drops class: any left would be leaked text
    assert "<p></p>" not in html


def test_applied_alignment_survives_the_sanitiser() -> None:
    assert _feed_html('![](x.png){:align="right"}') == (
        '<p><img src="https://blog.example.org/blog/2024/05/x.png" alt="" align="right"></p>'
    )


def test_an_html_body_with_a_leading_ial_loses_only_the_ial() -> None:
    rendered = Renderer(site_url="https://blog.example.org/").render(
        "{:.x} text <b>bold</b>", "html", PAGE
    )
    assert rendered.content_html == "text <b>bold</b>"


def test_an_ial_after_an_html_comment_is_removed() -> None:
    assert _feed_html("a <!-- note -->{:.k} b") == "<p>a  b</p>"


@pytest.mark.parametrize("separator", ["READMORE", "<!--more-->"])
def test_a_standalone_ial_before_the_summary_separator(separator: str) -> None:
    rendered = Renderer(site_url="https://blog.example.org/").render(
        f"{{:.alert}}\n\n{separator}\n\nRest.", "markdown", PAGE
    )
    assert rendered.content_html.strip() == "<p>Rest.</p>"
