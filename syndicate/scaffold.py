"""`syndicate init`: a commented config file for an existing blog.

It detects the layout and reads what the blog declares about itself; everything else gets the
defaults, written out with a comment saying what each setting does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgspec

from syndicate import registry
from syndicate.content.layouts import LAYOUTS, Layout, detect, hugo_config, resolve
from syndicate.content.published import published_by
from syndicate.content.siteinfo import read_site_info
from syndicate.errors import ConfigError
from syndicate.feedkinds import KINDS

# Where `init` puts the config, state and feeds of a Jekyll or Hugo blog when run inside it:
# a dot folder, which neither generator publishes.
STATE_DIR = ".syndicate"


class Scaffold(msgspec.Struct, frozen=True):
    layout: str
    title: str
    url: str
    description: str
    language: str | None
    id_template: str
    id_note: str
    feed_paths: dict[str, dict[str, str]]  # kind → format → path template
    text: str
    output: str = "../public"  # feeds.output, relative to the config file
    notes: tuple[str, ...] = ()  # what the newcomer must know (no address found...)


def default_config(blog: Path, wanted: Path) -> Path:
    """Where `init` writes the config: `wanted`, unless that puts the config or the feeds
    beside it where the blog's generator would publish them; then the blog's `.syndicate/`."""
    layout = detect(blog) if blog.is_dir() else None
    if layout not in ("jekyll", "hugo"):
        return wanted
    for path in (wanted.parent, wanted.parent.parent / "public"):
        if published_by(blog, layout, path) or path.resolve() == blog.resolve():
            return blog / STATE_DIR / "syndicate.toml"
    return wanted


def scaffold(
    blog: Path,
    config_dir: Path,
    *,
    url: str | None = None,
    title: str | None = None,
    name: str | None = None,
) -> Scaffold:
    """The config text for `blog`, as written into a file in `config_dir`. With `name`, the
    file joins a folder of blogs: its state files and feeds are named after it, apart from
    the other blogs'.

    Raises ConfigError when something it would write (the config, the ledger, the admin
    token, the feeds) is where the blog's generator publishes."""
    if not blog.is_dir():
        raise ConfigError(f"{blog} is not a directory")
    layout = detect(blog)
    if layout is None:
        raise ConfigError(
            f"{blog} does not look like a Middleman, Jekyll or Hugo blog (no source/blog, _posts "
            "or content directory); write the config by hand, see the README"
        )
    info = read_site_info(blog, layout)
    site_url = url or info.url or ""
    notes = [] if site_url else [_NO_URL[layout] if layout in _NO_URL else _NO_URL["middleman"]]
    site_title = title or info.title or blog.resolve().name
    id_template, id_note = _id_scheme(layout, info.secure)
    paths = _feed_paths(layout)
    relative = Path(os.path.relpath(blog.resolve(), config_dir.resolve()))
    climbs = sum(1 for part in relative.parts if part == "..")
    root = (relative if climbs <= 2 else blog.resolve()).as_posix()
    resolved = resolve(blog, layout)
    output = "feeds" if config_dir.name == STATE_DIR else "../public"
    if name is not None:
        output = f"../public/{name}"
    state = f"{name}-" if name is not None else ""
    _refuse_published(blog, layout, config_dir, output)
    fields = _fields(blog, resolved)
    text = TEMPLATE.format(
        title=_q(site_title),
        url=_q(site_url),
        url_base=site_url or "https://blog.example.org/",
        description=_q(info.description or ""),
        language=f"language = {_q(info.language)}" if info.language else '# language = "en"',
        author=f"author = {_q(info.author)}" if info.author else f"# author = {_q(site_title)}",
        root=_q(root),
        layout=_q(layout),
        posts=_q(resolved.posts_dir),
        permalink=_permalink_line(layout, resolved),
        image_base=_image_base(resolved.image_base),
        timezone=_q(resolved.timezone or "UTC"),
        tag_fields=_list(fields["tags"]),
        category_fields=_list(fields["categories"]),
        taxonomies=_list(fields["taxonomies"]),
        output=_q(output),
        ledger=_q(f"sqlite:///{name or 'syndicate'}.db"),
        cache=_q(f"{state or 'syndicate-'}cache.sqlite"),
        token_file=_q(f"{state}admin.token"),
        id_template=_q(id_template),
        id_note=id_note,
        feed_tables=_feed_tables(paths),
        networks=_one_of(registry.names()),
    )
    return Scaffold(
        layout,
        site_title,
        site_url,
        info.description or "",
        info.language,
        id_template,
        id_note,
        paths,
        text,
        output,
        tuple(notes),
    )


