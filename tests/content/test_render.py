"""A post body through the whole renderer: safe, valid, absolute HTML and its summary."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from syndicate.content.render import Renderer
from syndicate.model import Rendered
from tests.content.conftest import assert_valid_html

SITE = "https://blog.example.org/"
PAGE = "https://blog.example.org/blog/2024/05/hello.html"

# Awkward pieces real posts contain; the property test below strings them together.
SNIPPETS = [
    "Plain paragraph with *emphasis*, **strong** and `code`.",
    "Intro line\nREADMORE\nmore text",
    "READMORE",
    "Inline <!--more--> marker",
    "**bold <!--more--> across** the marker",
    '![](photo.png){:align="right"}',
    "{:.alert.alert-warning}\nWarning paragraph.",
    "A paragraph.\n{:.note}",
    "## Heading {#anchor}",
    "* TOC\n{:toc}",
    "{:ref: .x}",
    "{::comment}\nhidden\n{:/comment}",
    "<p>raw block</p>\n{:.x}",
    '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" allowfullscreen></iframe>',
    '<script src="https://gist.github.com/ana/0a1b2c3d.js"></script>',
    "<script>alert(1)</script>",
    "<noscript>Enable scripts</noscript>",
    '<a href="javascript:alert(1)" onclick="x()">bad</a>',
    '<img src="x.png" srcset="a.png 1x, /b.png 2x" onerror="x()">',
    '<div style="color:red">styled <span class="c">span</span></div>',
    "| a | b |\n|---|:-:|\n| 1 | 2 |",
    "```python\nif a < b: READMORE\n```",
    "- [ ] todo\n- [x] done",
    "Footnote.[^1]\n\n[^1]: The note.",
    "~~struck~~ and www.example.com",
    "[relative](../other.html) and [root](/about/) and [frag](#top)",
    "<p>unclosed <b>bold",
    "</div></p>",
    "<table><tr><td>cell",
    "a < b & c > d",
    "> quoted\n> READMORE",
    "<object><param name='movie' value='https://www.youtube.com/v/dQw4w9WgXcQ'></object>",
]


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(site_url=SITE, image_dir="images/")


def _urls(fragment: str) -> list[str]:
    if not fragment.strip():
        return []
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    found: list[str] = []
    for element in root.iter():
        for attr in ("href", "src", "cite", "poster"):
            value = element.get(attr)
            if value is not None:
                found.append(value)
        srcset = element.get("srcset")
        if srcset:
            found.extend(item.split()[0] for item in srcset.split(","))
    return found


def _assert_feed_ready(rendered: Rendered) -> None:
    for fragment in (rendered.content_html, rendered.summary_html):
        assert_valid_html(fragment)
        for url in _urls(fragment):
            assert url.startswith(("https://", "http://", "mailto:")), url
        lowered = fragment.lower()
        for word in ("<script", "<iframe", "<object", "<style", "javascript:", "onclick", "{:"):
            assert word not in lowered or "<code" in lowered or "<pre" in lowered, word
        assert "syndicate-more" not in fragment
        assert "\ue000" not in fragment


# --- the summary ----------------------------------------------------------------------------


def test_readmore_splits_summary_from_content(renderer: Renderer) -> None:
    rendered = renderer.render("Intro.\n\nREADMORE\n\nThe rest.", "markdown", PAGE)
    assert rendered.content_html == "<p>Intro.</p>\n\n<p>The rest.</p>"
    assert rendered.summary_html == "<p>Intro.</p>"
    assert rendered.summary_text == "Intro."


def test_more_comment_inline_gives_a_balanced_summary(renderer: Renderer) -> None:
    rendered = renderer.render("Intro <!--more--> rest", "markdown", PAGE)
    assert rendered.content_html == "<p>Intro  rest</p>"
    assert rendered.summary_html == "<p>Intro </p>"
    _assert_feed_ready(rendered)


def test_a_marker_inside_markup_still_gives_valid_html(renderer: Renderer) -> None:
    rendered = renderer.render("**bold <!--more--> still** rest", "markdown", PAGE)
    assert rendered.summary_html == "<p><strong>bold </strong></p>"
    _assert_feed_ready(rendered)


def test_without_a_marker_the_summary_is_the_opening_paragraphs(renderer: Renderer) -> None:
    body = "- a list\n\nFirst.\n\nSecond.\n\nThird.\n\nFourth."
    rendered = renderer.render(body, "markdown", PAGE)
    assert rendered.summary_html == "<p>First.</p><p>Second.</p><p>Third.</p>"
    assert rendered.summary_text == "First. Second. Third."


def test_a_frontmatter_summary_replaces_the_bodys(renderer: Renderer) -> None:
    rendered = renderer.render("Body.\n\nREADMORE\n\nMore.", "markdown", PAGE, summary="A & <b>")
    assert rendered.summary_html == "<p>A &amp; &lt;b&gt;</p>"
    assert rendered.summary_text == "A & <b>"
    assert rendered.content_html == "<p>Body.</p>\n\n<p>More.</p>"


def test_a_marker_in_code_is_code(renderer: Renderer) -> None:
    body = "Put this where the summary ends:\n\n```\nREADMORE\n```\n\nThat is all."
    rendered = renderer.render(body, "markdown", PAGE)
    assert "<pre><code>READMORE\n</code></pre>" in rendered.content_html
    assert rendered.summary_html.startswith("<p>Put this where the summary ends:</p>")


def test_an_inline_code_comment_marker_is_code(renderer: Renderer) -> None:
    rendered = renderer.render("Write `<!--more-->` to cut.\n\nNext.", "markdown", PAGE)
    assert "<code>&lt;!--more--&gt;</code>" in rendered.content_html
    assert (
        rendered.summary_html == "<p>Write <code>&lt;!--more--&gt;</code> to cut.</p><p>Next.</p>"
    )


def test_html_bodies_honour_the_comment_marker(renderer: Renderer) -> None:
    rendered = renderer.render("<p>One</p><!--more--><p>Two</p>", "html", PAGE)
    assert (rendered.content_html, rendered.summary_html) == ("<p>One</p><p>Two</p>", "<p>One</p>")


def test_a_marker_inside_a_list_item_gives_a_closed_summary(renderer: Renderer) -> None:
    rendered = renderer.render("<ul><li>a<!--more--></li><li>b</li></ul>", "html", PAGE)
    assert rendered.summary_html == "<ul><li>a</li></ul>"
    _assert_feed_ready(rendered)


def test_custom_summary_markers() -> None:
    renderer = Renderer(site_url=SITE, summary_markers=("<!-- cut -->",))
    rendered = renderer.render("A\n\n<!-- cut -->\n\nB\n\nREADMORE", "markdown", PAGE)
    assert rendered.summary_html == "<p>A</p>"
    assert "READMORE" in rendered.content_html


# --- the content ----------------------------------------------------------------------------


def test_markdown_images_resolve_under_images_and_links_against_the_page(
    renderer: Renderer,
) -> None:
    rendered = renderer.render("![a](pic.png) [b](next.html)", "markdown", PAGE)
    assert rendered.content_html == (
        '<p><img src="https://blog.example.org/images/pic.png" alt="a">'
        ' <a href="https://blog.example.org/blog/2024/05/next.html">b</a></p>'
    )


def test_without_an_image_dir_images_resolve_against_the_page() -> None:
    rendered = Renderer(site_url=SITE).render("![a](pic.png)", "markdown", PAGE)
    assert 'src="https://blog.example.org/blog/2024/05/pic.png"' in rendered.content_html


def test_footnotes_keep_their_numbers_without_dead_links(renderer: Renderer) -> None:
    rendered = renderer.render("Text.[^1]\n\n[^1]: Note.", "markdown", PAGE)
    assert "<p>Text.<sup>1</sup></p>" in rendered.content_html
    assert "href" not in rendered.content_html


def test_table_alignment_survives_as_align(renderer: Renderer) -> None:
    rendered = renderer.render("| a | b |\n|:-:|--:|\n| 1 | 2 |", "markdown", PAGE)
    assert '<td align="center">1</td>' in rendered.content_html
    assert '<td align="right">2</td>' in rendered.content_html


def test_warnings_are_reported_once(renderer: Renderer) -> None:
    body = '<a href="{{ url }}">a</a> <a href="{{ url }}">b</a>'
    rendered = renderer.render(body, "markdown", PAGE)
    assert len(rendered.warnings) == 1
    assert "template" in rendered.warnings[0]


def test_an_empty_body(renderer: Renderer) -> None:
    assert renderer.render("", "markdown", PAGE) == Rendered("", "", "")


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_each_awkward_snippet_is_feed_ready(renderer: Renderer, snippet: str) -> None:
    _assert_feed_ready(renderer.render(snippet, "markdown", PAGE))
    _assert_feed_ready(renderer.render(snippet, "html", PAGE))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6),
    st.sampled_from(["\n\n", "\n", " "]),
    st.sampled_from(["markdown", "html"]),
)
def test_any_mix_of_awkward_snippets_is_feed_ready(
    pieces: list[str], glue: str, body_format: str
) -> None:
    renderer = Renderer(site_url=SITE, image_dir="images/")
    _assert_feed_ready(renderer.render(glue.join(pieces), body_format, PAGE))
