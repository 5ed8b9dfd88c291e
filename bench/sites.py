"""The same Middleman posts as a Hugo site and as a Pelican site, for side-by-side benchmarks.

    read_middleman(blog)          -> the posts of BLOG/source/blog, and why any were left out
    write_hugo(posts, site)       -> SITE/hugo.toml, SITE/hugo-highlight.toml, SITE/content/posts
    hugo_binary()                 -> the Hugo binary inside the `hugo` package (else on PATH)
    write_pelican(posts, site)    -> SITE/pelicanconf.py and SITE/content/*.md

Dates are read with syndicate's own parser, so every tool sorts the posts the same way. A post
that has neither a `date:` nor a dated file name is left out: syndicate reports it as an error
and the other tools would invent a date for it.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, time
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from syndicate.content.dates import DateError, parse_date, split_dated_name

SITE_URL = "https://bench.example.org/"
SITE_TITLE = "Bench"
FEED_LIMIT = 20

_FRONTMATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_SUFFIXES = (".html.md", ".html.markdown", ".md", ".markdown")
# The C loader when PyYAML has it: 50,000 frontmatters take minutes with the pure-Python one.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class SourcePost:
    stem: str  # the file name without its suffix: unique, so it names the converted files
    title: str
    author: str | None
    date: datetime  # timezone-aware
    tags: tuple[str, ...]
    published: bool
    body: str


def read_middleman(blog: Path) -> tuple[list[SourcePost], list[str]]:
    """The posts under BLOG/source/blog in file-name order, and a note per post left out."""
    posts: list[SourcePost] = []
    skipped: list[str] = []
    for path in sorted((blog / "source" / "blog").iterdir()):
        stem = _stem(path.name)
        if stem is None or not path.is_file():
            continue
        post = read_post(path.read_text("utf-8", "replace"), stem)
        if isinstance(post, str):
            skipped.append(f"{path.name}: {post}")
        else:
            posts.append(post)
    return posts, skipped


def read_post(text: str, stem: str) -> SourcePost | str:
    """One post, or the reason it cannot be converted."""
    match = _FRONTMATTER.match(text)
    if match is None:
        return "no frontmatter"
    try:
        meta = yaml.load(match.group(1), Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        return f"frontmatter is not YAML: {exc}"
    if not isinstance(meta, dict):
        return "frontmatter is not a mapping"
    date = _date(meta.get("date"), stem)
    if date is None:
        return "no date in the frontmatter or the file name"
    return SourcePost(
        stem=stem,
        title=" ".join(str(meta.get("title") or stem).split()),
        author=_author(meta),
        date=date,
        tags=_tags(meta.get("tags")),
        published=meta.get("published", True) is not False,
        body=text[match.end() :],
    )


def _stem(name: str) -> str | None:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def _date(value: object, stem: str) -> datetime | None:
    if value is not None:
        try:
            return parse_date(value, UTC)
        except DateError:
            return None
    day, _ = split_dated_name(stem)
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def _author(meta: dict[Any, Any]) -> str | None:
    author = meta.get("author")
    if author is None and isinstance(meta.get("authors"), list) and meta["authors"]:
        author = meta["authors"][0]
    return str(author) if author is not None else None


def _tags(value: object) -> tuple[str, ...]:
    """Middleman's tags: a comma-separated string or a list."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        return ()
    tags = (" ".join(str(item).split()) for item in items if item is not None)
    return tuple(dict.fromkeys(tag for tag in tags if tag))


# Hugo ------------------------------------------------------------------------------------------

HUGO_CONFIG = f"""\
# Feeds only: the site's RSS and one RSS per tag, {FEED_LIMIT} items each, with Hugo's built-in
# RSS template. No theme and no layouts, and no HTML output for any kind of page.
baseURL = "{SITE_URL}"
title = "{SITE_TITLE}"
disableKinds = ["section", "taxonomy", "sitemap", "robotsTXT", "404"]

[taxonomies]
tag = "tags"

[outputs]
home = ["rss"]
term = ["rss"]
page = []

[services.rss]
limit = {FEED_LIMIT}

# Raw HTML passes through, as it does in syndicate's renderer (which sanitises it later).
[markup.goldmark.renderer]
unsafe = true

# syndicate highlights no code, so by default neither does Hugo here: the same work.
[markup.highlight]
codeFences = {{code_fences}}
"""


