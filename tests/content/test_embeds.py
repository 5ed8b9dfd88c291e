"""Embeds (iframes, objects, scripts) become links a feed reader can show."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from syndicate.content import embeds
from syndicate.content.render import Renderer
from tests.content.conftest import assert_valid_html

PAGE = "https://blog.example.org/blog/2024/05/hello.html"
VIDEO = "dQw4w9WgXcQ"


def _element(html: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(html)


def _feed_html(body: str, body_format: str = "markdown") -> str:
    rendered = Renderer(site_url="https://blog.example.org/").render(body, body_format, PAGE)
    assert_valid_html(rendered.content_html)
    return rendered.content_html


# --- identify -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "src",
    [
        f"https://www.youtube.com/embed/{VIDEO}",
        f"https://www.youtube.com/embed/{VIDEO}?rel=0&showinfo=0",
        f"//www.youtube.com/embed/{VIDEO}",
        f"https://www.youtube-nocookie.com/embed/{VIDEO}",
        f"http://www.youtube.com/v/{VIDEO}?version=3",
        f"https://youtu.be/{VIDEO}",
    ],
)
def test_youtube_embeds_link_to_the_video_with_its_thumbnail(src: str) -> None:
    found = embeds.identify(_element(f'<iframe src="{src}"></iframe>'), PAGE)
    assert found == embeds.Replacement(
        f"https://www.youtube.com/watch?v={VIDEO}",
        "Watch the video on YouTube",
        f"https://i.ytimg.com/vi/{VIDEO}/hqdefault.jpg",
    )


def test_the_iframe_title_names_the_video() -> None:
    iframe = f'<iframe title="Our talk" src="https://www.youtube.com/embed/{VIDEO}"></iframe>'
    assert embeds.identify(_element(iframe), PAGE).label == "Watch “Our talk” on YouTube"  # type: ignore[union-attr]


def test_youtube_playlists() -> None:
    src = "https://www.youtube.com/embed/videoseries?list=PL123"
    found = embeds.identify(_element(f'<iframe src="{src}"></iframe>'), PAGE)
    assert found == embeds.Replacement(
        "https://www.youtube.com/playlist?list=PL123", "Watch the playlist on YouTube"
    )


def test_vimeo() -> None:
    found = embeds.identify(
        _element('<iframe src="//player.vimeo.com/video/12345"></iframe>'), PAGE
    )
    assert found == embeds.Replacement("https://vimeo.com/12345", "Watch the video on Vimeo")


def test_flickr_object() -> None:
    html = '<object data="https://www.flickr.com/photos/ana/1234/player/"></object>'
    found = embeds.identify(_element(html), PAGE)
    assert found == embeds.Replacement("https://www.flickr.com/photos/ana/1234/", "View on Flickr")


def test_flash_object_with_a_movie_param() -> None:
    html = f'<object><param name="movie" value="https://www.youtube.com/v/{VIDEO}"></object>'
    found = embeds.identify(_element(html), PAGE)
    assert found is not None
    assert found.url == f"https://www.youtube.com/watch?v={VIDEO}"


def test_gist_script_links_to_the_gist() -> None:
    html = '<script src="https://gist.github.com/ana/0a1b2c3d.js"></script>'
    found = embeds.identify(_element(html), PAGE)
    assert found == embeds.Replacement(
        "https://gist.github.com/ana/0a1b2c3d", "View the code on GitHub"
    )


def test_soundcloud_links_to_the_track() -> None:
    src = "https://w.soundcloud.com/player/?url=https%3A//api.soundcloud.com/tracks/42"
    found = embeds.identify(_element(f'<iframe src="{src}"></iframe>'), PAGE)
    assert found == embeds.Replacement(
        "https://api.soundcloud.com/tracks/42", "Listen on SoundCloud"
    )


def test_any_other_iframe_links_to_its_site() -> None:
    found = embeds.identify(
        _element('<iframe src="https://www.slides.example/d/1"></iframe>'), PAGE
    )
    assert found == embeds.Replacement(
        "https://www.slides.example/d/1", "View the embedded content on slides.example"
    )


def test_a_relative_iframe_is_resolved_against_the_page() -> None:
    found = embeds.identify(_element('<iframe src="demo/index.html"></iframe>'), PAGE)
    assert found is not None
    assert found.url == "https://blog.example.org/blog/2024/05/demo/index.html"


@pytest.mark.parametrize(
    "html",
    [
        "<iframe></iframe>",
        "<script>alert(1)</script>",
        '<script src="https://cdn.example/analytics.js"></script>',
        "<style>p { color: red }</style>",
        "<object></object>",
    ],
)
def test_embeds_without_anything_to_link_to(html: str) -> None:
    assert embeds.identify(_element(html), PAGE) is None


# --- in a rendered post ---------------------------------------------------------------------


def test_a_youtube_iframe_becomes_a_thumbnail_and_a_link() -> None:
    body = f'Intro\n\n<iframe width="560" src="https://www.youtube.com/embed/{VIDEO}"></iframe>\n'
    watch = f"https://www.youtube.com/watch?v={VIDEO}"
    assert _feed_html(body) == (
        "<p>Intro</p>\n"
        f'<p><a href="{watch}"><img src="https://i.ytimg.com/vi/{VIDEO}/hqdefault.jpg"'
        f' alt="Watch the video on YouTube"></a><br>'
        f'<a href="{watch}">Watch the video on YouTube</a></p>'
    )


def test_an_inline_iframe_becomes_an_inline_link() -> None:
    html = _feed_html('<p>See <iframe src="https://x.example/w"></iframe> here.</p>', "html")
    assert html == (
        '<p>See <span><a href="https://x.example/w">View the embedded content on x.example</a>'
        "</span> here.</p>"
    )


def test_nested_object_and_embed_become_one_link() -> None:
    html = _feed_html(
        f'<object><param name="movie" value="https://www.youtube.com/v/{VIDEO}">'
        f'<embed src="https://www.youtube.com/v/{VIDEO}"></object>'
    )
    assert html.count(f'<a href="https://www.youtube.com/watch?v={VIDEO}">') == 2  # image, text
    assert "<object" not in html
    assert "<embed" not in html


def test_a_gist_script_becomes_a_link() -> None:
    html = _feed_html('<script src="https://gist.github.com/ana/0a1b2c3d.js"></script>')
    assert (
        html == '<p><a href="https://gist.github.com/ana/0a1b2c3d">View the code on GitHub</a></p>'
    )


def test_noscript_content_is_kept_and_scripts_dropped() -> None:
    html = _feed_html(
        "<script>document.write('x')</script>\n"
        '<noscript>See <a href="/demo">the demo</a>.</noscript>\n'
    )
    assert html == '<p>See <a href="https://blog.example.org/demo">the demo</a>.</p>'


def test_text_after_a_removed_embed_is_kept() -> None:
    assert _feed_html("<p>a<iframe></iframe>b</p>", "html") == "<p>ab</p>"


def test_embed_text_in_code_is_not_an_embed() -> None:
    html = _feed_html('```html\n<iframe src="https://www.youtube.com/embed/x"></iframe>\n```')
    assert "&lt;iframe" in html
    assert "youtube.com/watch" not in html
