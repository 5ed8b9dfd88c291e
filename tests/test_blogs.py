"""Several blogs in one deployment, as their operator meets it: a folder of config files (or
`--config` repeated); the commands that act on each blog in turn, the ones that need
`--blog`, the settings two blogs cannot share, and `syndicate run` keeping a daemon per
blog in processes of its own, every log line naming its blog."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import httpx
import pytest

from syndicate.blogs import choose, config_files, load_blogs
from syndicate.errors import ConfigError
from tests.conftest import Blog
from tests.test_cli import run
from tests.test_daemon import free_port, wait_for


def make_blog(base: Path, name: str, port: int = 0, *, url: str = "", cache: str = "") -> Blog:
    """A blog under base/NAME with one post, and its config at base/blogs/NAME.toml."""
    blog = Blog(base / name)
    blog.post(
        "2024-05-01-hello.html.md",
        {"title": f"Hello from {name}", "author": "ana", "date": "2024-05-01"},
    )
    folder = base / "blogs"
    folder.mkdir(exist_ok=True)
    ledger = url or f"sqlite:///{base / name / 'ledger.db'}"
    (folder / f"{name}.toml").write_text(f"""
[site]
title = "Blog {name}"
url = "https://{name}.example.org/"
[content]
root = "{blog.root}"
[feeds]
output = "{base / name / "public"}"
[watch]
debounce = 0.05
[server]
port = {port}
[store]
url = "{ledger}"
cache = "{cache or base / name / "cache.sqlite"}"
""")
    return blog


@pytest.fixture
def two(tmp_path: Path) -> Path:
    make_blog(tmp_path, "alpha")
    make_blog(tmp_path, "beta")
    return tmp_path


def test_a_folder_of_configs_is_built_blog_by_blog(two: Path) -> None:
    built = run(["--config", "blogs", "build"], two)
    assert built.returncode == 0, built.stderr
    assert "== alpha.example.org (blogs/alpha.toml)" in built.stderr
    assert "== beta.example.org (blogs/beta.toml)" in built.stderr
    for name in ("alpha", "beta"):
        feed = (two / name / "public" / "feed.xml").read_text()
        assert f"Hello from {name}" in feed
        assert f"Hello from {'beta' if name == 'alpha' else 'alpha'}" not in feed

    shown = run(["-c", "blogs", "status", "--json"], two)
    reports = json.loads(shown.stdout)
    assert [r["blog"] for r in reports] == ["alpha.example.org", "beta.example.org"]
    assert all(r["posts"]["public"] == 1 for r in reports)

    text = run(["-c", "blogs", "status"], two).stdout
    assert text.index("== alpha.example.org") < text.index("== beta.example.org")


def test_repeated_configs_and_blog_choose_what_a_command_acts_on(two: Path) -> None:
    one = run(["-c", "blogs/alpha.toml", "-c", "blogs/beta.toml", "-b", "beta", "build"], two)
    assert one.returncode == 0, one.stderr
    assert (two / "beta" / "public" / "feed.xml").exists()
    assert not (two / "alpha" / "public").exists()

    by_name = run(["-c", "blogs", "--blog", "alpha.example.org", "check", "--json"], two)
    assert by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout)["posts"] == 1  # one blog: its report, as ever


def test_a_command_about_one_blog_asks_which(two: Path) -> None:
    vague = run(["-c", "blogs", "publish", "--dry-run"], two)
    assert vague.returncode == 2
    assert "2 blogs are configured (alpha.example.org, beta.example.org)" in vague.stderr
    assert "--blog NAME" in vague.stderr

    unknown = run(["-c", "blogs", "-b", "gamma", "build"], two)
    assert unknown.returncode == 2
    assert "no blog is called 'gamma'" in unknown.stderr

    ported = run(["-c", "blogs", "run", "--port", "8080"], two)
    assert ported.returncode == 2
    assert "give each blog its own server.port" in ported.stderr


def test_one_broken_blog_is_named_and_the_others_still_build(two: Path) -> None:
    (two / "alpha" / "source" / "blog" / "2024-06-01-bad.html.md").write_text(
        "---\ntitle: [unclosed\n---\nText."
    )
    built = run(["-c", "blogs", "build", "--json"], two)
    assert built.returncode == 1
    reports = {r["blog"]: r for r in json.loads(built.stdout)}
    assert len(reports["alpha.example.org"]["errors"]) == 1
    assert reports["beta.example.org"]["errors"] == []
    assert "2024-06-01-bad.html.md" in built.stderr


def test_a_blog_whose_config_is_broken_is_named_and_the_others_still_build(two: Path) -> None:
    config = two / "blogs" / "alpha.toml"
    config.write_text(config.read_text().replace("[feeds]", "[feeds]\nlimit = 'many'"))
    built = run(["-c", "blogs", "build"], two)
    assert built.returncode == 2
    assert "blogs/alpha.toml:8: feeds.limit: Input should be a valid integer" in built.stderr
    assert (two / "beta" / "public" / "feed.xml").exists()

    running = run(["-c", "blogs", "run"], two)  # a deployment starts whole, or not at all
    assert running.returncode == 2
    assert "feeds.limit" in running.stderr


def test_init_adds_a_blog_to_a_folder_of_blogs(two: Path) -> None:
    make_blog(two, "gamma")
    (two / "blogs" / "gamma.toml").unlink()
    made = run(["-c", "blogs", "init", "gamma", "--url", "https://gamma.example.org/"], two)
    assert made.returncode == 0, made.stderr
    assert "Next: syndicate --config blogs --blog gamma check" in made.stderr
    config = (two / "blogs" / "gamma.toml").read_text()
    # Its state and feeds are its own, apart from the other blogs' in the folder.
    for line in ('output = "../public/gamma"', 'url = "sqlite:///gamma.db"',
                 'cache = "gamma-cache.sqlite"', 'token_file = "gamma-admin.token"'):  # fmt: skip
        assert line in config
    listed = run(["-c", "blogs", "status", "--json"], two)
    names = [report["blog"] for report in json.loads(listed.stdout)]
    assert names == ["alpha.example.org", "beta.example.org", "gamma.example.org"]


@pytest.mark.parametrize(
    ("shared", "clash"), [("url", "the same ledger"), ("cache", "the same store.cache")]
)
def test_two_blogs_cannot_share_what_each_would_overwrite(
    tmp_path: Path, shared: str, clash: str
) -> None:
    url = f"sqlite:///{tmp_path}/shared.db" if shared == "url" else ""
    cache = f"{tmp_path}/shared-cache.sqlite" if shared == "cache" else ""
    for name in ("alpha", "beta"):
        make_blog(tmp_path, name, url=url, cache=cache)
    files = config_files([str(tmp_path / "blogs")], {})
    with pytest.raises(ConfigError) as raised:
        load_blogs(files, {})
    assert clash in str(raised.value)
    assert "beta.toml" in str(raised.value) and "alpha.toml" in str(raised.value)


def test_a_blog_is_chosen_by_its_name_or_its_file(two: Path) -> None:
    blogs = load_blogs(config_files([str(two / "blogs")], {}), {})
    assert choose(blogs, "beta").blog_name == "beta.example.org"
    assert choose(blogs, "alpha.example.org").site.title == "Blog alpha"
    with pytest.raises(ConfigError):
        config_files([str(two / "alpha")], {})  # a folder without any *.toml


def test_run_keeps_a_daemon_per_blog_and_stops_them_together(tmp_path: Path) -> None:
    ports = {"alpha": free_port(), "beta": free_port()}
    for name, port in ports.items():
        make_blog(tmp_path, name, port)
    log = (tmp_path / "run.log").open("w")
    env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_CONFIG"}
    command = [sys.executable, "-m", "syndicate", "-c", "blogs", "run", "--log-format", "json"]
    parent = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        for name, port in ports.items():
            wait_for(partial(serves, port, f"Hello from {name}"), f"{name}'s feed")
        lines = [json.loads(line) for line in (tmp_path / "run.log").read_text().splitlines()]
        built = {line["blog"] for line in lines if line["msg"] == "built"}
        assert built == {"alpha.example.org", "beta.example.org"}

        parent.send_signal(signal.SIGTERM)
        assert parent.wait(30) == 0
        stopped = (tmp_path / "run.log").read_text().count('"msg": "stopped"')
        assert stopped == 2
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_blog_whose_daemon_dies_ends_the_others_with_a_failure(tmp_path: Path) -> None:
    ports = {"alpha": free_port(), "beta": free_port()}
    for name, port in ports.items():
        make_blog(tmp_path, name, port)
    env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_CONFIG"}
    command = [sys.executable, "-m", "syndicate", "-c", "blogs", "run", "--log-format", "json"]
    parent = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for port in ports.values():
            wait_for(partial(serves, port, "Hello"), "both feeds")
        children = _children(parent.pid)
        assert len(children) == 2
        os.kill(children[0], signal.SIGKILL)
        assert parent.wait(30) != 0
        _, err = parent.communicate(timeout=10)
        assert "ended (exit status -9); stopping the others" in err
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in children)
    finally:
        if parent.poll() is None:
            parent.kill()


def serves(port: int, text: str) -> bool:
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/feed.xml", timeout=1)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200 and text in answer.text


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.split(") ", 1)[1][0] != "Z"
