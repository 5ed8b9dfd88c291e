"""One source file becomes one Post: title, visibility, permalink, extras and errors."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from syndicate.errors import EncodingError, FrontmatterError, PostDataError
from syndicate.model import PostOverrides, Visibility
from tests.conftest import NOW, Blog
from tests.content.conftest import load, loader_for

NAME = "2024-05-01-hello.html.md"


def test_a_plain_post(blog: Blog) -> None:
    path = blog.post(NAME, {"title": "Hello", "date": "2024-05-01 10:00:00 UTC"}, "Hi *there*.")
    loaded = load(blog, path)
    post = loaded.post
    assert (post.source, post.slug, post.title) == ("source/blog/" + NAME, "hello", "Hello")
    assert post.date == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert post.permalink == "https://blog.example.org/blog/2024/05/hello.html"
    assert post.visibility is Visibility.PUBLIC
    assert (loaded.body, loaded.body_format, loaded.warnings) == ("Hi *there*.\n", "markdown", ())


def test_an_html_source_keeps_its_format(blog: Blog) -> None:
    path = blog.post("2024-05-01-page.html.erb", {"title": "T"}, "<p>Hi</p>")
    assert load(blog, path).body_format == "html"


# --- titles ---------------------------------------------------------------------------------


def test_a_missing_title_is_an_error_naming_the_file(blog: Blog) -> None:
    path = blog.post(NAME, {"author": "ana"})
    with pytest.raises(PostDataError, match="no title") as caught:
        load(blog, path)
    assert caught.value.path == "source/blog/" + NAME


@pytest.mark.parametrize("title", ["", "   ", None])
def test_an_empty_title_is_an_error(blog: Blog, title: str | None) -> None:
    path = blog.post(NAME, {"title": title})
    with pytest.raises(PostDataError, match="no title"):
        load(blog, path)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("No", "No"),
        ("Using <code>grep</code> &amp; friends", "Using grep & friends"),
        ("  spaced \n  out  ", "spaced out"),
        ("<em>Big</em> news", "Big news"),
        ("2024", "2024"),
        ("1.10 released", "1.10 released"),
    ],
)
def test_titles_are_plain_text(blog: Blog, title: str, text: str) -> None:
    path = blog.post(NAME, raw=f"---\ntitle: {title}\n---\n")
    assert load(blog, path).post.title == text


def test_a_title_that_yaml_types_as_a_number_is_its_text(blog: Blog) -> None:
    path = blog.post(NAME, raw="---\ntitle: 1.10\n---\n")
    assert load(blog, path).post.title == "1.1"  # what YAML reads, fast path or not


def test_tag_like_words_in_a_title_are_kept(blog: Blog) -> None:
    path = blog.post(NAME, {"title": "Announcing the <news> element; a < b > c"})
    assert load(blog, path).post.title == "Announcing the <news> element; a < b > c"


# --- visibility -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "visibility"),
    [
        ({}, Visibility.PUBLIC),
        ({"published": True}, Visibility.PUBLIC),
        ({"published": False}, Visibility.UNPUBLISHED),
        ({"published": "no"}, Visibility.UNPUBLISHED),
        ({"published": "off"}, Visibility.UNPUBLISHED),
        ({"published": "0"}, Visibility.UNPUBLISHED),
        ({"draft": True}, Visibility.DRAFT),
        ({"draft": "yes"}, Visibility.DRAFT),
        ({"draft": False}, Visibility.PUBLIC),
        ({"draft": True, "published": False}, Visibility.DRAFT),
    ],
)
def test_visibility(blog: Blog, meta: dict[str, object], visibility: Visibility) -> None:
    path = blog.post(NAME, {"title": "T", **meta})
    assert load(blog, path).post.visibility is visibility


def test_yaml_11_words_in_flags_are_understood(blog: Blog) -> None:
    path = blog.post(NAME, raw="---\ntitle: T\npublished: no\n---\n")
    assert load(blog, path).post.visibility is Visibility.UNPUBLISHED


def test_a_flag_that_is_not_a_boolean_is_an_error(blog: Blog) -> None:
    path = blog.post(NAME, {"title": "T", "published": "maybe"})
    with pytest.raises(PostDataError, match="`published:` must be true or false"):
        load(blog, path)


def test_unpublished_and_draft_posts_are_not_public(blog: Blog) -> None:
    hidden = [
        load(blog, blog.post(f"2024-05-0{i}-x.html.md", {"title": "T", **meta})).post
        for i, meta in enumerate([{"published": False}, {"draft": True}], start=1)
    ]
    assert not any(post.is_public(NOW) for post in hidden)


def test_a_future_post_is_not_public_until_its_date(blog: Blog) -> None:
    future = NOW + timedelta(days=1)
    path = blog.post(NAME, {"title": "T", "date": future.isoformat()})
    post = load(blog, path).post
    assert not post.is_public(NOW)
    assert post.is_public(future)


def test_an_expired_post_is_not_public(blog: Blog) -> None:
    path = blog.post(NAME, {"title": "T", "expiryDate": (NOW - timedelta(seconds=1)).isoformat()})
    post = load(blog, path).post
    assert not post.is_public(NOW)
    assert post.is_public(NOW - timedelta(days=1))


# --- permalinks and extras ------------------------------------------------------------------


def test_a_declared_permalink_wins(blog: Blog) -> None:
    path = blog.post(NAME, {"title": "T", "permalink": "/news/custom.html"})
    assert load(blog, path).post.permalink == "https://blog.example.org/news/custom.html"


def test_a_declared_url_is_a_permalink_too(blog: Blog) -> None:
    path = blog.post(NAME, {"title": "T", "url": "https://elsewhere.example/p"})
    assert load(blog, path).post.permalink == "https://elsewhere.example/p"


def test_the_permalink_is_under_the_sites_path(blog: Blog) -> None:
    path = blog.post(NAME, {"title": "T"})
    settings = blog.settings(url="https://example.org/community/")
    post = loader_for(settings).load(path.relative_to(blog.root).as_posix(), path.read_bytes())
    assert post.post.permalink == "https://example.org/community/blog/2024/05/hello.html"


def test_a_non_ascii_slug_is_percent_encoded(blog: Blog) -> None:
    path = blog.post("2024-05-01-café.html.md", {"title": "T"})
    assert load(blog, path).post.permalink == "https://blog.example.org/blog/2024/05/caf%C3%A9.html"


@pytest.mark.parametrize(
    "image",
    [
        "/images/lead.png",
        {"path": "/images/lead.png"},
        {"src": "/images/lead.png"},
        ["/images/lead.png", "/images/other.png"],
    ],
)
def test_the_lead_image_is_absolute(blog: Blog, image: object) -> None:
    path = blog.post(NAME, {"title": "T", "image": image})
    assert load(blog, path).post.image == "https://blog.example.org/images/lead.png"


def test_summary_description_and_language(blog: Blog) -> None:
    meta = {"title": "T", "description": "  A <em>short</em>\n text. ", "lang": "fr"}
    post = load(blog, blog.post(NAME, meta)).post
    assert (post.summary, post.language) == ("A short text.", "fr")


@pytest.mark.parametrize(("value", "declared"), [("urn:x:1", "urn:x:1"), (42, "42"), (True, None)])
def test_a_declared_id(blog: Blog, value: object, declared: str | None) -> None:
    path = blog.post(NAME, {"title": "T", "id": value})
    assert load(blog, path).post.declared_id == declared


@pytest.mark.parametrize(
    ("value", "overrides"),
    [
        (None, PostOverrides()),
        (False, PostOverrides(skip=True)),
        ({"skip": "yes"}, PostOverrides(skip=True)),
        ({"text": "Read this!"}, PostOverrides(text="Read this!")),
    ],
)
def test_syndicate_overrides(blog: Blog, value: object, overrides: PostOverrides) -> None:
    path = blog.post(NAME, {"title": "T", "syndicate": value})
    assert load(blog, path).post.overrides == overrides


def test_bad_syndicate_overrides_are_an_error(blog: Blog) -> None:
    path = blog.post(NAME, {"title": "T", "syndicate": "please"})
    with pytest.raises(PostDataError, match="syndicate"):
        load(blog, path)


# --- hashes, errors, hand-over --------------------------------------------------------------


def test_content_hash_follows_title_and_body_not_metadata(blog: Blog) -> None:
    first = load(blog, blog.post(NAME, {"title": "T", "tags": "a"}, "Body")).content_hash
    same = load(blog, blog.post(NAME, {"title": "T", "tags": "b"}, "Body")).content_hash
    edited = load(blog, blog.post(NAME, {"title": "T", "tags": "b"}, "Body!")).content_hash
    assert first == same != edited


def test_source_hash_follows_the_bytes(blog: Blog) -> None:
    first = load(blog, blog.post(NAME, {"title": "T", "tags": "a"})).source_hash
    second = load(blog, blog.post(NAME, {"title": "T", "tags": "b"})).source_hash
    assert first != second


def test_an_undecodable_file_is_an_encoding_error(blog: Blog) -> None:
    path = blog.post(NAME, raw=bytes(range(128, 256)) * 4)
    with pytest.raises(EncodingError) as caught:
        load(blog, path)
    assert caught.value.path == "source/blog/" + NAME


def test_bad_frontmatter_is_an_error_with_the_line(blog: Blog) -> None:
    path = blog.post(NAME, raw="---\ntitle: T\ntags: [a\nauthor: x\n---\n")
    with pytest.raises(FrontmatterError) as caught:
        load(blog, path)
    assert caught.value.line in (3, 4)


def test_decoding_warnings_reach_the_loaded_post(blog: Blog) -> None:
    path = blog.post(NAME, raw="\ufeff---\r\ntitle: Caf\u00c3\u00a9\r\n---\r\nBody\r\n".encode())
    loaded = load(blog, path)
    assert (loaded.post.title, loaded.body) == ("Café", "Body\n")
    assert any("mojibake" in w for w in loaded.warnings)


def test_a_utf16_post_loads(blog: Blog) -> None:
    path = blog.post(NAME, raw="---\ntitle: Ünïcode\n---\nBody\n".encode("utf-16"))
    assert load(blog, path).post.title == "Ünïcode"


def test_a_loaded_post_survives_pickling(blog: Blog) -> None:
    meta = {"title": "T", "author": "Ana", "tags": "a, b", "expiryDate": "2030-01-01"}
    loaded = load(blog, blog.post(NAME, meta))
    assert pickle.loads(pickle.dumps(loaded)) == loaded


def test_hugo_list_pages_are_not_accepted_elsewhere_they_are(blog: Blog) -> None:
    loader = loader_for(blog.settings())
    assert loader.accepts("source/blog/_index.md")
