"""Blog layouts (Middleman, Jekyll, Hugo): where posts live and how their URLs are made.

Detection looks for each generator's own files. The permalink pattern comes, in order, from
syndicate's config, from the blog's own configuration where it declares one, or from the
generator's default.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec
import yaml
from msgspec.structs import replace

from syndicate.errors import ConfigError


class Layout(msgspec.Struct, frozen=True):
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
    # The stem is all but the last extension (Jekyll, Hugo: `3.5-years.md` is `3.5-years`);
    # Middleman's `x.html.md` is `x`.
    stem_keeps_dots: bool = False
    # Jekyll reads frontmatter with Ruby's YAML, which takes a timestamp without a zone
    # (`date: 2024-01-02 10:00:00`) as UTC; a quoted one, or one without seconds, is local.
    naive_yaml_utc: bool = False
    # Frontmatter keys of the published date, first found wins (Hugo: publishDate, then date).
    date_keys: tuple[str, ...] = ("date", "publishDate", "publishdate", "pubDate")
    # Keys of the date a permalink's :year... come from, when not the published date (Hugo's
    # .Date: `date` first, where its feeds show `publishDate`).
    url_date_keys: tuple[str, ...] = ()
    declared_url_keys: tuple[str, ...] = ("permalink", "url")  # frontmatter giving the URL
    split_term_strings: bool = True  # `tags: "a, b"` is two tags (Hugo: one term "a, b")
    ugly_urls: bool = False  # Hugo's uglyURLs: `posts/x.html` rather than `posts/x/`
    timezone: str | None = None  # the zone the blog's own config declares
    smart_titles: bool = False  # Jekyll: jekyll-feed smartifies titles (curly quotes, dashes)
    caseless_keys: bool = False  # Hugo: frontmatter keys in any case (`Categories`, `Tags`)
    # What the generator's config publishes that it holds back by default: Jekyll's `future:`
    # and Hugo's buildFuture (posts dated ahead), Jekyll's `unpublished:` (`published: false`),
    # Hugo's buildDrafts (`draft: true`) and buildExpired (past their expiry date).
    publish_future: bool = False
    publish_unpublished: bool = False
    publish_drafts: bool = False
    publish_expired: bool = False
    # Hugo: the folders under content/ that are sections below the top level (they hold an
    # `_index` file), read when the blog is opened. Sorted: the layout's repr is part of the
    # content fingerprint.
    section_dirs: tuple[str, ...] = ()


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
    permalink="/:categories/:year/:month/:day/:title:output_ext",  # Jekyll's "date" style
    image_base=None,
    slug_from_frontmatter=True,
    tags_split_on_space=True,
    bundles=False,
    template_syntax="liquid",
    stem_keeps_dots=True,
    naive_yaml_utc=True,
    smart_titles=True,
    date_keys=("date",),
    declared_url_keys=("permalink",),
)
_HUGO = Layout(
    name="hugo",
    posts_dir="content/posts",
    recursive=True,
    skip_dirs=(),
    authors_file=None,
    permalink="",  # "": Hugo's own, the post's folders under content/ and its slug or name
    image_base=None,
    slug_from_frontmatter=True,
    tags_split_on_space=False,
    bundles=True,
    template_syntax="shortcodes",
    stem_keeps_dots=True,
    date_keys=("publishDate", "publishdate", "pubdate", "published", "date"),
    url_date_keys=("date", "publishDate", "publishdate", "pubdate", "published", "lastmod"),
    declared_url_keys=("url",),
    split_term_strings=False,
    caseless_keys=True,
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
    if (root / "content").is_dir() and (
        any((root / name).is_file() for name in _HUGO_CONFIGS)
        or (root / "config" / "_default").is_dir()
    ):
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
        **_declared_facts(root, layout.name),
    )


def _declared_facts(root: Path, name: str) -> dict[str, Any]:
    """What else the generator's config says about reading posts: zone, URL style."""
    try:
        if name == "jekyll":
            config = read_config(root / "_config.yml")
            return {
                "timezone": _text(config.get("timezone")),
                "publish_future": config.get("future") is True,
                "publish_unpublished": config.get("unpublished") is True,
            }
        if name == "hugo":
            config = {str(k).lower(): v for k, v in hugo_config(root).items()}
            return {
                "section_dirs": _hugo_sections(root),
                "timezone": _text(config.get("timezone")),
                "ugly_urls": config.get("uglyurls") is True,
                "publish_future": config.get("buildfuture") is True,
                "publish_drafts": config.get("builddrafts") is True,
                "publish_expired": config.get("buildexpired") is True,
            }
    except (OSError, ValueError, yaml.YAMLError):
        pass
    return {}


def _hugo_sections(root: Path) -> tuple[str, ...]:
    content = root / "content"
    found = {p.parent.relative_to(content).as_posix() for p in content.glob("**/_index.*")}
    return tuple(sorted(f for f in found if "/" in f))


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


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
    if layout.name == "jekyll" and _declares_authors(root / "_config.yml"):
        return "_config.yml"  # `authors:` in the site's config (site.authors)
    return None


def _declares_authors(config: Path) -> bool:
    try:
        return isinstance(read_config(config).get("authors"), dict)
    except (OSError, ValueError, yaml.YAMLError):
        return False


def registry_key(authors_file: str) -> str | None:
    """The key under which a registry file keeps the authors: `authors` in a site config."""
    return (
        "authors" if authors_file.rsplit("/", 1)[-1].startswith(("_config.", "config.")) else None
    )


def _declared_permalink(root: Path, layout: Layout) -> str | None:
    try:
        if layout.name == "middleman":
            return _middleman_permalink(root, layout)
        if layout.name == "jekyll":
            return jekyll_permalink(read_config(root / "_config.yml"))
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
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def jekyll_permalink(config: dict[str, Any]) -> str | None:
    """The posts' permalink template as Jekyll 4 settles it: `collections: posts: permalink:`,
    else the site's `permalink:` (a style name or a template), in Jekyll's own syntax."""
    collections = config.get("collections")
    posts = collections.get("posts") if isinstance(collections, dict) else None
    value = posts.get("permalink") if isinstance(posts, dict) else None
    if not isinstance(value, str):
        value = config.get("permalink")
    if not isinstance(value, str) or not value.strip():
        return None
    return _JEKYLL_STYLES.get(value.strip(), value.strip())


def _hugo_permalink(config: dict[str, Any], layout: Layout) -> str | None:
    permalinks = config.get("permalinks")
    if not isinstance(permalinks, dict):
        return None
    section = layout.posts_dir.removeprefix("content").strip("/") or "posts"
    page = permalinks.get("page")
    by_section: dict[str, Any] = page if isinstance(page, dict) else permalinks
    value = by_section.get(section)
    return value if isinstance(value, str) and value.strip() else None


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
    """Hugo's site config: `hugo.toml` (or `config.*`) at the root, else its config directory
    (`config/_default/`, then `config/production/`, what `hugo` builds): `hugo.*`/`config.*`
    there are the root keys, any other file is the key its name says (`params.toml`)."""
    for name in _HUGO_CONFIGS:
        if (root / name).is_file():
            return read_config(root / name)
    merged: dict[str, Any] = {}
    for environment in ("_default", "production"):
        folder = root / "config" / environment
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".toml", ".yaml", ".yml", ".json") or not path.is_file():
                continue
            data = read_config(path)
            if path.stem in ("hugo", "config"):
                _merge(merged, data)
            else:
                _merge(merged, {path.stem: data})
    return merged


def _merge(into: dict[str, Any], data: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
