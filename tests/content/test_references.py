"""Reference links without a definition lose their brackets, never a word, and are named."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.content.references import unlink_dangling
from syndicate.content.render import Renderer


def test_dangling_references_become_their_text_and_are_named() -> None:
    body = "Fix ([#1037][]) and [the notes][notes], ![a pic][img], [kept][] [x] [y][Kept].\n\n"
    body += "[kept]: https://x.org/kept\n"
    text, warnings = unlink_dangling(body)
    assert text.splitlines()[0] == "Fix (#1037) and the notes, a pic, [kept][] [x] [y][Kept]."
    assert [w.split(" has ")[0] for w in warnings] == [
        "the link [#1037][]",
        "the link [the notes][notes]",
        "the link ![a pic][img]",
    ]


def test_code_math_and_raw_html_are_left_as_written() -> None:
    body = (
        "    indented a[i][j]\n\n```\nfenced b[i][j]\n```\n\n~~~\nc[i][j]\n~~~\n"
        "Inline `d[i][j]` and $e[i][j]$.\n\n<pre>\nf[i][j]\n</pre>\n\n$$\ng[i][j]\n$$\n"
    )
    assert unlink_dangling(body) == (body, [])


def test_a_definition_in_a_code_block_defines_nothing() -> None:
    text, warnings = unlink_dangling("See [a][].\n\n```\n[a]: https://x.org\n```\n")
    assert text.startswith("See a.") and len(warnings) == 1


def test_the_renderer_shows_the_text_and_warns() -> None:
    rendered = Renderer(site_url="https://x.org/").render(
        "Fixed ([#1037][]).", "markdown", "https://x.org/p/"
    )
    assert rendered.content_html == "<p>Fixed (#1037).</p>"
    assert any("[#1037][]" in w for w in rendered.warnings)


_PIECES = st.sampled_from(
    [
        "[",
        "]",
        "][",
        "[a]",
        "[a][]",
        "[b][a]",
        "`",
        "$",
        "\n",
        "    ",
        "```",
        "[a]: u\n",
        "x",
        "!",
        "\\",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30))
def test_links_only_lose_brackets_and_labels(pieces: list[str]) -> None:
    body = "".join(pieces)
    text, warnings = unlink_dangling(body)
    assert len(text) <= len(body) and text.count("\n") == body.count("\n")
    for warning in warnings:  # each names a link written in the body
        assert warning.removeprefix("the link ").split(" has no definition")[0] in body
    if "][" not in body:
        assert text == body
