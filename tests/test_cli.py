"""The command line as a newcomer meets it: init, check, build, errors that say what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from tests.conftest import REPO, Blog


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "SYNDICATE_CONFIG"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "syndicate", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project(blog: Blog, tmp_path: Path) -> Path:
    blog.authors({"ana": {"name": "Ana Lima"}})
    (blog.root / "data" / "site.yml").write_text(
        "name: Harbour Notes\ndomain: notes.example.org\nssl: true\n"
    )
    blog.post(
        "2024-05-01-hello.html.md",
        {"title": "Hello", "author": "ana", "tags": "News", "date": "2024-05-01 10:00:00 UTC"},
        "Hello **world**.",
    )
    work = tmp_path / "work"
    work.mkdir()
    return work


def test_init_check_build_as_a_newcomer_would(project: Path, blog: Blog) -> None:
    init = run(["init", str(blog.root)], project)
    assert init.returncode == 0, init.stderr
    assert "middleman blog 'Harbour Notes' at https://notes.example.org/" in init.stderr
    config = (project / "config" / "syndicate.toml").read_text()
    assert 'id_template = "https://{host}/{path}"' in config
    assert 'atom = "blog/feed.xml"' in config and 'atom = "blog/tag/{slug}.xml"' in config

    check = run(["check"], project)
    assert check.returncode == 0, check.stderr
    assert "1 post (1 public): 0 errors, 0 warnings" in check.stderr

    built = run(["build", "--json"], project)
    assert built.returncode == 0, built.stderr
    summary = json.loads(built.stdout)
    assert summary["posts"]["public"] == 1
    assert "blog/feed.xml" in summary["feeds"]["written"]
    assert summary["links"][0]["href"] == "https://notes.example.org/blog/feed.xml"
    assert (project / "public" / "blog" / "tag" / "news.rss").is_file()

    again = run(["build"], project)
    assert again.returncode == 0
    assert "0 of 9 feed files written" in again.stderr

    status = run(["status"], project)  # a build by `syndicate build` counts as one
    assert "built:   never" not in status.stdout + status.stderr
    assert "(cli) in " in status.stdout + status.stderr


def test_init_refuses_to_overwrite(project: Path, blog: Blog) -> None:
    assert run(["init", str(blog.root)], project).returncode == 0
    second = run(["init", str(blog.root)], project)
    assert second.returncode == 2
    assert "already exists; pass --force" in second.stderr


def test_init_says_what_it_cannot_recognise(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    result = run(["init", str(tmp_path / "nothing")], tmp_path)
    assert result.returncode == 2
    assert "does not look like a Middleman, Jekyll or Hugo blog" in result.stderr


def test_config_is_found_from_option_then_environment_then_default(
    project: Path, blog: Blog
) -> None:
    run(["init", str(blog.root), "--output", "elsewhere/site.toml"], project)
    missing = run(["check"], project)
    assert missing.returncode == 2
    assert "config/syndicate.toml: no such file" in missing.stderr
    assert run(["--config", "elsewhere/site.toml", "check"], project).returncode == 0
    assert run(["check"], project, {"SYNDICATE_CONFIG": "elsewhere/site.toml"}).returncode == 0


def test_config_errors_name_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[site]\ntitle = "X"\nurl = "https://x.org/"\n\n[feeds]\nlimit = "ten"\n')
    result = CliRunner().invoke(main, ["--config", str(config), "build"])
    assert result.exit_code == 2
    assert f"{config}:6: feeds.limit: " in result.output
    assert "valid integer" in result.output


def test_unknown_settings_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[site]\nurl = "https://x.org/"\ntitel = "typo"\n')
    result = CliRunner().invoke(main, ["--config", str(config), "check"])
    assert result.exit_code == 2
    assert f"{config}:3: site.titel: unknown setting" in result.output


def test_check_names_bad_files_and_fails(project: Path, blog: Blog) -> None:
    run(["init", str(blog.root)], project)
    blog.post("broken.html.md", raw="---\ntitle: Broken\ndate: someday\n---\nText\n")
    blog.post("notes.html.md", raw="---\ntitle: Undated\n---\nText\n")
    result = run(["check", "--json"], project)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    reasons = {f["file"]: f["message"] for f in report["findings"] if f["severity"] == "error"}
    assert "bad date" in reasons["source/blog/broken.html.md"]
    assert "no date" in reasons["source/blog/notes.html.md"]


def test_build_reports_a_bad_post_and_builds_the_rest(project: Path, blog: Blog) -> None:
    run(["init", str(blog.root)], project)
    blog.post(
        "2024-05-02-broken.html.md", raw=b"---\ntitle: Broken\n---\n\xff\xfe\x00 binary\x00\x00"
    )
    result = run(["build"], project)
    assert result.returncode == 1
    assert "source/blog/2024-05-02-broken.html.md" in result.stderr
    assert (project / "public" / "blog" / "feed.xml").is_file()


def test_links_prints_autodiscovery_tags(project: Path, blog: Blog) -> None:
    run(["init", str(blog.root)], project)
    result = run(["build", "--links"], project)
    assert result.stdout.splitlines() == [
        '<link rel="alternate" type="application/atom+xml" title="Harbour Notes (Atom)" '
        'href="https://notes.example.org/blog/feed.xml">',
        '<link rel="alternate" type="application/rss+xml" title="Harbour Notes (RSS)" '
        'href="https://notes.example.org/blog/feed.rss">',
        '<link rel="alternate" type="application/feed+json" title="Harbour Notes (JSON Feed)" '
        'href="https://notes.example.org/blog/feed.json">',
    ]


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("syndicate, version ")


def test_the_repository_config_builds_the_example(tmp_path: Path) -> None:
    result = run(["--config", str(REPO / "config" / "syndicate.toml"), "check", "--strict"], REPO)
    assert result.returncode == 0, result.stderr


def test_init_reproduces_the_repository_config(tmp_path: Path) -> None:
    target = tmp_path / "config" / "syndicate.toml"
    shipped = (REPO / "config" / "syndicate.toml").read_text()
    result = run(["init", str(REPO / "examples" / "blog"), "--output", str(target)], tmp_path)
    assert result.returncode == 0, result.stderr
    text = target.read_text().replace(
        f'root = "{(REPO / "examples" / "blog").as_posix()}"', 'root = "../examples/blog"'
    )
    assert text == shipped


def test_preview_finds_a_post_named_from_the_current_directory(project: Path, blog: Blog) -> None:
    assert run(["init", str(blog.root)], project).returncode == 0
    assert run(["build"], project).returncode == 0
    relative = os.path.relpath(blog.posts / "2024-05-01-hello.html.md", project)
    shown = run(["preview", relative], project)
    assert shown.returncode == 0, shown.stderr
    assert "Hello" in shown.stdout


def test_sources_import_an_opml_list_and_export_it_again(tmp_path: Path) -> None:
    config = tmp_path / "syndicate.toml"
    config.write_text('[site]\nurl = "https://planet.example.org/"\n')
    reading = tmp_path / "friends.opml"
    reading.write_bytes(
        b'<?xml version="1.0"?><opml version="2.0"><head><title>Friends</title></head><body>'
        b'<outline text="Ana" title="Ana Lima" xmlUrl="https://ana.example/feed"/>'
        b'<outline text="Old" xmlUrl="gopher://old.example/feed"/></body></opml>'
    )
    shown = run(["-c", str(config), "sources", "import", str(reading)], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("# Remote sources from Friends (friends.opml)\n")
    assert "# [gopher://old.example/feed] skipped: not an http(s) address" in shown.stdout
    written = run(["-c", str(config), "sources", "import", "--write", str(reading)], tmp_path)
    assert written.returncode == 0, written.stderr
    assert "1 of 1 sources added" in written.stderr
    exported = run(["-c", str(config), "sources", "export"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert (
        '<outline type="rss" text="Ana" title="Ana Lima" xmlUrl="https://ana.example/feed"/>'
        in (exported.stdout)
    )
    out = tmp_path / "out.opml"
    saved = run(["-c", str(config), "sources", "export", "-o", str(out)], tmp_path)
    assert saved.returncode == 0 and out.read_text() == exported.stdout


def test_a_build_process_leaves_at_once_with_everything_written(project: Path, blog: Blog) -> None:
    """`build`, `check` and `status` leave without tearing their objects down
    (`syndicate.cli.entry`): the JSON on a pipe is whole, the exit status kept, the ledger
    closed (a second process finds nothing to do) and no SQLite journal left open."""
    run(["init", str(blog.root)], project)
    for n in range(1, 200):
        blog.post(f"2024-01-{n % 28 + 1:02d}-post-{n}.html.md", {"title": f"Post {n}"}, "x " * n)
    blog.post("2024-05-02-broken.html.md", raw=b"---\ntitle: Broken\n---\n\xff\xfe\x00 bin\x00")
    first = run(["build", "--json"], project)
    assert first.returncode == 1
    assert json.loads(first.stdout)["posts"]["public"] == 200
    second = run(["build", "--json"], project)
    assert second.returncode == 1 and json.loads(second.stdout)["feeds"]["written"] == []
    status = run(["status", "--json"], project)
    assert status.returncode == 0 and json.loads(status.stdout)["posts"]["present"] == 200
    journals = [p for p in project.rglob("*") if p.name.endswith(("-wal", "-shm", "-journal"))]
    assert not journals, "a SQLite database (ledger or render cache) was left open"


def test_a_build_loads_only_what_its_posts_need(project: Path, blog: Blog) -> None:
    """A build of plain Markdown posts, too few for worker processes, loads neither lxml nor
    feedgen (the direct writer writes its feeds; only a body with an embed or an attribute
    list is parsed) nor multiprocessing: together some 20 ms of every `syndicate build`; nor
    difflib (for edits) or html.parser (for image tags); nor OpenSSL (hashlib's), nor what a
    forked helper needs (pickle, tempfile)."""
    run(["init", str(blog.root)], project)
    for n in range(1, 30):
        blog.post(f"2024-01-{n:02d}-post-{n}.html.md", {"title": f"Post {n}", "tags": ["a"]}, "x")
    heavy = (
        *("lxml", "feedgen", "dateutil", "multiprocessing", "sqlalchemy", "pydantic"),
        *("difflib", "html.parser", "_hashlib", "pickle", "tempfile"),
    )
    code = (
        "import sys\nfrom syndicate.cli import main\ntry:\n"
        "    main.main(['build'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', [m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True
    )
    assert "30 public posts" in out.stderr
    assert "LOADED []" in out.stdout
