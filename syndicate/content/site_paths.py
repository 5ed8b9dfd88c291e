"""The URL paths a blog's generator publishes besides its posts: its pages, its collections'
documents and its static files. `check` asks it whether a link into the site leads anywhere;
Liquid's `{% link %}` asks it for one file's URL.

Each generator is read by its own rules, without building the site: Jekyll's `permalink:` in a
file's frontmatter, else its collection's pattern, else the page's path in the site's
permalink style; Hugo's `url:`, else the page's folders and `slug` (lower-cased), `static/` as
is, taxonomy pages; Middleman's `source/` with template extensions dropped. What a plugin or
a theme makes (archives, paginated lists) is not known, so paths under a taxonomy or a page
folder that exists count as found.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from syndicate.content.files import decode, is_dropping
from syndicate.content.frontmatter import split
from syndicate.content.layouts import hugo_config, read_config
from syndicate.content.permalinks import hugo_urlize, jekyll_slugify
from syndicate.content.published import published_by
from syndicate.errors import ContentError

_SKIP = frozenset({".git", "node_modules", ".syndicate", "vendor", ".jekyll-cache", "resources"})
_PAGES = frozenset({".md", ".markdown", ".html", ".htm", ".textile", ".adoc", ".org"})
_FEEDS = ("feed.xml", "atom.xml", "rss.xml", "index.xml", "feed.json", "sitemap.xml")


def front_matter(path: Path, rel: str | None = None) -> dict[str, Any]:
    """A source file's frontmatter ({} without one); raises OSError or ContentError."""
    name = rel or path.name
    return split(name, decode(name, path.read_bytes())[0])[0]


def jekyll_file_url(root: Path, config: Mapping[str, Any], rel: str) -> str | None:
    """The site path (with a leading slash, no base) Jekyll gives the file `rel`: its own
    `permalink:`, else its collection's pattern, else the page's path; None if it publishes
    none."""
    rel = rel.lstrip("/")
    if ".." in rel.split("/"):
        return None
    path = root / rel
    is_page = path.suffix.lower() in _PAGES
    front: dict[str, Any] = {}
    if is_page:
        try:
            front = front_matter(path, rel)
        except (OSError, ContentError):
            return None
    elif not path.is_file():
        return None
    own = front.get("permalink")
    if isinstance(own, str) and own.strip() and ":" not in own:
        return "/" + own.strip().lstrip("/")
    folder, _, inside = rel.partition("/")
    collections = config.get("collections")
    if folder.startswith("_") and isinstance(collections, Mapping):
        spec = collections.get(folder[1:])
        if not isinstance(spec, Mapping) or not spec.get("output"):
            return None
        template = str(spec.get("permalink") or "/:collection/:path:output_ext")
        stem = inside.rsplit(".", 1)[0] if is_page else inside
        name = stem.rsplit("/", 1)[-1]
        values = {
            "collection": folder[1:],
            "path": stem,
            "name": jekyll_slugify(name),
            "title": jekyll_slugify(name, pretty=True, cased=True),
            "output_ext": ".html" if is_page else "",
        }
        url = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), template)
        return "/" + url.lstrip("/")
    if rel.startswith(("_", ".")) or "/_" in rel:
        return None
    if not is_page or (not front and path.suffix.lower() not in (".html", ".htm")):
        return "/" + rel  # a static file (Markdown without frontmatter is copied as it is)
    stem = rel.rsplit(".", 1)[0]
    if stem == "index" or stem.endswith("/index"):
        return "/" + stem.removesuffix("index")
    style = str(config.get("permalink") or "date")
    pretty = style == "pretty" or style.endswith("/")
    return "/" + stem + ("/" if pretty else ".html")


def published_paths(root: Path, layout: str, posts_dir: str = "") -> set[str]:
    """Every site path (leading slash, no base) the blog's pages and files are published at,
    plus folders they live in; the posts (in `posts_dir`) and their bundles' files are not
    included: the caller knows their permalinks."""
    try:
        if layout == "jekyll":
            return _with_folders(_jekyll(root))
        if layout == "hugo":
            return _with_folders(_hugo(root, posts_dir))
        if layout == "middleman":
            return _with_folders(_middleman(root))
    except (OSError, ValueError, yaml.YAMLError):
        pass
    return set()