_NO_URL = {
    "jekyll": "no address found (no url: in _config.yml, no CNAME file): set site.url, "
    "or pass --url; nothing builds until then",
    "hugo": "no address found (no baseURL in the Hugo config): set site.url, or pass --url; "
    "nothing builds until then",
    "middleman": "no address found (no domain in data/site.yml): set site.url, or pass "
    "--url; nothing builds until then",
}


def _refuse_published(blog: Path, layout: str, config_dir: Path, output: str) -> None:
    """Nothing `init` sets up may land where the generator publishes: not the ledger, not the
    admin token, not the feeds (the generator would overwrite them, or publish them)."""
    for what, path in (
        ("the config, the ledger and the admin token", config_dir),
        ("the feeds", config_dir / output),
    ):
        reason = published_by(blog, layout, path)
        if reason:
            raise ConfigError(
                f"{what} would go in {path}, which the blog's generator publishes: {reason}; "
                f"write the config elsewhere with --output (e.g. {blog / STATE_DIR}/syndicate.toml)"
            )


def _fields(blog: Path, layout: Layout) -> dict[str, list[str]]:
    """Frontmatter fields holding tags, categories and other taxonomies, as the blog has them."""
    if layout.name != "hugo":
        return {"tags": ["tags"], "categories": ["categories", "category"], "taxonomies": []}
    try:
        declared = hugo_config(blog).get("taxonomies")
    except (OSError, ValueError):
        declared = None
    # Hugo's defaults: tags and categories; a `taxonomies` table replaces them.
    plurals = (
        [str(v) for v in declared.values()]
        if isinstance(declared, dict)
        else ["tags", "categories"]
    )
    others = [p for p in plurals if p not in ("tags", "categories", "authors")]
    return {
        "tags": ["tags"] if "tags" in plurals else [],
        "categories": ["categories"] if "categories" in plurals else [],
        "taxonomies": others,
    }