def hugo_binary() -> Path:
    """The binary inside the `hugo` package: its console script is a Python wrapper that would
    add an interpreter start-up to every run. Else a `hugo` on PATH."""
    try:
        inside = Path(str(metadata.distribution("hugo").locate_file("hugo/binaries/hugo")))
    except metadata.PackageNotFoundError:
        inside = Path("hugo/binaries/hugo")
    return inside if inside.is_file() else Path(shutil.which("hugo") or "hugo")


def write_hugo(posts: list[SourcePost], site: Path) -> None:
    content = site / "content" / "posts"
    content.mkdir(parents=True, exist_ok=True)
    # hugo.toml: the same work as syndicate; hugo-highlight.toml: Hugo's default highlighting.
    (site / "hugo.toml").write_text(HUGO_CONFIG.format(code_fences="false"), "utf-8")
    (site / "hugo-highlight.toml").write_text(HUGO_CONFIG.format(code_fences="true"), "utf-8")
    for post in posts:
        (content / f"{post.stem}.md").write_text(hugo_post(post), "utf-8")


def hugo_post(post: SourcePost) -> str:
    # JSON strings and arrays are valid YAML flow scalars, and far quicker to write than a dump.
    lines = [
        "---",
        f"title: {json.dumps(post.title, ensure_ascii=False)}",
        f"date: {post.date.isoformat()}",
        f"slug: {json.dumps(post.stem)}",
    ]
    if post.author:
        lines.append(f"author: {json.dumps(post.author, ensure_ascii=False)}")
    if post.tags:
        lines.append(f"tags: {json.dumps(list(post.tags), ensure_ascii=False)}")
    if not post.published:
        lines.append("draft: true")
    lines += ["---", post.body.replace("READMORE", "<!--more-->", 1)]
    return "\n".join(lines)


# Pelican ---------------------------------------------------------------------------------------

# Every *_SAVE_AS that is empty and no DIRECT_TEMPLATES: Pelican writes no HTML page at all.
PELICAN_CONFIG = f"""\
# Feeds only: the site's RSS and one RSS per tag, {FEED_LIMIT} items each; no HTML pages.
AUTHOR = "{SITE_TITLE}"
SITENAME = "{SITE_TITLE}"
SITEURL = "{SITE_URL.rstrip("/")}"
FEED_DOMAIN = SITEURL
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
WITH_FUTURE_DATES = False

FEED_MAX_ITEMS = {FEED_LIMIT}
FEED_RSS = "feeds/rss.xml"
TAG_FEED_RSS = "feeds/tag/{{slug}}.rss.xml"
FEED_ATOM = None
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
TAG_FEED_ATOM = None
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None

DIRECT_TEMPLATES = []
ARTICLE_SAVE_AS = ""
ARTICLE_LANG_SAVE_AS = ""
DRAFT_SAVE_AS = ""
DRAFT_LANG_SAVE_AS = ""
PAGE_SAVE_AS = ""
PAGE_LANG_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_LANG_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
TAG_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = ""
MONTH_ARCHIVE_SAVE_AS = ""
DAY_ARCHIVE_SAVE_AS = ""
STATIC_PATHS = []
THEME_STATIC_PATHS = []

# Cold builds, like the other tools'.
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""


def write_pelican(posts: list[SourcePost], site: Path) -> None:
    content = site / "content"
    content.mkdir(parents=True, exist_ok=True)
    (site / "pelicanconf.py").write_text(PELICAN_CONFIG, "utf-8")
    for post in posts:
        (content / f"{post.stem}.md").write_text(pelican_post(post), "utf-8")


def pelican_post(post: SourcePost) -> str:
    lines = [
        f"Title: {post.title}",
        f"Date: {post.date.isoformat(' ')}",
        f"Slug: {post.stem}",
        # Pelican 4.12 fails on a draft without an explicit category (generate_drafts).
        "Category: blog",
    ]
    if post.author:
        lines.append(f"Author: {post.author}")
    if post.tags:
        # Pelican splits on ";" when there is one, else on ",".
        lines.append(f"Tags: {', '.join(t.replace(',', ' ').replace(';', ' ') for t in post.tags)}")
    if not post.published:
        lines.append("Status: draft")
    # Pelican has no summary marker of its own (its summary is the first 50 words).
    body = post.body.replace("READMORE", "", 1)
    return "\n".join(lines) + "\n\n" + body.lstrip("\n")