def listing_roots(root: Path, layout: str) -> tuple[str, ...]:
    """Folders whose pages the generator (or a usual plugin) makes from the posts: taxonomy
    terms, archives, paginated lists. Any path under them counts as found."""
    if layout == "hugo":
        try:
            taxonomies = hugo_config(root).get("taxonomies")
        except (OSError, ValueError):
            taxonomies = None
        names = taxonomies.values() if isinstance(taxonomies, dict) else ("tags", "categories")
        return (*(f"/{hugo_urlize(str(name))}/" for name in names), "/page/")
    return ("/tag/", "/tags/", "/category/", "/categories/", "/archive/", "/archives/", "/page")


def _with_folders(paths: Iterator[str]) -> set[str]:
    found = {"/", *(f"/{name}" for name in _FEEDS)}
    for path in paths:
        found.add(path)
        parts = path.strip("/").split("/")
        found.update("/" + "/".join(parts[:depth]) + "/" for depth in range(1, len(parts)))
    return found


def _files(base: Path) -> Iterator[str]:
    """Every file under `base`, relative, skipping tool folders and editor droppings."""
    for folder, dirs, names in os.walk(base):
        dirs[:] = [d for d in dirs if d not in _SKIP]
        rel = Path(folder).relative_to(base).as_posix()
        for name in names:
            if not is_dropping(name):
                yield name if rel == "." else f"{rel}/{name}"


def _jekyll(root: Path) -> Iterator[str]:
    config = read_config(root / "_config.yml")
    destination = str(config.get("destination") or "_site").strip("/")
    for rel in _files(root):
        if rel.startswith((destination + "/", "_posts/", "_drafts/")) or "/_posts/" in rel:
            continue
        collection = rel.startswith("_") and not rel.startswith(("_layouts/", "_includes/"))
        if not collection and published_by(root, "jekyll", root / rel) is None:
            continue
        url = jekyll_file_url(root, config, rel)
        if url:
            yield url
            yield from _aliases(root / rel, rel, "redirect_from")  # jekyll-redirect-from


def _aliases(path: Path, rel: str, key: str) -> Iterator[str]:
    """The old addresses a page declares (jekyll-redirect-from's `redirect_from`, Hugo's
    `aliases`): the generator publishes a redirect there."""
    if path.suffix.lower() not in _PAGES:
        return
    try:
        value = front_matter(path, rel).get(key)
    except (OSError, ContentError):
        return
    for alias in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
        if isinstance(alias, str) and alias.strip():
            yield "/" + alias.strip().lstrip("/")


def _hugo(root: Path, posts_dir: str) -> Iterator[str]:
    config = hugo_config(root)
    statics = config.get("staticDir") or config.get("staticdir") or "static"
    for static in [statics] if isinstance(statics, str) else list(statics):
        yield from ("/" + rel for rel in _files(root / str(static)))
    yield from listing_roots(root, "hugo")
    content = root / str(config.get("contentDir") or config.get("contentdir") or "content")
    posts = None
    if posts_dir and (root / posts_dir).is_relative_to(content) and root / posts_dir != content:
        posts = (root / posts_dir).relative_to(content).as_posix() + "/"
    for rel in _files(content):
        if posts and rel.startswith(posts) and not rel.rsplit("/", 1)[-1].startswith("_index."):
            continue
        yield _hugo_url(content, rel)
        yield from _aliases(content / rel, rel, "aliases")


def _hugo_url(content: Path, rel: str) -> str:
    folder, _, name = rel.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    if not dot or "." + ext.lower() not in _PAGES:  # a page resource or a file of content/
        return "/" + "/".join(hugo_urlize(p) for p in folder.split("/") if p) + "/" + name
    try:
        front = front_matter(content / rel, rel)
    except (OSError, ContentError):
        front = {}
    url = front.get("url")
    if isinstance(url, str) and url.strip():
        return "/" + url.strip().lstrip("/")
    parts = [hugo_urlize(p) for p in folder.split("/") if p]
    if stem not in ("index", "_index"):
        slug = front.get("slug")
        parts.append(hugo_urlize(str(slug)) if slug else hugo_urlize(stem))
    return "/" + "/".join(parts) + ("/" if parts else "")


def _middleman(root: Path) -> Iterator[str]:
    for rel in _files(root / "source"):
        if any(part.startswith("_") for part in rel.split("/")):
            continue  # partials and layouts
        name = rel
        for _ in range(3):  # `x.html.md.erb` → `x.html`
            stem, dot, ext = name.rpartition(".")
            if not dot or ext.lower() not in ("erb", "haml", "slim", "md", "markdown", "builder"):
                break
            name = stem
        if not name.rsplit("/", 1)[-1].count("."):
            name += ".html"
        yield "/" + name
