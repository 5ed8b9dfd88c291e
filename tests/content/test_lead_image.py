"""A post's lead image and alt text, in every form the generators' themes write it, and the
first image of the body when the frontmatter names none."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.check import check
from syndicate.clock import FixedClock
from syndicate.content import lead_image
from syndicate.content.lead_image import LeadImage
from syndicate.pipeline.opening import open_builder
from syndicate.store.codec import dump_post, load_post
from syndicate.store.ledger import Ledger
from tests.conftest import NOW, Blog

SITE = "https://blog.example.org/"
PAGE = "https://blog.example.org/2024/05/01/a-post/"


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"image": "/img/a.png"}, LeadImage(SITE + "img/a.png", None)),
        ({"image": "/img/a.png", "image_alt": "A cat"}, LeadImage(SITE + "img/a.png", "A cat")),
        ({"image": {"path": "/a.png", "alt": "Seo tag"}}, LeadImage(SITE + "a.png", "Seo tag")),
        ({"cover": {"image": "c.png", "alt": "PaperMod"}}, LeadImage(SITE + "c.png", "PaperMod")),
        ({"images": ["https://cdn.example/x.jpg"]}, LeadImage("https://cdn.example/x.jpg", None)),
        ({"featured_image": "/f.jpg", "imageAlt": "F"}, LeadImage(SITE + "f.jpg", "F")),
        ({"thumbnail": "/t.jpg"}, LeadImage(SITE + "t.jpg", None)),
        ({"header": {"teaser": "/teaser.jpg"}}, LeadImage(SITE + "teaser.jpg", None)),
        ({"image": "/a.png", "cover": "/b.png"}, LeadImage(SITE + "a.png", None)),
        (
            {"image": {"path": "/a.png", "alt": "  two\n lines "}},
            LeadImage(SITE + "a.png", "two lines"),
        ),
        ({"image": ""}, None),
        ({"image": 42}, None),
        ({}, None),
    ],
)
def test_the_frontmatter_image_as_themes_name_it(meta: dict[str, Any], expected: Any) -> None:
    assert lead_image.from_frontmatter(meta, SITE, []) == expected


def test_a_frontmatter_image_that_is_not_a_web_address_is_left_out_with_a_warning() -> None:
    warnings: list[str] = []
    assert lead_image.from_frontmatter({"image": "javascript:alert(1)"}, SITE, warnings) is None
    assert warnings and "not an http(s) address" in warnings[0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Text ![A diagram](diagram.png) more", LeadImage(PAGE + "diagram.png", "A diagram")),
        ('![Alt](/x.png "A title")', LeadImage(SITE + "x.png", "Alt")),
        ("![](<with space.png>)", LeadImage(PAGE + "with%20space.png", None)),
        (r"![An \[escaped\] alt](a.png)", LeadImage(PAGE + "a.png", "An [escaped] alt")),
        (
            '<p><img alt="Html &amp; more" src="/h.png"></p>',
            LeadImage(SITE + "h.png", "Html & more"),
        ),
        ('<IMG SRC="h.png" ALT="">', LeadImage(PAGE + "h.png", None)),
        ('<img src="/first.png"> then ![md](second.png)', LeadImage(SITE + "first.png", None)),
        ("![inline](data:image/png;base64,AAAA)", None),
        ("![liquid]({{ site.url }}/a.png)", None),
        ("No image at all. [A link](x.html)", None),
    ],
)
def test_the_first_body_image_and_its_alt(body: str, expected: Any) -> None:
    assert lead_image.from_body(body, PAGE, None) == expected


def test_middlemans_images_folder_is_where_relative_body_images_live() -> None:
    found = lead_image.from_body("![a](2024/a.png)", PAGE, "images/")
    assert found == LeadImage(SITE + "images/2024/a.png", "a")


@given(st.text(max_size=300))
def test_any_body_gives_an_absolute_web_image_or_none(body: str) -> None:
    found = lead_image.from_body(body, PAGE, None)
    assert found is None or found.url.startswith("https://")
    assert found is None or found.alt is None or (found.alt.strip() and "\n" not in found.alt)


def test_the_loader_keeps_image_alt_and_per_network_texts_through_the_ledger(
    blog: Blog,
) -> None:
    blog.post(
        "2024-05-01-a.md",
        {"title": "A", "syndicate": {"mastodon": "Toot text", "team-x": "X text", "skip": False}},
        "Look: ![A red square](red.png)",
    )
    settings = blog.settings()
    with open_builder(settings, clock=FixedClock(NOW)) as builder:
        builder.build()
    ledger = Ledger.open(settings.store.url)
    try:
        [record] = ledger.records().values()
    finally:
        ledger.close()
    post = record.post
    assert post.image and post.image.endswith("/red.png") and post.image_alt == "A red square"
    assert post.overrides.texts == (("mastodon", "Toot text"), ("team-x", "X text"))
    assert post.overrides.text_for("team-x", "x") == "X text"
    assert post.overrides.text_for("other", "mastodon") == "Toot text"
    assert post.overrides.text_for("other", "bluesky") is None
    assert load_post(dump_post(post)) == post


def test_a_syndicate_key_that_is_not_a_text_is_a_warning_not_a_broken_post(blog: Blog) -> None:
    blog.post("2024-05-01-a.md", {"title": "A", "author": "ana", "syndicate": {"mastodon": 3}})
    report = check(blog.settings(url="https://notes.example.org/"), FixedClock(NOW))
    messages = [f.message for f in report.findings]
    assert "syndicate: mastodon: is not a text to post there; ignored" in messages
    assert report.errors == 0
