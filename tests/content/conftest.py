"""Helpers for the content tests: the real loader and renderer, set up as a build sets them up."""

from __future__ import annotations

from pathlib import Path

import html5lib

from syndicate.config import Settings, parse_settings
from syndicate.content.blog import open_blog
from syndicate.content.loader import LoadedPost, PostLoader
from tests.conftest import Blog


def loader_for(settings: Settings) -> PostLoader:
    """A PostLoader for the blog `settings` describe: layout resolved, registry read."""
    return open_blog(settings.content_root, settings.content, settings.site.url).loader


def load(blog: Blog, path: Path, extra: str = "") -> LoadedPost:
    """Load one file of `blog` with settings plus `extra` TOML."""
    settings = blog.settings(extra)
    return loader_for(settings).load(path.relative_to(blog.root).as_posix(), path.read_bytes())


def settings_for(
    root: Path, extra: str = "", *, url: str = "https://blog.example.org/"
) -> Settings:
    """Settings for a blog of any layout under `root` (the Blog fixture only makes Middleman)."""
    text = f'[site]\nurl = "{url}"\n[content]\nroot = "{root}"\n{extra}'
    return parse_settings(text, file="test.toml", base_dir=root)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def assert_valid_html(fragment: str) -> None:
    """The fragment parses as HTML with html5lib in strict mode (what the validator checks)."""
    html5lib.HTMLParser(strict=True).parseFragment(fragment)
