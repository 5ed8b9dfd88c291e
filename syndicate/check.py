"""`syndicate check`: everything that is wrong with the config and the posts, without writing.

Each finding names the file (and line, where known) and says what to do. Errors are what keeps
a post out of the feeds or the config from loading; warnings are what a reader would notice.
"""

from __future__ import annotations

import enum
import html
import os
import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import msgspec

from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.content import files, site_paths, urls
from syndicate.content.authors import AuthorRegistry
from syndicate.content.blog import open_blog
from syndicate.content.layouts import Layout
from syndicate.content.loader import LoadedPost
from syndicate.content.templating import reference_keys
from syndicate.errors import ConfigError, ContentError
from syndicate.feedkinds import KINDS, placeholders
from syndicate.feeds import plan as planning
from syndicate.feeds.budget import BRIEF_OVER, Fit, fit
from syndicate.model import Entry, FeedFormat
from syndicate.pipeline.workers import PostWork, RenderJob
from syndicate.publish.credentials import problems as credential_problems
from syndicate.store.identity import check_template

TEMPLATE_SYNTAX = ("{{", "{%", "&lt;%")
_CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.DOTALL)


_BRIEF_ESTIMATE = 2_000  # bytes of an entry's brief form (summary cut short, a link)


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Finding(msgspec.Struct, frozen=True):
    severity: Severity
    file: str
    message: str
    line: int | None = None

    def render(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.severity.value}: {self.message}"


class CheckReport(msgspec.Struct):
    posts: int = 0
    public: int = 0
    findings: list[Finding] = msgspec.field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    def add(self, severity: Severity, file: str, message: str, line: int | None = None) -> None:
        self.findings.append(Finding(severity, file, message, line))

    def to_json(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "public": self.public,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [
                {"severity": f.severity.value, "file": f.file, "line": f.line, "message": f.message}
                for f in self.findings
            ],
        }


def check(
    settings: Settings, clock: Clock, environ: Mapping[str, str] | None = None
) -> CheckReport:
    """Validate settings and every post; render them to catch what readers would see.
    `environ` is where `env:` credentials are looked up (the process's by default)."""
    report = CheckReport()
    config_file = str(settings.source_file or "syndicate.toml")
    _check_settings(settings, report, config_file)
    _check_credentials(settings, report, config_file, os.environ if environ is None else environ)
    if report.errors:
        return report
    try:
        blog = open_blog(settings.content_root, settings.content, settings.site.url)
    except ConfigError as error:
        report.add(Severity.ERROR, error.file or config_file, error.reason, error.line)
        return report
    layout, registry = blog.layout, blog.authors
    _check_layout(settings, layout, report, config_file)
    work = PostWork(
        blog.root, blog.loader, blog.renderer, settings.build.workers, settings.site.author
    )
    stamps = blog.scan()
    report.posts = len(stamps)
    loaded = _load_all(work, stamps, report)
    blog.renderer.set_references(lambda: _references(loaded, layout))
    _check_posts(loaded, registry, layout, report, site_author=settings.site.author)
    now = clock.now()
    public = [lp for lp in loaded if lp.post.is_public(now)]
    report.public = len(public)
    _check_social(settings, public, report)
    rendered = _check_rendering(settings, work, public, report)
    _check_links(settings, blog.root, layout, loaded, rendered, report)
    return report


def _references(loaded: list[LoadedPost], layout: Layout) -> dict[str, str]:
    found: dict[str, str] = {}
    for lp in loaded:
        for key in reference_keys(lp.post.source, layout.posts_dir):
            found.setdefault(key, lp.post.permalink)
    return found


def _check_settings(settings: Settings, report: CheckReport, config_file: str) -> None:
    if settings.content.permalink:
        try:
            urls.check_pattern(settings.content.permalink)
        except ValueError as exc:
            report.add(Severity.ERROR, config_file, f"content.permalink: {exc}")
    try:
        check_template(settings.identity.id_template)
    except ValueError as exc:
        report.add(Severity.ERROR, config_file, f"identity.id_template: {exc}")
    host = urls.host_of(settings.site.url)
    if urls.is_placeholder(settings.site.url):
        report.add(
            Severity.ERROR,
            config_file,
            f"site.url {settings.site.url} is a placeholder, not the blog's address: every link "
            "and id would point there; set site.url",
        )
    elif host in ("localhost", "127.0.0.1", "::1") or host.endswith(".local"):
        report.add(
            Severity.WARNING,
            config_file,
            f"site.url {settings.site.url} is a local address: "
            "subscribers cannot follow links to it",
        )
    paths: dict[str, str] = {}
    for described in KINDS:
        kind, singular = described.settings_key, described.kind.value
        kind_settings = settings.feeds.of(described.kind)
        if not kind_settings.enabled:
            continue
        for fmt in settings.feeds.formats:
            template = kind_settings.path_for(fmt)
            if not template:
                continue
            try:
                template.format_map(placeholders("x", "x", "x", "x"))
                (kind_settings.title or "").format_map(placeholders())
            except (KeyError, ValueError, IndexError) as exc:
                report.add(Severity.ERROR, config_file, f"feeds.{kind}: bad template field {exc}")
                continue
            if described.members is not None and "{slug}" not in template:
                report.add(
                    Severity.ERROR,
                    config_file,
                    f"feeds.{kind}.{fmt} = {template!r} must contain {{slug}}, "
                    f"or every {singular} writes the same file",
                )
            if template in paths:
                report.add(
                    Severity.ERROR,
                    config_file,
                    f"feeds.{kind}.{fmt} and {paths[template]} both write {template!r}",
                )
            paths[template] = f"feeds.{kind}.{fmt}"


