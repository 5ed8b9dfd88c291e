"""`check` names each problem with its file and reason."""

from __future__ import annotations

from syndicate.check import Severity, check
from syndicate.clock import FixedClock
from tests.conftest import Blog

SITE = "https://notes.example.org/"  # a real-looking address: example.org itself is refused


def findings(blog: Blog, clock: FixedClock, extra: str = "") -> list[tuple[str, str, str]]:
    report = check(blog.settings(extra, url=SITE), clock)
    return [(f.severity.value, f.file, f.message) for f in report.findings]


def test_a_clean_blog_has_no_findings(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-a.html.md", {"title": "A", "author": "ana"})
    assert findings(blog, clock) == []


def test_each_kind_of_problem_is_named(blog: Blog, clock: FixedClock) -> None:
    blog.authors({"ana": {"name": "Ana"}})
    blog.post("2024-05-01-a.html.md", {"title": "A", "author": "ana"}, "Link: [x]({{site.url}}/x)")
    blog.post("2024-05-02-a.html.md", {"title": "Same slug, same month", "author": "bob"})
    blog.post("2024-05-03-b.html.md", raw="---\ntitle: B\nauthor: ana\ntags: [oops\n---\nx\n")
    blog.post(
        "2024-05-04-c.html.md", {"title": "C", "author": "ana", "tags": "Café"}, "{% include x %}"
    )
    blog.post("2024-05-05-d.html.md", {"title": "D", "author": "ana", "tags": "cafe"})
    found = findings(blog, clock)
    messages = "\n".join(f"{s} {f} {m}" for s, f, m in found)
    assert "error source/blog/2024-05-03-b.html.md frontmatter is not valid YAML" in messages
    assert "error source/blog/2024-05-01-a.html.md same permalink" in messages
    assert "warning source/blog/2024-05-01-a.html.md link '" in messages
    assert "site.url" in messages and "contains template syntax" in messages
    assert "author 'bob' (in 1 post) is not in data/authors.yml" in messages
    assert "template syntax '{%' appears in the text" in messages
    assert "share the slug 'cafe'" in messages


def test_line_numbers_point_into_the_file(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-a.html.md", raw="---\ntitle: A\nauthor: x\ndate: [1\n---\nbody\n")
    report = check(blog.settings(url=SITE), clock)
    error = next(f for f in report.findings if f.severity is Severity.ERROR)
    assert error.line == 5


def test_config_templates_are_checked(blog: Blog, clock: FixedClock) -> None:
    blog.post("2024-05-01-a.html.md", {"title": "A", "author": "a"})
    found = findings(
        blog, clock, '[feeds.tags]\natom = "tags.xml"\n[identity]\nid_template = "{nope}"'
    )
    messages = [m for _, _, m in found]
    assert any("must contain {slug}" in m for m in messages)
    assert any("identity.id_template" in m for m in messages)


def test_oversized_feeds_are_reported(blog: Blog, clock: FixedClock) -> None:
    for n in range(3):
        blog.post(
            f"2024-05-0{n + 1}-p{n}.html.md", {"title": f"P{n}", "author": "a"}, "words " * 400
        )
    found = findings(blog, clock, "[feeds]\nmax_bytes = 3000")
    assert any("over max_bytes" in m or "is over" in m for _, _, m in found)


def test_an_account_whose_env_credential_is_unset_is_a_warning(
    blog: Blog, clock: FixedClock
) -> None:
    blog.post("2024-05-01-a.html.md", {"title": "A", "author": "ana"})
    extra = """
[[accounts]]
name = "toots"
network = "mastodon"
server = "https://mastodon.example.net"
credentials = { token = "env:SYNDICATE_TEST_SURELY_UNSET" }
"""
    report = check(blog.settings(extra, url=SITE), clock, environ={})
    warned = [f.message for f in report.findings if f.severity is Severity.WARNING]
    assert any("'toots'" in m and "$SYNDICATE_TEST_SURELY_UNSET is not set" in m for m in warned)
