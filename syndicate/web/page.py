"""The index page at `/`: every feed with its formats, site feed first, then tags, then authors.

Small, valid HTML5 with an inline style sheet and no script; every value from the settings or
the posts (a title may contain `<` or `&`) goes through `html.escape`. The site feeds are also
announced in `<head>` with `<link rel="alternate">`, so a reader given the page finds them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import quote, urlsplit

from syndicate.config import Settings
from syndicate.feedkinds import KINDS, FeedKind
from syndicate.feeds.opml import MEDIA_TYPE as OPML_TYPE
from syndicate.feeds.opml import Outline, opml_document
from syndicate.model import FeedFormat
from syndicate.web.catalog import FeedFile

OPML_PATH = "feeds.opml"  # relative, like the feeds' links: served beside the index page
FORMAT_NAMES = {FeedFormat.ATOM: "Atom", FeedFormat.RSS: "RSS", FeedFormat.JSON: "JSON Feed"}
_FORMAT_ORDER = list(FeedFormat)
_SECTIONS = tuple((kind.kind, kind.label) for kind in KINDS)

# Narrow screens stack every row (name, then formats): left to flex-wrap, short names kept
# their formats beside them and long ones did not, which looked ragged on a phone.
STYLE = """
:root{color-scheme:light dark;--fg:#1d1d1f;--muted:#6e6e73;--line:#d2d2d7;--accent:#0b57d0;
--chip:#eef3fd}
@media (prefers-color-scheme:dark){:root{--fg:#f5f5f7;--muted:#a1a1a6;--line:#3a3a3c;
--accent:#8ab4f8;--chip:#1f2a3d}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:44rem;padding:2rem 1.25rem 3rem;color:var(--fg);
font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{margin-bottom:1.5rem}
h1{font-size:1.6rem;line-height:1.2;margin:0 0 .25rem}
header p{margin:.25rem 0;color:var(--muted)}
h2{font-size:.8rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);
margin:2rem 0 .5rem}
a{color:var(--accent)}
ul{list-style:none;margin:0;padding:0;border-top:1px solid var(--line)}
li{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;
gap:.25rem 1rem;padding:.6rem 0;border-bottom:1px solid var(--line)}
.name{flex:1 1 12rem;font-weight:600;overflow-wrap:anywhere}
.formats{display:flex;flex-wrap:wrap;gap:.4rem}
.formats a{font-size:.85rem;text-decoration:none;padding:.1rem .55rem;border-radius:1rem;
background:var(--chip)}
.formats a:hover,.formats a:focus{text-decoration:underline}
@media (max-width:32rem){li{display:block}.formats{margin-top:.35rem}}
@media (pointer:coarse){.formats a{padding:.3rem .75rem}}
footer{margin-top:2rem;font-size:.85rem;color:var(--muted)}
""".strip()

# For the Content-Security-Policy: the one inline style sheet is allowed by its hash.
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def render_index(settings: Settings, files: Sequence[FeedFile]) -> str:
    site = settings.site
    groups = _grouped(files)
    sections = [_section(heading, groups[kind]) for kind, heading in _SECTIONS if groups.get(kind)]
    body = "\n".join(sections) or "<p>No feeds have been built yet.</p>"
    lang = escape(site.language or "en")
    description = f"\n<p>{escape(site.description)}</p>" if site.description else ""
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(site.title)}: feeds</title>
{_discovery(groups.get(FeedKind.SITE, []))}{_opml_link(site.title)}<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{escape(site.title)}</h1>{description}
<p><a href="{escape(site.url)}">{escape(_host(site.url))}</a></p>
</header>
<main>
{body}
</main>
<footer>Copy a feed's link into your feed reader to subscribe, or give it
<a href="{OPML_PATH}" type="{OPML_TYPE}">the list of every feed (OPML)</a>.</footer>
</body>
</html>
"""


def render_opml(settings: Settings, files: Sequence[FeedFile]) -> bytes:
    """/feeds.opml: every feed of the site (one format each: Atom, else RSS, else JSON Feed),
    under its kind's label, in the index page's order."""
    groups = _grouped(files)
    outlines = [
        Outline(_label(feed), feed[0].url, title=feed[0].title, section=heading)
        for kind, heading in _SECTIONS
        for feed in groups.get(kind, [])
    ]
    return opml_document(f"{settings.site.title}: feeds", outlines)


Feed = list[FeedFile]  # the files of one feed, in format order


def _grouped(files: Iterable[FeedFile]) -> dict[FeedKind, list[Feed]]:
    """Feeds by kind, each feed's files together, feeds sorted by name (case ignored)."""
    feeds: dict[tuple[FeedKind, str], Feed] = {}
    for file in files:
        if not file.archive:  # reached from its feed (prev-archive), not listed
            feeds.setdefault((file.kind, file.key), []).append(file)
    groups: dict[FeedKind, list[Feed]] = {}
    for (kind, _), members in feeds.items():
        members.sort(key=lambda f: _FORMAT_ORDER.index(f.format))
        groups.setdefault(kind, []).append(members)
    for members_of_kind in groups.values():
        members_of_kind.sort(key=lambda feed: (_label(feed).casefold(), feed[0].key))
    return groups


def _label(feed: Feed) -> str:
    first = feed[0]
    return first.title if first.kind is FeedKind.SITE else (first.name or first.key)


def _opml_link(title: str) -> str:
    every = escape(f"{title}: every feed (OPML)")
    return f'<link rel="alternate" type="{OPML_TYPE}" title="{every}" href="{OPML_PATH}">\n'


def _discovery(site_feeds: list[Feed]) -> str:
    tags = [
        f'<link rel="alternate" type="{f.format.media_type}" '
        f'title="{escape(f"{f.title} ({FORMAT_NAMES[f.format]})")}" href="{_href(f)}">\n'
        for feed in site_feeds
        for f in feed
    ]
    return "".join(tags)


def _section(heading: str, feeds: list[Feed]) -> str:
    items = "\n".join(_item(feed) for feed in feeds)
    return f"<section>\n<h2>{escape(heading)}</h2>\n<ul>\n{items}\n</ul>\n</section>"


def _item(feed: Feed) -> str:
    links = " ".join(
        f'<a href="{_href(f)}" type="{f.format.media_type}">{FORMAT_NAMES[f.format]}</a>'
        for f in feed
    )
    title = escape(feed[0].title)
    return (
        f'<li><span class="name" title="{title}">{escape(_label(feed))}</span>'
        f'<span class="formats">{links}</span></li>'
    )


def _href(file: FeedFile) -> str:
    """Where this server serves the file, relative to the page: the link works wherever the
    page is reached (127.0.0.1, the site's domain behind a proxy, a sub-path), while the
    public address (the feed's rel="self") may not be served yet."""
    return escape(quote(file.path))


def _host(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/")
