"""Tags: split from frontmatter, identified by a stable slug, renamed by aliases."""

from __future__ import annotations

import pytest

from syndicate.content.tags import TagResolver, slugify, split_tags
from syndicate.model import Tag
from tests.conftest import Blog
from tests.content.conftest import load


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("OpenStack Summit", "openstack-summit"),
        ("RDO", "rdo"),
        ("Café Crème", "cafe-creme"),
        ("naïve-ÉTÉ", "naive-ete"),
        ("Straße", "strasse"),
        ("ﬁle", "file"),
        ("日本", "日本"),
        ("Ελληνικά", "ελληνικα"),
        ("Москва", "москва"),
        ("  --spaced   out--  ", "spaced-out"),
        ("snake_case", "snake-case"),
        ("node.js", "node-js"),
        ("x\u0301", "x"),
    ],
)
def test_slugs(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_a_slug_is_stable() -> None:
    assert slugify(slugify("OpenStack Summit")) == slugify("OpenStack Summit")


def test_composed_and_decomposed_accents_give_one_slug() -> None:
    assert slugify("Cafe\u0301") == slugify("Caf\u00e9") == "cafe"


def test_programming_language_tags_keep_distinct_slugs() -> None:
    assert len({slugify("C"), slugify("C++"), slugify("C#")}) == 3


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("News, Feeds", ["News", "Feeds"]),
        ("a, b,,c ,", ["a", "b", "c"]),
        ("single tag", ["single tag"]),
        (["x", " y ", None, 3], ["x", "y", "3"]),
        (("a", "b"), ["a", "b"]),
        (None, []),
        ("", []),
        (2024, ["2024"]),
    ],
)
def test_split_tags(value: object, names: list[str]) -> None:
    assert split_tags(value) == names


def test_whitespace_splitting_is_jekylls_convention() -> None:
    assert split_tags("foo bar  baz", whitespace=True) == ["foo", "bar", "baz"]
    assert split_tags("open source, linux", whitespace=True) == ["open source", "linux"]


def test_split_tags_removes_characters_xml_forbids() -> None:
    assert split_tags("a\x00b, c\x1f") == ["ab", "c"]


def test_tags_differing_in_case_are_one_tag_named_as_first_written() -> None:
    assert TagResolver().resolve(["RDO", "rdo", "Rdo"]) == (Tag("rdo", "RDO"),)


def test_tags_keep_their_order() -> None:
    tags = TagResolver().resolve(["b", "a", "c"])
    assert [t.slug for t in tags] == ["b", "a", "c"]


def test_aliases_rename_tags_whatever_their_case() -> None:
    resolver = TagResolver({"K8s": "Kubernetes", "openstack": "OpenStack"})
    assert resolver.resolve(["k8s", "Kubernetes", "OPENSTACK"]) == (
        Tag("kubernetes", "Kubernetes"),
        Tag("openstack", "OpenStack"),
    )


def test_a_tag_with_no_letters_gets_a_stable_slug() -> None:
    (tag,) = TagResolver().resolve(["!!!"])
    assert tag.name == "!!!"
    assert tag.slug.startswith("tag-")
    assert TagResolver().resolve(["!!!"]) == (tag,)


# --- through the loader ---------------------------------------------------------------------


def test_a_comma_string_and_a_list_give_the_same_tags(blog: Blog) -> None:
    a = blog.post("2020-01-01-a.html.md", {"title": "A", "tags": "RDO, OpenStack Summit"})
    b = blog.post("2020-01-01-b.html.md", {"title": "B", "tags": ["rdo", "OpenStack Summit"]})
    assert [t.slug for t in load(blog, a).post.tags] == ["rdo", "openstack-summit"]
    assert [t.slug for t in load(blog, b).post.tags] == ["rdo", "openstack-summit"]


def test_a_tag_called_on_stays_a_word(blog: Blog) -> None:
    path = blog.post("2020-01-01-a.html.md", raw="---\ntitle: A\ntags: on\n---\n")
    assert load(blog, path).post.tags == (Tag("on", "on"),)


def test_middleman_does_not_split_tags_on_spaces(blog: Blog) -> None:
    path = blog.post("2020-01-01-a.html.md", {"title": "A", "tags": "open source"})
    assert load(blog, path).post.tags == (Tag("open-source", "open source"),)


def test_configured_tag_fields_and_aliases_apply(blog: Blog) -> None:
    meta = {"title": "A", "tags": "k8s", "categories": ["Cloud"]}
    path = blog.post("2020-01-01-a.html.md", meta)
    extra = (
        '[content]\ntag_fields = ["tags", "categories"]\n[content.tag_aliases]\nk8s = "Kubernetes"'
    )
    assert load(blog, path, extra).post.tags == (
        Tag("kubernetes", "Kubernetes"),
        Tag("cloud", "Cloud"),
    )
