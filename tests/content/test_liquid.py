"""Jekyll's Liquid in posts renders as Jekyll renders it: site and page variables from the
blog's config and the post's frontmatter, loops, Jekyll's filters and link tags."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.content.liquid import JekyllLiquid

POSTS = {
    "2010-07-21-name": "https://x.org/blog/2010/07/21/name/",
}
CONFIG = {
    "repository": "https://github.com/jekyll/jekyll",
    "twitter": {"username": "jekyllrb"},
    "authors": ["ana", "bo", "cy"],
    "collections": {"docs": {"output": True, "permalink": "/:collection/:path/"}},
    "url": "https://ignored.example.net",
}


def resolve(ref: str) -> str | None:
    return POSTS.get(ref.removeprefix("_posts/").removesuffix(".md"))


@pytest.fixture
def liquid(tmp_path: Path) -> JekyllLiquid:
    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / "team.yml").write_text("lead: Ana Lima\n", "utf-8")
    (tmp_path / "_docs").mkdir()
    (tmp_path / "_docs" / "history.md").write_text("---\npermalink: /docs/history/\n---\n")
    (tmp_path / "_docs" / "plain.md").write_text("---\ntitle: Plain\n---\n")
    (tmp_path / "about.md").write_text("---\ntitle: About\n---\n")
    return JekyllLiquid("https://x.org/blog/", CONFIG, tmp_path)


def test_highlight_becomes_a_fence_and_raw_stays_raw(liquid: JekyllLiquid) -> None:
    body = "{% highlight ruby linenos %}\nputs 1\n{% endhighlight %}\n\n"
    body += "{% raw %}{{ not.me }} {% for %}{% endraw %}"
    out = liquid.expand(body, resolve)
    assert out.text == "```ruby\nputs 1\n```\n\n{{ not.me }} {% for %}"
    assert out.warnings == []


def test_site_variables_come_from_the_config_and_the_address(liquid: JekyllLiquid) -> None:
    body = (
        "[a]({{ site.url }}{{ site.baseurl }}/a.html) [i]({{ site.repository }}/issues/1339) "
        "@{{ site.twitter.username }} {{ site.data.team.lead }} {{ site.authors | size }}"
    )
    out = liquid.expand(body, resolve)
    assert out.text == (
        "[a](https://x.org/blog/a.html) [i](https://github.com/jekyll/jekyll/issues/1339) "
        "@jekyllrb Ana Lima 3"
    )
    assert out.warnings == []


def test_a_loop_writes_the_reference_definitions_it_makes(liquid: JekyllLiquid) -> None:
    body = (
        "Fixed ([#1037][]).\n\n"
        '{% assign issue_numbers = "1037|1040" | split: "|" %}\n'
        "{% for issue in issue_numbers %}\n"
        "[#{{ issue }}]: {{ site.repository }}/issues/{{ issue }}\n"
        "{% endfor %}\n"
    )
    out = liquid.expand(body, resolve)
    assert "[#1037]: https://github.com/jekyll/jekyll/issues/1037" in out.text
    assert "[#1040]: https://github.com/jekyll/jekyll/issues/1040" in out.text
    assert out.warnings == []


def test_page_variables_come_from_the_frontmatter(liquid: JekyllLiquid) -> None:
    body = (
        "{% for filter in page.filters %}{% assign s = filter | slugify %}"
        "[{{ s }}]: {{ s | prepend: '/docs/#' | relative_url }}\n{% endfor %}v{{ page.version }}"
    )
    out = liquid.expand(body, resolve, lambda: {"filters": ["Where Exp", "find"], "version": 4})
    assert out.text == "[where-exp]: /blog/docs/#where-exp\n[find]: /blog/docs/#find\nv4"


def test_jekyll_url_filters(liquid: JekyllLiquid) -> None:
    body = (
        "{{ '/c.png' | relative_url }} {{ 'c.png' | absolute_url }} "
        "{{ 'https://o.org/x' | relative_url }} {{ 'a & b' | xml_escape }} "
        "{{ 'a b' | cgi_escape }} {{ 'example :page' | uri_escape }}"
    )
    out = liquid.expand(body, resolve)
    assert out.text == (
        "/blog/c.png https://x.org/blog/c.png https://o.org/x a &amp; b a+b example%20:page"
    )


def test_post_url_and_link_name_posts_pages_and_documents(liquid: JekyllLiquid) -> None:
    body = (
        "[b]({% post_url 2010-07-21-name %}) [d]({% link _posts/2010-07-21-name.md %}) "
        "[h]({% link _docs/history.md %}#v1) [p]({% link _docs/plain.md %}) "
        "[a]({% link about.md %})"
    )
    out = liquid.expand(body, resolve)
    assert out.text == (
        "[b](https://x.org/blog/2010/07/21/name/) [d](https://x.org/blog/2010/07/21/name/) "
        "[h](https://x.org/blog/docs/history/#v1) [p](https://x.org/blog/docs/plain/) "
        "[a](https://x.org/blog/about.html)"
    )
    assert out.warnings == []


def test_what_cannot_be_expanded_is_removed_and_named(liquid: JekyllLiquid) -> None:
    body = (
        "A {% include note.html %} B {{ page.title }} C {% post_url missing %} "
        "D {{ site.nope.deeper }} E {{ 'x' | plugin_filter }} F {% avatar jekyll %} "
        "G {% if site.nope %}hidden{% endif %}"
    )
    out = liquid.expand(body, resolve)
    assert out.text == "A  B  C  D  E  F  G "
    joined = "\n".join(out.warnings)
    assert len(out.warnings) == 6, joined
    for named in ("include", "page.title", "missing", "site.nope", "plugin_filter", "avatar"):
        assert named in joined


def test_a_template_liquid_cannot_read_loses_only_its_syntax(liquid: JekyllLiquid) -> None:
    out = liquid.expand("Keep {% if %} this {{ site.repository }} text", resolve)
    assert out.text == "Keep  this  text"
    assert len(out.warnings) == 1 and "Liquid cannot read this post" in out.warnings[0]


def test_a_runaway_loop_is_stopped(liquid: JekyllLiquid) -> None:
    out = liquid.expand("{% for i in (1..100000000) %}x{% endfor %}end", resolve)
    assert out.text == "xend"  # the tags go, the text between them stays
    assert "Liquid cannot read this post" in out.warnings[0]


_SYNTAX = st.sampled_from(
    ["{%", "%}", "{{", "}}", "{% if x %}", "{% endif %}", "{% for i in x %}", "{% endfor %}",
     "{{ site.repository }}", "{% raw %}", "{% endraw %}", "|", "'", '"', "[a][]", "\n", "x"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_SYNTAX, st.text(max_size=5)), max_size=20))
def test_any_text_expands_without_raising(parts: list[str]) -> None:
    liquid = JekyllLiquid("https://x.org/", CONFIG)
    out = liquid.expand("".join(parts), resolve)
    assert isinstance(out.text, str)


def test_a_post_whose_file_went_away_renders_without_its_page(tmp_path: Path) -> None:
    from syndicate.content.render import Renderer
    from syndicate.content.site_paths import front_matter

    renderer = Renderer(
        site_url="https://x.org/",
        syntax="liquid",
        front_matter=lambda source: front_matter(tmp_path / source, source),
    )
    rendered = renderer.render(
        "v{{ page.version }}", "markdown", "https://x.org/p/", source="gone.md"
    )
    assert rendered.content_html == "<p>v</p>"
    assert any("page.version" in w for w in rendered.warnings)