def _check_credentials(
    settings: Settings, report: CheckReport, config_file: str, environ: Mapping[str, str]
) -> None:
    """A credential that cannot be read here, or cannot be sent, pauses its account at its
    first post: a warning (the daemon may run with another environment). Never a value."""
    for account in settings.accounts:
        if account.enabled:
            for problem in credential_problems(account, environ, settings.base_dir):
                report.add(Severity.WARNING, config_file, problem)


def _check_layout(
    settings: Settings, layout: Layout, report: CheckReport, config_file: str
) -> None:
    declared = layout.timezone
    if declared and declared != settings.content.timezone:
        report.add(
            Severity.WARNING,
            config_file,
            f"the blog's generator reads dates in {declared} but content.timezone is "
            f"{settings.content.timezone}: dates written without a zone come out hours off",
        )
    posts_dir = settings.content_root / layout.posts_dir
    if not posts_dir.is_dir():
        report.add(
            Severity.ERROR,
            config_file,
            f"no posts directory at {posts_dir}; set content.root or content.posts",
        )


def _load_all(
    work: PostWork, stamps: list[files.SourceStamp], report: CheckReport
) -> list[LoadedPost]:
    loaded: list[LoadedPost] = []
    for stamp, outcome in work.load_many(stamps, lambda: None):
        if isinstance(outcome, ContentError):
            report.add(Severity.ERROR, outcome.path, outcome.reason, outcome.line)
            continue
        loaded.append(outcome)
        for warning in outcome.warnings:
            report.add(Severity.WARNING, stamp.rel, warning)
    return loaded


def _check_posts(
    loaded: list[LoadedPost],
    registry: AuthorRegistry,
    layout: Layout,
    report: CheckReport,
    *,
    site_author: str | None,
) -> None:
    by_permalink: dict[str, list[str]] = defaultdict(list)
    spellings: dict[str, set[str]] = defaultdict(set)
    unknown: dict[str, list[str]] = defaultdict(list)
    for lp in loaded:
        post = lp.post
        by_permalink[post.permalink].append(post.source)
        for tag in post.tags:
            spellings[tag.slug].add(tag.name)
        for author in post.authors:
            if len(registry) and not registry.known(author.key):
                unknown[author.name].append(post.source)
        if not post.authors and not site_author:
            report.add(
                Severity.WARNING,
                post.source,
                "no author: the feeds will credit the site's title (set site.author)",
            )
    for name, sources in sorted(unknown.items()):
        report.add(
            Severity.WARNING,
            sources[0],
            f"author {name!r} (in {len(sources)} post{'s' if len(sources) > 1 else ''}) is not "
            f"in {layout.authors_file}, so has no social handles",
        )
    for permalink, sources in by_permalink.items():
        if len(sources) > 1:
            for source in sources:
                others = ", ".join(s for s in sources if s != source)
                report.add(Severity.ERROR, source, f"same permalink {permalink} as {others}")
    for slug, names in spellings.items():
        distinct = {n.casefold() for n in names}
        if len(distinct) > 1:
            report.add(
                Severity.WARNING,
                "(tags)",
                f"tags {sorted(names)} share the slug {slug!r} and so one feed; "
                "add content.tag_aliases if they are different tags",
            )


def _check_social(settings: Settings, public: list[LoadedPost], report: CheckReport) -> None:
    """What the accounts will make of each post: an image without alt text, and a
    `syndicate:` text for a network or account the config does not have."""
    accounts = [a for a in settings.accounts if a.enabled]
    with_images = [a.name for a in accounts if a.images]
    names = {a.name for a in accounts} | {a.network for a in accounts}
    for lp in public:
        post = lp.post
        if post.image and not post.image_alt and with_images:
            refusing = [a.name for a in accounts if a.images and a.require_alt_text]
            then = f"; {', '.join(refusing)} will refuse the post" if refusing else ""
            report.add(
                Severity.WARNING,
                post.source,
                f"image {post.image} has no alt text (add image_alt:, or alt text to the "
                f"Markdown image){then}",
            )
        for key, _text in post.overrides.texts:
            if key not in names:
                report.add(
                    Severity.WARNING,
                    post.source,
                    f"syndicate: {key}: names no enabled account or network; its text is unused",
                )


