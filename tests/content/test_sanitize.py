"""The allow-list sanitiser: nothing dangerous survives, and every URL ends up absolute."""

from __future__ import annotations

import pytest

from syndicate.content.sanitize import Sanitizer
from tests.content.conftest import assert_valid_html

PAGE = "https://blog.example.org/blog/2024/05/hello.html"
SITE = "https://blog.example.org/"


def _clean(html: str, *, images: bool = False) -> str:
    cleaned, _ = Sanitizer((SITE, "images/") if images else None).clean(html, PAGE)
    assert_valid_html(cleaned)
    return cleaned


def _problems(html: str) -> list[str]:
    return Sanitizer().clean(html, PAGE)[1]


# --- dangerous HTML -------------------------------------------------------------------------


def test_scripts_are_removed_with_their_content() -> None:
    assert _clean("<p>a</p><script>alert(1)</script><p>b</p>") == "<p>a</p><p>b</p>"


def test_styles_are_removed_with_their_content() -> None:
    assert _clean("<style>p { color: red }</style><p>ok</p>") == "<p>ok</p>"


def test_style_attributes_are_removed() -> None:
    assert _clean('<p style="color:red">s</p>') == "<p>s</p>"


@pytest.mark.parametrize("handler", ["onclick", "onerror", "onload", "onmouseover", "ONCLICK"])
def test_event_handlers_are_removed(handler: str) -> None:
    assert _clean(f'<img src="https://x.org/a.png" {handler}="alert(1)">') == (
        '<img src="https://x.org/a.png">'
    )


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "jav&#x61;script:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
    ],
)
def test_dangerous_urls_are_removed(href: str) -> None:
    assert _clean(f'<a href="{href}">x</a>') == "<a>x</a>"


def test_data_images_are_removed() -> None:
    assert _clean('<img src="data:image/png;base64,AAAA" alt="x">') == '<img alt="x">'


