"""`syndicate init` for each generator: a config that builds the blog as the blog builds itself."""

from __future__ import annotations

import tomllib
from pathlib import Path

import feedparser
import pytest

from syndicate.clock import FixedClock
from syndicate.config import AdminSettings, ServerSettings, parse_settings
from syndicate.errors import ConfigError
from syndicate.scaffold import scaffold
from tests.conftest import NOW, build


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def built_links(blog: Path, config_dir: Path) -> list[str]:
    result = scaffold(blog, config_dir)
    settings = parse_settings(result.text, file="syndicate.toml", base_dir=config_dir)
    build(settings, FixedClock(NOW))
    site_feed = next((config_dir.parent / "public").rglob("feed.xml"), None) or next(
        (config_dir.parent / "public").rglob("index.xml")
    )
    return [e.link for e in feedparser.parse(site_feed.read_bytes()).entries]


def test_jekyll(tmp_path: Path) -> None:
    blog = tmp_path / "site"
    write(
        blog / "_config.yml",
        "title: Tinker Log\nurl: https://tinker.example.org\nbaseurl: /log\n"
        "permalink: pretty\nlang: en-GB\nauthor: Jo\n",
    )
    write(
        blog / "_posts" / "2024-02-03-first-light.md",
        "---\ntitle: First light\ncategories: [Astro, Night]\ntags: optics glass\n---\nHello.\n",
    )
    write(blog / "_drafts" / "unfinished.md", "---\ntitle: Not yet\n---\nDraft.\n")
    result = scaffold(blog, tmp_path / "config")
    assert result.layout == "jekyll" and result.title == "Tinker Log"
    assert result.url == "https://tinker.example.org/log/" and result.language == "en-GB"
    assert built_links(blog, tmp_path / "config") == [
        "https://tinker.example.org/log/astro/night/2024/02/03/first-light/"
    ]
    tag = tmp_path / "public" / "feed" / "by_tag" / "optics.xml"
    assert [e.title for e in feedparser.parse(tag.read_bytes()).entries] == ["First light"]


def test_hugo_with_bundles_and_toml_frontmatter(tmp_path: Path) -> None:
    blog = tmp_path / "site"
    write(
        blog / "hugo.toml",
        'baseURL = "https://garden.example.org/"\ntitle = "Garden"\n'
        '[permalinks]\nposts = "/:year/:month/:slug/"\n',
    )
    write(blog / "content" / "posts" / "_index.md", "---\ntitle: Posts\n---\n")
    write(
        blog / "content" / "posts" / "tomatoes" / "index.md",
        '+++\ntitle = "Tomatoes"\ndate = 2024-04-01T08:00:00Z\ntags = ["Veg"]\n+++\n'
        "![a](tomato.jpg)\n",
    )
    write(
        blog / "content" / "posts" / "later.md",
        "---\ntitle: Later\ndate: 2024-04-02\ndraft: true\n---\nSoon.\n",
    )
    result = scaffold(blog, tmp_path / "config")
    assert result.layout == "hugo" and result.id_template == "{permalink}"
    assert built_links(blog, tmp_path / "config") == [
        "https://garden.example.org/2024/04/tomatoes/"
    ]
    feed = feedparser.parse(next((tmp_path / "public").rglob("index.xml")).read_bytes())
    assert feed.entries[0].id == "https://garden.example.org/2024/04/tomatoes/"
    assert (
        'src="https://garden.example.org/2024/04/tomatoes/tomato.jpg"'
        in feed.entries[0].content[0].value
    )


def test_unknown_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not look like"):
        scaffold(tmp_path, tmp_path)


def test_liquid_and_shortcodes_are_expanded_in_feeds(tmp_path: Path) -> None:
    jekyll = tmp_path / "jekyll"
    write(jekyll / "_config.yml", "title: J\nurl: https://j.example.org\n")
    write(jekyll / "_posts" / "2024-01-01-first.md", "---\ntitle: First\n---\nOne.\n")
    write(
        jekyll / "_posts" / "2024-01-02-second.md",
        "---\ntitle: Second\n---\nSee [the first]({% post_url 2024-01-01-first %}).\n\n"
        "{% highlight python %}\nprint(1)\n{% endhighlight %}\n",
    )
    links = built_links(jekyll, tmp_path / "jconfig")
    assert len(links) == 2
    feed = feedparser.parse(next((tmp_path / "public").rglob("feed.xml")).read_bytes())
    second = feed.entries[0].content[0].value
    assert 'href="https://j.example.org/2024/01/01/first.html"' in second
    assert '<code class="language-python">' in second or "<code>print(1)" in second
    assert "{%" not in second


def test_the_server_limits_and_the_admin_throttle_are_written_commented_at_their_defaults(
    tmp_path: Path,
) -> None:
    write(tmp_path / "site" / "_config.yml", "title: J\nurl: https://j.example.org\n")
    write(tmp_path / "site" / "_posts" / "2024-01-01-first.md", "---\ntitle: First\n---\nOne.\n")
    text = scaffold(tmp_path / "site", tmp_path / "config").text
    written = tomllib.loads(text)
    limits = ("http", "max_connections", "request_timeout", "keep_alive", "max_header_bytes",
              "max_headers", "max_body")  # fmt: skip
    throttle = ("failures_per_client", "failures_overall")
    for section, names, defaults in (
        ("server", limits, ServerSettings()),
        ("admin", throttle, AdminSettings()),
    ):
        assert set(names) <= set(written[section])
        assert {n: written[section][n] for n in names} == {n: getattr(defaults, n) for n in names}
        # Each setting sits under a comment that says what it is, as every other setting does.
        block = text.split(f"\n[{section}]\n", 1)[1].split("\n\n", 1)[0].splitlines()
        assert block[0].startswith("# ")
        for name in names:
            above = block[: next(i for i, line in enumerate(block) if line.startswith(name))]
            assert any(line.startswith("# ") for line in above), name


def test_init_writes_every_setting_of_every_plain_section() -> None:

    from syndicate.config import Settings

    written = tomllib.loads((Path(__file__).parents[1] / "config" / "syndicate.toml").read_text())
    for section in ("build", "watch", "server", "admin", "publish", "log", "store", "mirror"):
        import msgspec

        fields = {f.name: f for f in msgspec.structs.fields(Settings)}
        expected = {field.encode_name for field in msgspec.structs.fields(fields[section].type)}
        assert set(written[section]) == expected, section