def _list(values: list[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _permalink_line(layout: str, resolved: Layout) -> str:
    if layout == "middleman":
        return f"permalink = {_q(resolved.permalink)}"
    where = "_config.yml" if layout == "jekyll" else "the Hugo config"
    shown = resolved.permalink or "its folders under content/, then its slug or file name"
    return (
        f"# Read from {where} at every build, in its own syntax: {shown}\n"
        f"# permalink = {_q(resolved.permalink or '/:sections/:slugorfilename/')}"
    )


def _q(value: str) -> str:
    """A TOML basic string."""
    return json.dumps(value, ensure_ascii=False)


def _image_base(value: str | None) -> str:
    if value:
        return f"image_base = {_q(value)}"
    return '# image_base = "images/"'


def _id_scheme(layout: str, secure: bool | None) -> tuple[str, str]:
    if layout == "middleman":
        scheme = "https" if secure else "http"
        why = "declares ssl: true" if secure else "does not declare ssl: true"
        return (
            f"{scheme}://{{host}}/{{path}}",
            "# Middleman's feed template used each post's permalink as its id; this keeps those\n"
            f"# ids ({scheme}://, since data/site.yml {why}) so subscribers see no old post\n"
            "# again. For a blog without an old feed, the default tag: URIs are better.",
        )
    if layout == "hugo":
        return (
            "{permalink}",
            "# Hugo's RSS template uses each page's permalink as its guid; this keeps those.",
        )
    return (
        "{dir}/{slug}",
        "# jekyll-feed gives each entry the post's Jekyll id (its URL's folder, then its slug)\n"
        "# as its id; this keeps those, so subscribers moving from jekyll-feed see no old post\n"
        '# again. For a blog without an old feed, "tag:{host},{date}:/{path}" is better.',
    )


def _one_of(names: tuple[str, ...]) -> str:
    """`a, b or c`."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)


def _feed_tables(paths: dict[str, dict[str, str]]) -> str:
    """A `[feeds.<key>]` table for each kind of feed, at the paths chosen for it."""
    tables = []
    for kind in KINDS:
        chosen = paths[kind.settings_key]
        lines = [f"[feeds.{kind.settings_key}]", "enabled = true", f"title = {_q(kind.title)}"]
        lines += [f"{fmt} = {_q(chosen[fmt])}" for fmt in ("atom", "rss", "json")]
        tables.append("\n".join(lines) + "\n")
    return "\n".join(tables)


def _feed_paths(layout: str) -> dict[str, dict[str, str]]:
    """Where each kind of feed goes: where the generator's own feeds were, so a reverse proxy
    can hand subscribers ours at the addresses they already have (a kind the generator has no
    feed for: its own default)."""
    return {kind.settings_key: kind.defaults() for kind in KINDS} | _generator_paths(layout)


def _generator_paths(layout: str) -> dict[str, dict[str, str]]:
    if layout == "hugo":  # Hugo's RSS is <list page>/index.xml
        dirs = {
            "site": "",
            "tags": "tags/{slug}/",
            "categories": "categories/{slug}/",
            "taxonomies": "{taxonomy}/{slug}/",
            "authors": "authors/{slug}/",
        }
        names = {"atom": "atom.xml", "rss": "index.xml", "json": "feed.json"}
        return {kind: {fmt: d + n for fmt, n in names.items()} for kind, d in dirs.items()}
    # jekyll-feed's: feed.xml, feed/<category>.xml, feed/by_tag/<tag>.xml; Middleman's blog/.
    prefix = "blog/" if layout == "middleman" else ""
    stems = {
        "site": f"{prefix}feed",
        "tags": f"{prefix}tag/{{slug}}" if layout == "middleman" else "feed/by_tag/{slug}",
        "categories": f"{prefix}category/{{slug}}" if layout == "middleman" else "feed/{slug}",
        "taxonomies": f"{prefix}{{taxonomy}}/{{slug}}",
        "authors": f"{prefix}author/{{slug}}" if layout == "middleman" else "feed/by_author/{slug}",
    }
    exts = {"atom": "xml", "rss": "rss", "json": "json"}
    return {
        kind: {fmt: f"{stem}.{ext}" for fmt, ext in exts.items()} for kind, stem in stems.items()
    }


assert set(LAYOUTS) == {"middleman", "jekyll", "hugo"}

TEMPLATE = """\
# syndicate configuration. Relative paths are relative to this file. Every setting but
# site.url is optional: the values shown are the defaults, or what `syndicate init` found
# in the blog. The README's "Configuration" section describes each one.

[site]
title = {title}
# Required: the blog's public address. Every link in the feeds starts here.
url = {url}
description = {description}
{language}
# Credited by the feeds when a post names no author.
{author}
# icon = "{url_base}favicon.png"
# logo = "{url_base}logo.png"

[content]
# The blog's directory, its generator ("auto", "middleman", "jekyll" or "hugo"), and where
# its posts are under it.
root = {root}
layout = {layout}
posts = {posts}
# The authors registry (name and handles per author) is found where the generator keeps it.
# authors = "data/authors.yml"
# A post's path: a pattern with fields year month day hour minute second slug title
# categories section filename, or in the generator's own :placeholder syntax.
{permalink}
# Where relative Markdown image paths point (Middleman's images directory).
{image_base}
# The time zone of dates written without one (Jekyll's `timezone`, Hugo's `timeZone`).
timezone = {timezone}
# A post's summary is what comes before the first marker; without one, its first paragraph.
summary_markers = ["READMORE", "<!--more-->"]
# Frontmatter fields whose values are tags, categories, and terms of the blog's other
# taxonomies (Hugo's `series`); each tag, category and term gets feeds of its own.
tag_fields = {tag_fields}
category_fields = {category_fields}
taxonomies = {taxonomies}

[content.tag_aliases]
# Another spelling = the tag it means. Tags already ignore case ("RDO" is "rdo").
# "open stack" = "OpenStack"

[identity]
{id_note}
# Fields: host date year path permalink slug.
id_template = {id_template}
# How much of a post an edit must change to count as an update: this share of its words,
# but never fewer than 3 words (a typo fix) and never more than 20 (an added paragraph).
significant_change = 0.02

[feeds]
# Where feed files are written (never where the blog's generator publishes: it would
# overwrite them). Serve them with `syndicate run`, or copy them to the web server.
output = {output}
formats = ["atom", "rss", "json"]
# Entries per feed, and a size no feed grows past (the oldest entries are left out).
limit = 20
max_bytes = 1000000
# "full" content in each entry, or only the "summary".
content = "full"
# WebSub hubs announced in every feed, e.g. ["https://pubsubhubbub.appspot.com/"].
hubs = []
# RFC 5005 archives: every older post stays reachable from its feed, in one archive file per
# "year" or "month" beside it (feed-archive-2024.xml); "" for none.
archives = ""

# One feed for the whole site, one per tag, category, term and author. Each kind can be
# switched off, and can set its own title, limit, max_bytes and content. Paths are under
# feeds.output; "" leaves a format out. `page` is the HTML page a feed mirrors, relative
# to site.url.
{feed_tables}
[build]
# Processes that read and render posts; 0 means one per core.
workers = 0
# Flush each feed file to disk before it replaces the old one (slower; survives power cuts).
fsync = false

[watch]
# `syndicate run` follows the posts by file events; poll instead on network file systems.
poll = false
poll_interval = 1.0
# Seconds to gather a burst of saves into one build.
debounce = 0.05
# Seconds between full scans, a safety net for missed events; 0 never rescans.
rescan = 600
# Remote sources: polls in flight to one host at once, however many feeds it serves.
per_host = 1

[server]
# Where `syndicate run` and `serve` listen: keep 127.0.0.1 behind a reverse proxy.
host = "127.0.0.1"
port = 8080
# What one client can make them hold (the README's "Security").
# The HTTP parser: "auto" (httptools when installed, else h11), "h11" or "httptools".
http = "auto"
# Open connections; past this many, the one idle longest is closed.
max_connections = 1000
# Seconds a client has to send a request's head (and as long again for its body), and an
# idle connection is kept between requests.
request_timeout = 10
keep_alive = 5
# A request's head, in bytes and in header lines (431 past them), and the body of the
# dashboard's and API's POSTs, in bytes (413; no other request takes a body).
max_header_bytes = 16384
max_headers = 100
max_body = 65536

[admin]
# The dashboard (/admin/) and JSON API (/api/): on once `syndicate token` makes the token
# file ($SYNDICATE_ADMIN_TOKEN wins over it); false turns both off.
enabled = true
token_file = {token_file}
# Hours a login lasts.
session_hours = 168
# Wrong admin tokens (Bearer or login form) allowed in a burst and then per minute, from one
# client and from all together; past them a client waits (429) before it may try again.
failures_per_client = 10
failures_overall = 60

[store]
# The ledger (ids and history, never to be lost): any SQLAlchemy URL.
url = {ledger}
# Rendered posts, rebuilt when missing: safe to delete.
cache = {cache}
# PostgreSQL only: the schema that holds this blog's tables, so that several blogs share
# one database ("" for the server's default, public). See the README, "Several blogs".
schema = ""

[cluster]
# Several `syndicate run` replicas sharing one PostgreSQL ledger ([store] url): one at a
# time owns the blog's files and builds; every one serves the same feeds. See the README,
# "Running several nodes".
enabled = false
# This replica's name, unique in the cluster ("" for its host name and process id).
node = ""
# The blog's name in the ledger ("" for the site URL's host and path).
blog = ""
# Seconds a lease lasts: how long the others wait before taking over from a dead owner.
lease_seconds = 15.0

[mirror]
# Copy every served feed file (and feeds.opml) to an S3-compatible bucket after each build,
# for a CDN; needs the `s3` extra (boto3). See the README, "Mirroring to S3 for a CDN".
enabled = false
# The bucket, and where the files go in it ("feeds/" puts feed.xml at feeds/feed.xml).
s3_bucket = ""
prefix = ""
# An S3-compatible service's address ("" for AWS), and the bucket's region ("" for the AWS
# chain's own).
endpoint_url = ""
region = ""
# env:NAME or file:PATH, never the keys themselves; "" for the standard AWS credential chain
# (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws, the instance's role).
access_key_id = ""
secret_access_key = ""
# The objects' Cache-Control: a CDN revalidates each time, as the daemon asks of caches.
cache_control = "public, no-cache"

[publish]
# Compose and plan every post for every account, but send nothing. Look with
# `syndicate preview` and `syndicate outbox`, then set this to false.
dry_run = true
# Seconds a claimed delivery stays claimed (a crashed sender's is taken up after it).
lease = 300
# Transient failures before a delivery is marked failed, and seconds before the first retry
# (doubling each time, with jitter; capped).
max_attempts = 12
retry_base = 60

[log]
# "auto" (readable on a terminal, else JSON lines), "human" or "json"; and the level.
format = "auto"
level = "info"

# Each [[accounts]] table posts new posts to one account, on one of these networks:
# {networks}.
# Credentials are never written here: each is env:NAME (an environment variable) or
# file:PATH (a file holding it). For example:
#
# [[accounts]]
# name = "mastodon"
# network = "mastodon"              # one of the networks above
# server = "https://fosstodon.org"  # Mastodon's instance; Bluesky's PDS; Matrix's homeserver
# credentials = {{ token = "env:MASTODON_TOKEN" }}
# include_tags = ["rdo", "openstack"]  # only posts with one of these tags (none: every post)
# hashtags = ["RDOCommunity"]       # added to every post
# thread = true                     # too long for one post: a thread, not a shortened text
# require_alt_text = true           # refuse a post whose image has no alt text
# link_query = "utm_source={{network}}&utm_medium=social"
#
# [accounts.reshare]                # re-share good older posts, one a day at most
# enabled = true
# min_age_days = 60
# tags = ["howto"]
#
# [accounts.timing]
# delay = 300                       # seconds after publication, so a quick fix lands first
# windows = ["mon-fri 09:00-18:00"] # when posts may go out, in `timezone`
# timezone = "Europe/Paris"
# min_gap = 1800                    # seconds between two posts of the account
# daily_cap = 4
"""