def _check_rendering(
    settings: Settings, work: PostWork, public: list[LoadedPost], report: CheckReport
) -> dict[str, str]:
    """Render every public post: unresolvable links, leftover template syntax, feed sizes.
    Returns each post's content HTML by its source."""
    entries = [Entry(lp.post.source, lp.post, lp.post.date) for lp in public]  # ids: unique here
    by_id = {e.id: lp for e, lp in zip(entries, public, strict=True)}
    variant = (FeedFormat.ATOM, settings.feeds.content == "full")
    jobs = [
        RenderJob(e, (variant,), source=e.post.source, body_format=by_id[e.id].body_format)
        for e in entries
    ]
    sizes: dict[str, int] = {}
    contents: dict[str, str] = {}
    for result in work.render_many(jobs):
        source = by_id[result.entry_id].post.source
        if result.error is not None:
            report.add(Severity.ERROR, result.error.path, result.error.reason, result.error.line)
            continue
        sizes[result.entry_id] = sum(len(p) for p in result.pieces.values())
        if result.rendered is None:
            continue
        contents[source] = result.rendered.content_html
        for warning in result.rendered.warnings:
            report.add(Severity.WARNING, source, warning)
        text = _CODE.sub("", result.rendered.content_html)
        leftover = next((s for s in TEMPLATE_SYNTAX if s in text), None)
        if leftover:
            report.add(
                Severity.WARNING,
                source,
                f"template syntax {leftover!r} appears in the text; feeds show it as written",
            )
    _check_sizes(settings, entries, sizes, report)
    return contents


_LINK = re.compile(r'\b(?:href|src)="([^"]*)"')
_FEED_SUFFIXES = (".xml", ".rss", ".atom", ".json")


def _check_links(
    settings: Settings,
    root: Path,
    layout: Layout,
    loaded: list[LoadedPost],
    contents: dict[str, str],
    report: CheckReport,
) -> None:
    """Warn on each link into the blog's own site that leads to no post, page or file."""
    site = urlsplit(settings.site.url)
    base = site.path.rstrip("/")
    known = {urlsplit(lp.post.permalink).path for lp in loaded}
    if layout.bundles:
        known |= _bundle_resources(root, loaded)
    published = site_paths.published_paths(root, layout.name, layout.posts_dir)
    known |= {base + path for path in published}
    roots = tuple(base + r for r in site_paths.listing_roots(root, layout.name))
    for source, content in contents.items():
        seen: set[str] = set()
        for raw in _LINK.findall(content):
            url = html.unescape(raw)
            parts = urlsplit(url)
            if parts.netloc.lower() != site.netloc.lower() or url in seen:
                continue
            seen.add(url)
            path = unquote(parts.path) or "/"
            if not path.startswith(base + "/") and path != base:
                continue
            if path.lower().endswith(_FEED_SUFFIXES) or path.startswith(roots):
                continue
            if not any(p in known or quote(p) in known for p in _spellings(path)):
                report.add(
                    Severity.WARNING,
                    source,
                    f"the link {url} leads nowhere: no post, page or file of the blog is "
                    "published there",
                )


def _bundle_resources(root: Path, loaded: list[LoadedPost]) -> set[str]:
    """A page bundle's files are published beside the page, under its permalink."""
    found: set[str] = set()
    for lp in loaded:
        folder, _, name = lp.post.source.rpartition("/")
        if not name.startswith("index.") or not folder:
            continue
        page = urlsplit(lp.post.permalink).path.rstrip("/")
        for resource in (root / folder).rglob("*"):
            if resource.is_file() and not resource.name.startswith("index."):
                found.add(f"{page}/{resource.relative_to(root / folder).as_posix()}")
    return found


def _spellings(path: str) -> tuple[str, ...]:
    """The ways a web server finds one page: with or without `/`, `index.html`, `.html`."""
    bare = path.removesuffix("index.html").removesuffix(".html").rstrip("/")
    return (path, bare, bare + "/", bare + ".html", bare + "/index.html")


def _check_sizes(
    settings: Settings, entries: list[Entry], sizes: dict[str, int], report: CheckReport
) -> None:
    ordered = planning.newest_first(entries)
    for feed in planning.plan(ordered, settings.feeds, settings.site):
        total = sum(sizes.get(e.id, 0) for e in feed.entries)
        if total <= feed.spec.max_bytes or not feed.spec.outputs:
            continue
        name = feed.spec.outputs[0].path
        budget = feed.spec.max_bytes
        own = [sizes.get(e.id, 0) for e in feed.entries]
        chosen = fit([(n, _BRIEF_ESTIMATE if n > BRIEF_OVER else None) for n in own], budget)
        for entry, size, how in zip(feed.entries, own, chosen, strict=False):
            if how is Fit.BRIEF:
                report.add(
                    Severity.WARNING,
                    entry.post.source,
                    f"this post ({size:,} bytes) does not fit in {name}'s max_bytes "
                    f"({budget:,}); the feed lists it with its summary and a link in place of "
                    "its full text",
                )
        if len(chosen) < len(feed.entries):
            report.add(
                Severity.WARNING,
                name,
                f"its {len(feed.entries)} newest entries take {total:,} bytes, over max_bytes "
                f"({budget:,}); the {len(feed.entries) - len(chosen)} oldest are left out",
            )
