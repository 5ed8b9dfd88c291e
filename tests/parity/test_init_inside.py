"""`syndicate init` run inside a Jekyll or Hugo blog writes nothing its generator publishes:
the real generator builds the site afterwards and nothing of ours is in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.parity import compare, fixtures
from tests.parity.test_parity import need


def syndicate(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "syndicate"), *args],
        cwd=cwd, capture_output=True, text=True, check=False,
        env={**os.environ, "SYNDICATE_CONFIG": ""},
    )  # fmt: skip


def set_up(blog: Path) -> None:
    init = syndicate(["init", "."], blog)
    assert init.returncode == 0, init.stderr
    assert (blog / ".syndicate" / "syndicate.toml").is_file()
    assert not (blog / "config").exists() and not (blog / "public").exists()
    for command in (["build"], ["token"]):
        done = syndicate(command, blog)
        assert done.returncode == 0, done.stderr
    assert (blog / ".syndicate" / "feeds").is_dir()
    assert (blog / ".syndicate" / "admin.token").is_file()


def ours_in(published: Path) -> list[str]:
    names = {"syndicate.toml", "syndicate.db", "admin.token", "syndicate-cache.sqlite"}
    return [str(p) for p in published.rglob("*") if p.name in names or ".syndicate" in p.parts]


def test_jekyll_build_leaves_our_files_out(tmp_path: Path) -> None:
    need(compare.jekyll_binary(), "jekyll")
    blog = tmp_path / "blog"
    fixtures.jekyll_site(blog, "pretty")
    set_up(blog)
    site = compare.run_jekyll(blog).parent
    assert (site / "parity-feed.xml").is_file() and ours_in(site) == []


def test_hugo_leaves_our_files_out(tmp_path: Path) -> None:
    need(compare.hugo_binary(), "hugo")
    blog = tmp_path / "blog"
    fixtures.hugo_site(blog, "paths")
    set_up(blog)
    binary = compare.hugo_binary()
    assert binary is not None
    subprocess.run([binary, "--quiet", "--source", str(blog)], check=True, capture_output=True)
    assert (blog / "public" / "index.xml").is_file() and ours_in(blog / "public") == []


def test_init_refuses_to_write_into_the_published_tree(tmp_path: Path) -> None:
    blog = tmp_path / "blog"
    fixtures.jekyll_site(blog, "pretty")
    done = syndicate(["init", ".", "--output", "config/syndicate.toml"], blog)
    assert done.returncode == 2 and "publishes" in done.stderr
    assert not (blog / "config").exists()
