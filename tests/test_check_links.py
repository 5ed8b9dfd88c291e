"""`check` names every link into the blog's own site that leads nowhere, and every link or
placeholder the post's template syntax could not resolve, with the post's file."""

from __future__ import annotations

from pathlib import Path

from syndicate.check import check
from syndicate.clock import FixedClock
from syndicate.config import Settings, parse_settings


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def settings(root: Path, layout: str, url: str) -> Settings:
    state = root.parent / "state"
    state.mkdir(exist_ok=True)
    text = (
        f'[site]\ntitle = "T"\nurl = "{url}"\nauthor = "A"\n'
        f'[content]\nroot = "{root}"\nlayout = "{layout}"\n'
        f'[feeds]\noutput = "{state / "out"}"\n[build]\nworkers = 1\n'
        f'[store]\nurl = "sqlite:///{state / "l.db"}"\ncache = "{state / "c.sqlite"}"\n'
    )
    return parse_settings(text, file="t.toml", base_dir=state)


def warnings(settings: Settings, clock: FixedClock) -> list[tuple[str, str]]:
    report = check(settings, clock)
    return [(f.file, f.message) for f in report.findings]


def test_jekyll_links_to_pages_documents_files_and_redirects_are_found(
    tmp_path: Path, clock: FixedClock
) -> None:
    root = tmp_path / "blog"
    write(
        root / "_config.yml",
        "url: https://notes.example.net\nbaseurl: /log\nrepository: https://git.example.net/r\n"
        "collections:\n  docs:\n    output: true\n    permalink: /:collection/:path/\n",
    )
    write(root / "about.md", "---\ntitle: About\n---\n")
    write(root / "team.md", "---\npermalink: /people/\nredirect_from: /crew/\n---\n")
    write(root / "_docs" / "setup.md", "---\ntitle: Setup\n---\n")
    write(root / "img" / "cat.png", "png")
    write(root / "_posts" / "2024-01-01-first.md", "---\ntitle: First\n---\nHello.\n")
    links = (
        "[a]({{ '/about.html' | relative_url }}) [p](/log/people/) [c](/log/crew/) "
        "[d]({% link _docs/setup.md %}) ![i](/log/img/cat.png) "
        "[f]({% post_url 2024-01-01-first %}) [t](/log/tags/x/) [r]({{ site.repository }}/1)"
    )
    write(root / "_posts" / "2024-01-02-links.md", f"---\ntitle: Links\n---\n{links}\n")
    broken = "[x](/log/nowhere/) [y]({{ site.nope }}/issues/2) [z][] ![m](/log/img/dog.png)"
    write(root / "_posts" / "2024-01-03-broken.md", f"---\ntitle: Broken\n---\n{broken}\n")
    found = warnings(settings(root, "jekyll", "https://notes.example.net/log/"), clock)
    assert [f for f, _ in found] == ["_posts/2024-01-03-broken.md"] * 4, found
    text = "\n".join(m for _, m in found)
    assert "{{ site.nope }} is not defined" in text
    assert "the link [z][] has no definition" in text
    for url in ("/log/nowhere/", "/log/img/dog.png"):
        assert f"the link https://notes.example.net{url} leads nowhere" in text


def test_hugo_links_to_static_files_pages_bundles_and_aliases_are_found(
    tmp_path: Path, clock: FixedClock
) -> None:
    root = tmp_path / "blog"
    write(root / "hugo.toml", 'baseURL = "https://hugo.example.net/"\ntitle = "H"\n')
    write(root / "static" / "img" / "a.png", "png")
    write(root / "content" / "about.md", "---\ntitle: About\naliases: [/me/]\n---\n")
    write(root / "content" / "posts" / "b" / "index.md", "---\ntitle: B\ndate: 2024-01-01\n---\n")
    write(root / "content" / "posts" / "b" / "pic.png", "png")
    links = "[a](/img/a.png) [b](/about/) [m](/me/) [p](/posts/b/pic.png) [t](/tags/go/) [n](/no/)"
    write(root / "content" / "posts" / "c.md", f"---\ntitle: C\ndate: 2024-01-02\n---\n{links}\n")
    found = warnings(settings(root, "hugo", "https://hugo.example.net/"), clock)
    assert found == [
        (
            "content/posts/c.md",
            "the link https://hugo.example.net/no/ leads nowhere: no post, page or file of the "
            "blog is published there",
        )
    ]


def test_a_bundles_files_are_found_under_its_permalink(tmp_path: Path, clock: FixedClock) -> None:
    root = tmp_path / "blog"
    write(
        root / "hugo.toml",
        'baseURL = "https://hugo.example.net/"\n[permalinks]\nposts = "/:year/:slug/"\n',
    )
    write(root / "content" / "posts" / "b" / "index.md", "---\ntitle: B\ndate: 2024-01-01\n---\n")
    write(root / "content" / "posts" / "b" / "img" / "pic.png", "png")
    body = "![p](img/pic.png) ![q](/2024/b/img/pic.png) ![x](/posts/b/img/pic.png)"
    write(root / "content" / "posts" / "c.md", f"---\ntitle: C\ndate: 2024-01-02\n---\n{body}\n")
    found = warnings(settings(root, "hugo", "https://hugo.example.net/"), clock)
    assert [m.split(" leads")[0] for _, m in found] == [
        "the link https://hugo.example.net/2024/c/img/pic.png",  # relative to c, not b
        "the link https://hugo.example.net/posts/b/img/pic.png",
    ]
