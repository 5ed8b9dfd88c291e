"""The authors registry and resolving a post's byline through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.content.authors import AuthorRegistry, load_registry
from syndicate.errors import ConfigError
from syndicate.model import Author
from tests.conftest import Blog
from tests.content.conftest import load, write

JANE = Author(key="jdoe", name="Jane Doe", twitter="janedoe")
RICH = Author(key="rbowen", name="Rich Bowen")


@pytest.fixture
def registry() -> AuthorRegistry:
    return AuthorRegistry([JANE, RICH])


@pytest.mark.parametrize("value", ["jdoe", "JDoe", "@jdoe", "Jane Doe", "jane doe", " jdoe "])
def test_a_known_author_by_key_handle_or_name(registry: AuthorRegistry, value: str) -> None:
    assert registry.resolve(value) == (JANE,)


@pytest.mark.parametrize(
    "value",
    [
        "jdoe, rbowen",
        "jdoe and rbowen",
        "jdoe & Rich Bowen",
        "jdoe; rbowen",
        ["jdoe", "rbowen"],
        ["jdoe, rbowen"],
        ("jdoe", "rbowen"),
    ],
)
def test_several_authors_in_a_string_or_list(registry: AuthorRegistry, value: object) -> None:
    assert registry.resolve(value) == (JANE, RICH)


def test_an_author_named_twice_appears_once(registry: AuthorRegistry) -> None:
    assert registry.resolve(["jdoe", "Jane Doe", "@JDOE"]) == (JANE,)


def test_an_unknown_name_becomes_an_author_of_its_own(registry: AuthorRegistry) -> None:
    assert registry.resolve("Ada Lovelace") == (Author(key="ada-lovelace", name="Ada Lovelace"),)


def test_unknown_and_known_authors_mix(registry: AuthorRegistry) -> None:
    assert registry.resolve("jdoe, Ada") == (JANE, Author(key="ada", name="Ada"))


def test_a_name_containing_and_is_not_split(registry: AuthorRegistry) -> None:
    assert registry.resolve("Alexandra Anderson") == (
        Author(key="alexandra-anderson", name="Alexandra Anderson"),
    )


def test_a_mapping_describes_an_author_inline(registry: AuthorRegistry) -> None:
    value = {"name": "Zed Shaw", "twitter": "https://twitter.com/zedshaw/", "url": "https://z.org"}
    assert registry.resolve(value) == (
        Author(key="zed-shaw", name="Zed Shaw", uri="https://z.org", twitter="zedshaw"),
    )


def test_a_list_of_mappings(registry: AuthorRegistry) -> None:
    assert registry.resolve([{"name": "A"}, "jdoe"]) == (Author(key="a", name="A"), JANE)


@pytest.mark.parametrize("value", [None, "", "  ", [], ["", None], "@"])
def test_no_author(registry: AuthorRegistry, value: object) -> None:
    assert registry.resolve(value) == ()


def test_known_is_case_insensitive_by_key_or_name(registry: AuthorRegistry) -> None:
    assert registry.known("JDOE")
    assert registry.known("rich bowen")
    assert not registry.known("ada")


def test_keys_are_sorted(registry: AuthorRegistry) -> None:
    assert registry.keys == ["jdoe", "rbowen"]
    assert len(registry) == 2


# --- the registry file ----------------------------------------------------------------------


def test_yaml_registry_with_handles_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path / "authors.yml",
        """
jdoe:
  name: Jane Doe
  twitter: "@janedoe"
  bluesky: https://bsky.app/profile/jane.bsky.social/
  mastodon: "@jane@mastodon.social"
  email: jane@example.org
  website: https://jane.example.org
rbowen:
  name: Rich Bowen
  x: https://x.com/rbowen
""",
    )
    registry = load_registry(path)
    assert registry.resolve("jdoe") == (
        Author(
            key="jdoe",
            name="Jane Doe",
            uri="https://jane.example.org",
            email="jane@example.org",
            twitter="janedoe",
            mastodon="@jane@mastodon.social",
            bluesky="jane.bsky.social",
        ),
    )
    assert registry.resolve("rbowen")[0].twitter == "rbowen"


def test_a_registry_entry_may_be_just_a_name(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path / "authors.yml", "jdoe: Jane Doe\n"))
    assert registry.resolve("Jane Doe") == (Author(key="jdoe", name="Jane Doe"),)


def test_an_entry_without_a_name_is_named_by_its_key(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path / "authors.yml", "jdoe:\n  twitter: jd\n"))
    assert registry.resolve("jdoe") == (Author(key="jdoe", name="jdoe", twitter="jd"),)


def test_toml_and_json_registries(tmp_path: Path) -> None:
    toml = load_registry(write(tmp_path / "a.toml", '[jdoe]\nname = "Jane Doe"\n'))
    json = load_registry(write(tmp_path / "a.json", '{"jdoe": {"name": "Jane Doe"}}'))
    assert toml.resolve("jdoe") == json.resolve("jdoe") == (Author("jdoe", "Jane Doe"),)


def test_an_empty_registry_file(tmp_path: Path) -> None:
    assert len(load_registry(write(tmp_path / "authors.yml", ""))) == 0


def test_a_registry_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "authors.yml"
    path.write_bytes("\ufeffjdoe: Jane Doe\n".encode())
    assert load_registry(path).keys == ["jdoe"]


def test_a_broken_registry_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "authors.yml", "jdoe: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    assert caught.value.file == str(path)


def test_a_registry_that_is_a_list_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="map author keys"):
        load_registry(write(tmp_path / "authors.yml", "- jdoe\n- rbowen\n"))


def test_a_missing_registry_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_registry(tmp_path / "nowhere.yml")


# --- through the loader ---------------------------------------------------------------------


def test_a_posts_author_is_resolved_through_the_blogs_registry(blog: Blog) -> None:
    blog.authors({"jdoe": {"name": "Jane Doe", "twitter": "@janedoe"}})
    path = blog.post("2020-01-01-x.html.md", {"title": "T", "author": "jdoe"})
    assert load(blog, path).post.authors == (Author("jdoe", "Jane Doe", twitter="janedoe"),)


def test_authors_key_wins_over_author(blog: Blog) -> None:
    blog.authors({"jdoe": {"name": "Jane Doe"}, "rbowen": {"name": "Rich Bowen"}})
    meta = {"title": "T", "authors": ["jdoe", "rbowen"], "author": "someone"}
    path = blog.post("2020-01-01-x.html.md", meta)
    assert [a.key for a in load(blog, path).post.authors] == ["jdoe", "rbowen"]


def test_a_post_without_author_has_none(blog: Blog) -> None:
    path = blog.post("2020-01-01-x.html.md", {"title": "T"})
    assert load(blog, path).post.authors == ()
