"""Middleman, Jekyll and Hugo layouts: detection, where posts live, and their permalinks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.content.files import scan
from syndicate.content.layouts import detect, resolve
from syndicate.content.loader import LoadedPost, PostLoader
from syndicate.errors import ConfigError
from tests.conftest import Blog
from tests.content.conftest import load, loader_for, settings_for, write


def _load_all(root: Path, extra: str = "") -> dict[str, LoadedPost]:
    """Every post of the blog at `root`, scanned and loaded as a build does it."""
    loader: PostLoader = loader_for(settings_for(root, extra))
    layout = resolve(root, "auto")
    stamps = scan(root, layout.posts_dir, recursive=layout.recursive, skip_dirs=layout.skip_dirs)
    return {
        s.rel: loader.load(s.rel, (root / s.rel).read_bytes())
        for s in stamps
        if loader.accepts(s.rel)
    }


# --- detection ------------------------------------------------------------------------------


def test_a_config_rb_or_source_blog_is_middleman(tmp_path: Path) -> None:
    write(tmp_path / "a" / "config.rb", "activate :blog\n")
    (tmp_path / "b" / "source" / "blog").mkdir(parents=True)
    assert detect(tmp_path / "a") == detect(tmp_path / "b") == "middleman"


def test_a_jekyll_config_or_posts_dir_is_jekyll(tmp_path: Path) -> None:
    write(tmp_path / "a" / "_config.yml", "title: x\n")
    (tmp_path / "b" / "_posts").mkdir(parents=True)
    assert detect(tmp_path / "a") == detect(tmp_path / "b") == "jekyll"


def test_a_content_dir_is_hugo(tmp_path: Path) -> None:
    write(tmp_path / "a" / "hugo.toml", 'title = "x"\n')
    (tmp_path / "a" / "content").mkdir()
    (tmp_path / "b" / "content").mkdir(parents=True)
    assert detect(tmp_path / "a") == detect(tmp_path / "b") == "hugo"


def test_an_unknown_directory_is_a_config_error(tmp_path: Path) -> None:
    assert detect(tmp_path) is None
    with pytest.raises(ConfigError, match=r"content\.layout"):
        resolve(tmp_path, "auto")


def test_the_layout_can_be_named_instead_of_detected(tmp_path: Path) -> None:
    (tmp_path / "source" / "blog").mkdir(parents=True)
    (tmp_path / "_posts").mkdir()
    assert resolve(tmp_path, "auto").name == "middleman"
    assert resolve(tmp_path, "jekyll").name == "jekyll"


def test_settings_override_posts_dir_permalink_and_image_base(tmp_path: Path) -> None:
    (tmp_path / "source" / "blog").mkdir(parents=True)
    layout = resolve(
        tmp_path, "auto", posts="source/news", permalink="news/{slug}/", image_base="img/"
    )
    assert (layout.posts_dir, layout.permalink, layout.image_base) == (
        "source/news",
        "news/{slug}/",
        "img/",
    )


# --- Middleman ------------------------------------------------------------------------------


def test_middleman_default_permalink(blog: Blog) -> None:
    path = blog.post("2024-05-01-hello.html.md", {"title": "Hello"})
    assert load(blog, path).post.permalink == "https://blog.example.org/blog/2024/05/hello.html"


def test_middleman_permalink_from_config_rb(blog: Blog) -> None:
    write(
        blog.root / "config.rb",
        'activate :blog do |blog|\n  blog.prefix = "news"\n'
        '  blog.permalink = "{year}/{month}/{day}/{title}.html"\nend\n',
    )
    path = blog.post("2024-05-01-hello.html.md", {"title": "Hello"})
    assert load(blog, path).post.permalink == "https://blog.example.org/news/2024/05/01/hello.html"


def test_middleman_config_rb_with_colon_fields(blog: Blog) -> None:
    write(
        blog.root / "config.rb",
        "activate :blog do |blog|\n  blog.permalink = ':year/:title'\nend\n",
    )
    path = blog.post("2024-05-01-hello.html.md", {"title": "Hello"})
    assert load(blog, path).post.permalink == "https://blog.example.org/2024/hello"


def test_middleman_slug_comes_from_the_file_name_not_the_frontmatter(blog: Blog) -> None:
    path = blog.post("2024-05-01-hello.html.md", {"title": "Hello", "slug": "other"})
    assert load(blog, path).post.slug == "hello"


def test_middleman_images_resolve_under_images(tmp_path: Path) -> None:
    (tmp_path / "source" / "blog").mkdir(parents=True)
    assert resolve(tmp_path, "auto").image_base == "images/"


def test_middleman_finds_its_registry(blog: Blog) -> None:
    blog.authors({"ana": {"name": "Ana"}})
    assert resolve(blog.root, "auto").authors_file == "data/authors.yml"


# --- Jekyll ---------------------------------------------------------------------------------


@pytest.fixture
def jekyll(tmp_path: Path) -> Path:
    root = tmp_path / "jekyll"
    write(root / "_config.yml", "title: J\n")
    write(
        root / "_posts" / "2020-01-02-hello-world.md",
        "---\ntitle: Hello\ntags: foo bar baz\ncategories: news release\n---\nHi\n",
    )
    write(root / "_posts" / "_drafts" / "2020-01-03-draft.md", "---\ntitle: D\n---\n")
    write(root / "_drafts" / "2020-01-03-other-draft.md", "---\ntitle: D\n---\n")
    return root


def test_jekyll_reads_posts_and_ignores_drafts(jekyll: Path) -> None:
    assert list(_load_all(jekyll)) == ["_posts/2020-01-02-hello-world.md"]


def test_jekyll_tags_split_on_spaces(jekyll: Path) -> None:
    post = _load_all(jekyll)["_posts/2020-01-02-hello-world.md"].post
    assert [t.name for t in post.tags] == ["foo", "bar", "baz"]


def test_jekyll_default_permalink_has_space_separated_categories(jekyll: Path) -> None:
    post = _load_all(jekyll)["_posts/2020-01-02-hello-world.md"].post
    assert post.permalink == "https://blog.example.org/news/release/2020/01/02/hello-world.html"


@pytest.mark.parametrize(
    ("style", "path"),
    [
        ("pretty", "news/release/2020/01/02/hello-world/"),
        ("date", "news/release/2020/01/02/hello-world.html"),
        ("none", "news/release/hello-world.html"),
        ("/blog/:year/:i_month/:title/", "blog/2020/1/hello-world/"),
        ("/:categories/:title:output_ext", "news/release/hello-world.html"),
    ],
)
def test_jekyll_permalink_from_its_config(jekyll: Path, style: str, path: str) -> None:
    write(jekyll / "_config.yml", f"title: J\npermalink: {style}\n")
    post = _load_all(jekyll)["_posts/2020-01-02-hello-world.md"].post
    assert post.permalink == f"https://blog.example.org/{path}"


def test_jekyll_slug_from_frontmatter(jekyll: Path) -> None:
    write(jekyll / "_posts" / "2020-01-02-hello-world.md", "---\ntitle: H\nslug: hi\n---\n")
    assert _load_all(jekyll)["_posts/2020-01-02-hello-world.md"].post.slug == "hi"


def test_jekyll_posts_in_subfolders_are_read(jekyll: Path) -> None:
    write(jekyll / "_posts" / "2021" / "2021-01-01-deep.markdown", "---\ntitle: Deep\n---\n")
    assert "_posts/2021/2021-01-01-deep.markdown" in _load_all(jekyll)


def test_jekyll_registry_lives_in_data(jekyll: Path) -> None:
    write(jekyll / "_data" / "authors.yml", "ana:\n  name: Ana\n")
    assert resolve(jekyll, "auto").authors_file == "_data/authors.yml"


def test_a_broken_jekyll_config_falls_back_to_the_default(jekyll: Path) -> None:
    write(jekyll / "_config.yml", "permalink: [unclosed\n")
    assert resolve(jekyll, "auto").permalink == "/:categories/:year/:month/:day/:title:output_ext"


# --- Hugo -----------------------------------------------------------------------------------


@pytest.fixture
def hugo(tmp_path: Path) -> Path:
    root = tmp_path / "hugo"
    write(root / "hugo.toml", 'baseURL = "https://hugo.example.com/"\ntitle = "H"\n')
    posts = root / "content" / "posts"
    write(
        posts / "bundle" / "index.md",
        '+++\ntitle = "Bundle"\ndate = 2021-03-04T05:06:07Z\ntags = ["X"]\n+++\nBody\n',
    )
    write(posts / "_index.md", "---\ntitle: Posts\n---\n")
    write(posts / "plain.md", "---\ntitle: Plain\ndate: 2021-01-01\n---\nText\n")
    write(posts / "sub" / "_index.md", "---\ntitle: Sub\n---\n")
    write(posts / "sub" / "deeper.md", "---\ntitle: Deeper\ndate: 2021-01-02\n---\n")
    return root


def test_hugo_reads_content_recursively_without_list_pages(hugo: Path) -> None:
    assert sorted(_load_all(hugo)) == [
        "content/posts/bundle/index.md",
        "content/posts/plain.md",
        "content/posts/sub/deeper.md",
    ]


def test_hugo_page_bundle_is_named_after_its_directory(hugo: Path) -> None:
    post = _load_all(hugo)["content/posts/bundle/index.md"].post
    assert post.slug == "bundle"
    assert post.permalink == "https://blog.example.org/posts/bundle/"


def test_hugo_toml_frontmatter(hugo: Path) -> None:
    post = _load_all(hugo)["content/posts/bundle/index.md"].post
    assert post.title == "Bundle"
    assert post.date == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert [t.name for t in post.tags] == ["X"]


def test_hugo_slug_from_frontmatter(hugo: Path) -> None:
    write(
        hugo / "content" / "posts" / "plain.md", "---\ntitle: P\ndate: 2021-01-01\nslug: s\n---\n"
    )
    assert _load_all(hugo)["content/posts/plain.md"].post.permalink == (
        "https://blog.example.org/posts/s/"
    )


@pytest.mark.parametrize(
    "config",
    [
        '[permalinks]\nposts = "/:year/:month/:slug/"\n',
        '[permalinks.page]\nposts = "/:year/:month/:slug/"\n',
    ],
)
def test_hugo_permalinks_from_its_config(hugo: Path, config: str) -> None:
    write(hugo / "hugo.toml", f'title = "H"\n{config}')
    post = _load_all(hugo)["content/posts/plain.md"].post
    assert post.permalink == "https://blog.example.org/2021/01/plain/"


def test_hugo_yaml_config_with_filename_token(hugo: Path) -> None:
    (hugo / "hugo.toml").unlink()
    write(hugo / "config.yaml", "permalinks:\n  posts: /articles/:filename/\n")
    post = _load_all(hugo)["content/posts/bundle/index.md"].post
    assert post.permalink == "https://blog.example.org/articles/bundle/"


def test_hugo_slug_token_falls_back_to_the_title(hugo: Path) -> None:
    write(hugo / "hugo.toml", '[permalinks]\nposts = "/:slug/"\n')
    write(
        hugo / "content" / "posts" / "plain.md", "---\ntitle: Hello World\ndate: 2021-01-01\n---\n"
    )
    post = _load_all(hugo)["content/posts/plain.md"].post
    assert post.permalink == "https://blog.example.org/hello-world/"


def test_hugo_expiry_date_is_read(hugo: Path) -> None:
    write(
        hugo / "content" / "posts" / "plain.md",
        "---\ntitle: P\ndate: 2021-01-01\nexpiryDate: 2022-01-01\n---\n",
    )
    post = _load_all(hugo)["content/posts/plain.md"].post
    assert post.expires == datetime(2022, 1, 1, tzinfo=UTC)
    assert post.is_public(datetime(2021, 6, 1, tzinfo=UTC))
    assert not post.is_public(datetime(2022, 6, 1, tzinfo=UTC))


def test_hugo_posts_dir_falls_back_to_content(tmp_path: Path) -> None:
    write(tmp_path / "content" / "about.md", "---\ntitle: A\ndate: 2020-01-01\n---\n")
    layout = resolve(tmp_path, "auto")
    assert (layout.name, layout.posts_dir) == ("hugo", "content")


# --- what the generator's config publishes ---------------------------------------------------

_NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _held_back(root: Path) -> dict[str, bool]:
    return {rel.rsplit("/", 1)[-1]: lp.post.is_public(_NOW) for rel, lp in _load_all(root).items()}


@pytest.mark.parametrize(
    ("flags", "public"), [("", False), ("future: true\nunpublished: true\n", True)]
)
def test_jekyll_future_and_unpublished_follow_its_config(
    tmp_path: Path, flags: str, public: bool
) -> None:
    write(tmp_path / "_config.yml", "title: J\n" + flags)
    write(tmp_path / "_posts" / "2099-01-01-ahead.md", "---\ntitle: Ahead\n---\n")
    write(tmp_path / "_posts" / "2020-01-01-off.md", "---\ntitle: Off\npublished: false\n---\n")
    write(tmp_path / "_posts" / "2020-01-02-draft.md", "---\ntitle: D\ndraft: true\n---\n")
    # jekyll-feed leaves `draft: true` out whatever the config says
    assert _held_back(tmp_path) == {
        "2099-01-01-ahead.md": public,
        "2020-01-01-off.md": public,
        "2020-01-02-draft.md": False,
    }


@pytest.mark.parametrize(
    ("flags", "public"),
    [("", False), ("buildFuture = true\nbuildDrafts = true\nbuildExpired = true\n", True)],
)
def test_hugo_build_flags_follow_its_config(tmp_path: Path, flags: str, public: bool) -> None:
    write(tmp_path / "hugo.toml", 'title = "H"\n' + flags)
    posts = tmp_path / "content" / "posts"
    write(posts / "ahead.md", "---\ntitle: A\ndate: 2020-01-01\npublishDate: 2099-01-01\n---\n")
    write(posts / "draft.md", "---\ntitle: D\ndate: 2020-01-01\ndraft: true\n---\n")
    write(posts / "gone.md", "---\ntitle: G\ndate: 2020-01-01\nexpiryDate: 2021-01-01\n---\n")
    assert _held_back(tmp_path) == {"ahead.md": public, "draft.md": public, "gone.md": public}


def test_hugo_sections_are_the_folders_with_an_index_file(tmp_path: Path) -> None:
    write(tmp_path / "hugo.toml", 'title = "H"\n[permalinks]\nposts = "/:sections/:filename/"\n')
    posts = tmp_path / "content" / "posts"
    write(posts / "ai" / "_index.md", "---\ntitle: AI\n---\n")
    write(posts / "loose" / "inner" / "_index.md", "---\ntitle: I\n---\n")
    for rel in ("ai/a.md", "ai/b/index.md", "ai/plain/c.md", "loose/d.md", "loose/inner/e.md"):
        write(posts / rel, "---\ntitle: T\ndate: 2024-01-01\n---\n")
    links = {rel: lp.post.permalink for rel, lp in _load_all(tmp_path).items()}
    base = "https://blog.example.org/posts/"
    assert links == {
        "content/posts/ai/a.md": base + "ai/a/",
        "content/posts/ai/b/index.md": base + "ai/b/",
        "content/posts/ai/plain/c.md": base + "ai/c/",
        "content/posts/loose/d.md": base + "d/",
        "content/posts/loose/inner/e.md": base + "loose/inner/e/",
    }


def test_a_hugo_config_directory_is_read_as_hugo_reads_it(tmp_path: Path) -> None:
    write(tmp_path / "config" / "_default" / "hugo.toml", 'timeZone = "Asia/Tokyo"\n')
    write(tmp_path / "config" / "_default" / "permalinks.toml", 'posts = "/:year/:slug/"\n')
    write(tmp_path / "config" / "_default" / "params.toml", 'author = "A"\n')
    write(tmp_path / "config" / "production" / "hugo.toml", "buildFuture = true\n")
    write(tmp_path / "config" / "development" / "hugo.toml", "buildDrafts = true\n")
    write(tmp_path / "content" / "posts" / "x.md", "---\ntitle: X\ndate: 2024-01-01\n---\n")
    layout = resolve(tmp_path, "auto")
    assert (layout.name, layout.permalink, layout.timezone) == (
        "hugo",
        "/:year/:slug/",
        "Asia/Tokyo",
    )
    assert layout.publish_future and not layout.publish_drafts