@pytest.mark.parametrize(
    "html",
    [
        "<form action='/x'><input name='q'><button>Go</button></form>",
        "<iframe src='https://x.org'></iframe>",
        "<object data='x.swf'></object>",
        "<embed src='x.swf'>",
        "<link rel='stylesheet' href='x.css'>",
        "<meta http-equiv='refresh' content='0;url=https://evil'>",
        "<base href='https://evil/'>",
        "<svg><script>alert(1)</script></svg>",
        "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    ],
)
def test_forms_frames_and_active_content_are_removed(html: str) -> None:
    cleaned = _clean(html)
    for word in (
        "<form",
        "<input",
        "<iframe",
        "<object",
        "<embed",
        "<link",
        "<meta",
        "<base",
        "<svg",
        "<script",
        "javascript",
        "evil",
    ):
        assert word not in cleaned


def test_comments_are_removed() -> None:
    assert _clean("<p>a<!-- secret --></p>") == "<p>a</p>"


def test_class_and_id_are_removed() -> None:
    assert _clean('<p class="x" id="y">t</p>') == "<p>t</p>"


def test_nonsense_align_values_are_removed() -> None:
    assert _clean('<p align="right">a</p><p align="expression(x)">b</p>') == (
        '<p align="right">a</p><p>b</p>'
    )


def test_broken_html_is_repaired() -> None:
    assert _clean("<p>unclosed <b>bold") == "<p>unclosed <b>bold</b></p>"


def test_text_is_escaped() -> None:
    assert _clean("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_ordinary_markup_survives() -> None:
    html = (
        '<h2>T</h2><p>a<br><em>e</em> <strong>s</strong> <code>c</code> <abbr title="t">A</abbr>'
        '</p><blockquote cite="https://x.org/">q</blockquote><ol start="3"><li>i</li></ol>'
        '<table><thead><tr><th scope="col">h</th></tr></thead><tbody><tr><td colspan="2">d</td>'
        '</tr></tbody></table><figure><img src="https://x.org/i.png" alt="a" width="10">'
        "<figcaption>c</figcaption></figure><pre><code>x</code></pre>"
    )
    assert _clean(html) == html


def test_video_and_audio_survive_without_autoplay() -> None:
    assert _clean('<video src="v.mp4" poster="p.jpg" autoplay controls></video>') == (
        '<video src="https://blog.example.org/blog/2024/05/v.mp4"'
        ' poster="https://blog.example.org/blog/2024/05/p.jpg" controls=""></video>'
    )


# --- URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "absolute"),
    [
        ("other.html", "https://blog.example.org/blog/2024/05/other.html"),
        ("../x/", "https://blog.example.org/blog/2024/x/"),
        ("/about/", "https://blog.example.org/about/"),
        ("#top", PAGE + "#top"),
        ("?page=2", PAGE + "?page=2"),
        ("//cdn.example.net/x", "https://cdn.example.net/x"),
        ("http://other.org/a b", "http://other.org/a%20b"),
        ("https://other.org/é", "https://other.org/%C3%A9"),
        ("mailto:ana@example.org", "mailto:ana@example.org"),
        ("", PAGE),
    ],
)
def test_links_are_made_absolute(href: str, absolute: str) -> None:
    assert _clean(f'<a href="{href}">x</a>') == f'<a href="{absolute}">x</a>'


def test_backslashes_are_read_as_slashes_with_a_warning() -> None:
    assert _clean('<a href="docs\\guide.html">x</a>') == (
        '<a href="https://blog.example.org/blog/2024/05/docs/guide.html">x</a>'
    )
    assert any("backslashes" in p for p in _problems('<a href="a\\b">x</a>'))


def test_unexpanded_template_links_are_removed_with_a_warning() -> None:
    assert _clean('<a href="{{ site.url }}/x">t</a>') == "<a>t</a>"
    assert any("template" in p for p in _problems('<a href="<%= url %>">t</a>'))


def test_links_to_the_authors_machine_are_reported() -> None:
    assert any("own machine" in p for p in _problems('<a href="http://localhost:4567/x">t</a>'))


def test_img_src_and_srcset_are_made_absolute() -> None:
    html = '<img src="a.png" srcset="a.png 1x, /b.png 2x, https://c.org/c.png 3x">'
    assert _clean(html) == (
        '<img src="https://blog.example.org/blog/2024/05/a.png"'
        ' srcset="https://blog.example.org/blog/2024/05/a.png 1x,'
        ' https://blog.example.org/b.png 2x, https://c.org/c.png 3x">'
    )


def test_srcset_without_descriptors() -> None:
    assert _clean('<img srcset="a.png">') == (
        '<img srcset="https://blog.example.org/blog/2024/05/a.png">'
    )


def test_srcset_drops_dangerous_candidates() -> None:
    assert _clean('<img srcset="javascript:x 1x, b.png 2x">') == (
        '<img srcset="https://blog.example.org/blog/2024/05/b.png 2x">'
    )


def test_source_srcset_in_picture() -> None:
    cleaned = _clean('<video><source src="v.webm" type="video/webm"></video>')
    assert 'src="https://blog.example.org/blog/2024/05/v.webm"' in cleaned


def test_cite_attributes_are_made_absolute() -> None:
    assert _clean('<blockquote cite="/src">q</blockquote>') == (
        '<blockquote cite="https://blog.example.org/src">q</blockquote>'
    )


# --- Middleman's image directory ------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "absolute"),
    [
        ("photo.png", "https://blog.example.org/images/photo.png"),
        ("2024/photo.png", "https://blog.example.org/images/2024/photo.png"),
        ("images/photo.png", "https://blog.example.org/images/photo.png"),
        ("/static/photo.png", "https://blog.example.org/static/photo.png"),
        ("https://x.org/p.png", "https://x.org/p.png"),
    ],
)
def test_middleman_images_resolve_under_the_images_dir(src: str, absolute: str) -> None:
    assert _clean(f'<img src="{src}">', images=True) == f'<img src="{absolute}">'


def test_middleman_links_still_resolve_against_the_page() -> None:
    assert _clean('<a href="x.html">x</a>', images=True) == (
        '<a href="https://blog.example.org/blog/2024/05/x.html">x</a>'
    )


def test_a_sanitizer_forgets_the_previous_page() -> None:
    sanitizer = Sanitizer()
    sanitizer.clean('<a href="{{x}}">x</a>', PAGE)
    cleaned, problems = sanitizer.clean('<a href="y">y</a>', "https://blog.example.org/p/")
    assert (cleaned, problems) == ('<a href="https://blog.example.org/p/y">y</a>', [])
