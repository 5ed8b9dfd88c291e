"""Blog layouts (Middleman, Jekyll, Hugo): where posts live and how their URLs are made.

Detection looks for each generator's own files. The permalink pattern comes, in order, from
syndicate's config, from the blog's own configuration where it declares one, or from the
generator's default.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from syndicate.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    posts_dir: str  # relative to the blog root
    recursive: bool
    skip_dirs: tuple[str, ...]
    authors_file: str | None
    permalink: str
    image_base: str | None  # where relative Markdown image paths resolve (Middleman's images_dir)
    slug_from_frontmatter: bool
    tags_split_on_space: bool
    bundles: bool  # `dir/index.md` is a post named after its directory (Hugo page bundles)
    template_syntax: str | None = None  # what the generator expands in posts: liquid, shortcodes


_MIDDLEMAN = Layout(
    name="middleman",
    posts_dir="source/blog",
    recursive=False,
    skip_dirs=(),
    authors_file=None,
    permalink="blog/{year}/{month}/{slug}.html",
    image_base="images/",
    slug_from_frontmatter=False,
    tags_split_on_space=False,
    bundles=False,
)
_JEKYLL = Layout(
    name="jekyll",
    posts_dir="_posts",
    recursive=True,
    skip_dirs=("_drafts",),
    authors_file=None,
    permalink="{categories}/{year}/{month}/{day}/{slug}.html",
    image_base=None,
    slug_from_frontmatter=True,
    tags_split_on_space=True,
    bundles=False,
    template_syntax="liquid",
)
_HUGO = Layout(
    name="hugo",
    posts_dir="content/posts",
    recursive=True,
    skip_dirs=(),
    authors_file=None,
    permalink="{section}/{slug}/",
    image_base=None,
    slug_from_frontmatter=True,
    tags_split_on_space=False,
    bundles=True,
    template_syntax="shortcodes",
)
LAYOUTS = {layout.name: layout for layout in (_MIDDLEMAN, _JEKYLL, _HUGO)}

_HUGO_CONFIGS = (
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "config.yml",
    "config.json",
)


def detect(root: Path) -> str | None:
    """The layout name a blog directory looks like, or None."""
    if (root / "config.rb").is_file() or (root / "source" / "blog").is_dir():
        return "middleman"
    if (
        (root / "_config.yml").is_file()
        or (root / "_config.toml").is_file()
        or (root / "_posts").is_dir()
    ):
        return "jekyll"
    if (root / "content").is_dir() and any((root / name).is_file() for name in _HUGO_CONFIGS):
        return "hugo"
    if (root / "content").is_dir():
        return "hugo"
    return None


def resolve(
    root: Path,
    name: str,
    *,
    posts: str | None = None,
    authors: str | None = None,
    permalink: str | None = None,
    image_base: str | None = None,
) -> Layout:
    """The layout to load `root` with: detected when `name` is "auto", then overridden."""
    if name == "auto":
        found = detect(root)
        if found is None:
            raise ConfigError(
                f"cannot tell which generator {root} uses (no source/blog, _posts or content "
                "directory); set content.layout and content.posts",
                key="content.layout",
            )
        name = found
    layout = LAYOUTS[name]
    layout = replace(layout, posts_dir=posts or _posts_dir(root, layout))
    declared = _declared_permalink(root, layout)
    return replace(
        layout,
        authors_file=authors if authors is not None else _authors_file(root, layout),
        permalink=permalink or declared or layout.permalink,
        image_base=image_base if image_base is not None else layout.image_base,
    )


def _posts_dir(root: Path, layout: Layout) -> str:
    candidates = {
        "middleman": ("source/blog", "source/posts", "source/articles", "source"),
        "jekyll": ("_posts",),
        "hugo": ("content/posts", "content/post", "content/blog", "content"),
    }[layout.name]
    return next((c for c in candidates if (root / c).is_dir()), candidates[0])


def _authors_file(root: Path, layout: Layout) -> str | None:
    folder = "_data" if layout.name == "jekyll" else "data"
    for ext in ("yml", "yaml", "json", "toml"):
        candidate = f"{folder}/authors.{ext}"
        if (root / candidate).is_file():
            return candidate
    return None


def _declared_permalink(root: Path, layout: Layout) -> str | None:
    try:
        if layout.name == "middleman":
            return _middleman_permalink(root, layout)
        if layout.name == "jekyll":
            return _jekyll_permalink(read_config(root / "_config.yml"))
        return _hugo_permalink(hugo_config(root), layout)
    except (OSError, ValueError, yaml.YAMLError):
        return None


def _middleman_permalink(root: Path, layout: Layout) -> str | None:
    config = root / "config.rb"
    if not config.is_file():
        return None
    text = config.read_text(encoding="utf-8", errors="replace")
    permalink = re.search(r"""blog\.permalink\s*=\s*["']([^"']+)["']""", text)
    prefix = re.search(r"""blog\.prefix\s*=\s*["']([^"']+)["']""", text)
    if not permalink:
        return None
    pattern = _colon_fields(permalink.group(1), {"title": "slug"})
    if prefix:
        pattern = f"{prefix.group(1).strip('/')}/{pattern.lstrip('/')}"
    return pattern.lstrip("/")


_JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def _jekyll_permalink(config: dict[str, Any]) -> str | None:
    value = config.get("permalink")
    if not isinstance(value, str):
        return None
    value = _JEKYLL_STYLES.get(value, value)
    value = value.replace(":output_ext", ".html")
    return _colon_fields(value, {"title": "slug", "i_month": "month", "i_day": "day"}).lstrip("/")


def _hugo_permalink(config: dict[str, Any], layout: Layout) -> str | None:
    permalinks = config.get("permalinks")
    if not isinstance(permalinks, dict):
        return None
    section = layout.posts_dir.removeprefix("content").strip("/") or "posts"
    page = permalinks.get("page")
    by_section: dict[str, Any] = page if isinstance(page, dict) else permalinks
    value = by_section.get(section)
    if not isinstance(value, str):
        return None
    mapping = {
        "filename": "filename",
        "contentbasename": "filename",
        "sections": "section",
        "slug": "slug_or_title",  # Hugo's :slug falls back to the title, not the file name
    }
    return _colon_fields(value, mapping).lstrip("/")


def _colon_fields(pattern: str, renames: dict[str, str]) -> str:
    """`:year/:title.html` or `{year}/{title}.html` → `{year}/{slug}.html` in our field names."""

    def field(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return "{" + renames.get(name, name) + "}"

    return re.sub(r":([a-z_]+)|\{([a-z_]+)\}", field, pattern)


def read_config(path: Path) -> dict[str, Any]:
    """A generator's YAML/TOML/JSON config file as a dict ({} if absent)."""
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8-sig")
    data: Any
    if path.suffix == ".toml":
        data = tomllib.loads(text)
    elif path.suffix == ".json":
        import json

        data = json.loads(text)
    else:
        data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


def hugo_config(root: Path) -> dict[str, Any]:
    for name in _HUGO_CONFIGS:
        if (root / name).is_file():
            return read_config(root / name)
    return {}
