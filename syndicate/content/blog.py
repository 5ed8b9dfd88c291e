"""One blog, ready to read: its layout, authors registry, post loader and renderer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import yaml

from syndicate.content import files
from syndicate.content.authors import AuthorRegistry, load_registry
from syndicate.content.layouts import Layout, read_config, registry_key, resolve
from syndicate.content.loader import PostLoader
from syndicate.content.render import Renderer
from syndicate.content.settings import ContentSettings
from syndicate.content.site_paths import front_matter


class Blog(msgspec.Struct, frozen=True):
    root: Path
    layout: Layout
    authors: AuthorRegistry
    loader: PostLoader
    renderer: Renderer

    def scan(self) -> list[files.SourceStamp]:
        """Every post source, sorted by path (Hugo's list pages and editor droppings left out)."""
        layout = self.layout
        stamps = files.scan(
            self.root, layout.posts_dir, recursive=layout.recursive, skip_dirs=layout.skip_dirs
        )
        if not layout.bundles:
            return stamps  # only bundles have list pages to leave out
        return [s for s in stamps if self.loader.accepts(s.rel)]

    def generator_config_text(self) -> str:
        """The generator's own config as written, where posts' templates read it (Jekyll's
        `site`): part of what every rendering is made from."""
        if self.layout.template_syntax != "liquid":
            return ""
        try:
            return (self.root / "_config.yml").read_text("utf-8", "replace")
        except OSError:
            return ""

    def registry_text(self) -> str:
        """The authors registry as written: part of what every post is made from."""
        if not self.layout.authors_file:
            return ""
        return (self.root / self.layout.authors_file).read_text("utf-8", "replace")


def open_blog(root: Path, content: ContentSettings, site_url: str) -> Blog:
    """The blog under `root` as `content` describes it, its links under `site_url`; raises
    ConfigError when its layout or registry is unusable."""
    layout = resolve(
        root,
        content.layout,
        posts=content.posts,
        authors=content.authors,
        permalink=content.permalink,
        image_base=content.image_base,
    )
    authors = (
        load_registry(root / layout.authors_file, registry_key(layout.authors_file))
        if layout.authors_file
        else AuthorRegistry()
    )
    liquid = None
    if layout.template_syntax == "liquid":
        from syndicate.content.liquid import JekyllLiquid  # only for Liquid: see render.py

        liquid = JekyllLiquid(site_url, _jekyll_config(root), root)
    renderer = Renderer(
        site_url=site_url,
        image_dir=layout.image_base,
        summary_markers=content.summary_markers,
        syntax=layout.template_syntax,
        liquid=liquid,
        front_matter=lambda source: front_matter(root / source, source),
    )
    return Blog(root, layout, authors, PostLoader(content, site_url, layout, authors), renderer)


def _jekyll_config(root: Path) -> dict[str, Any]:
    """`_config.yml` for Liquid's `site`; an unreadable one gives an empty `site` (`check` and
    the loader name the problem where it matters: dates, permalinks)."""
    try:
        return read_config(root / "_config.yml")
    except (OSError, ValueError, yaml.YAMLError):
        return {}
