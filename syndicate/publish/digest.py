"""A "blog round-up": one draft post that lists what was published in a period, in the style
the RDO community wrote its weekly round-ups by hand:

    **Title** by Author

    > The post's first paragraph.

    Read more at [https://example.org/post](https://example.org/post)

Which posts: those public now whose publication fell in the period. A post announced by a
build (a `published` event, not a backfill) counts from the moment syndicate first saw it
public, so a post merged late is not missed; a post that was never announced (the blog's first
build, a remote source's first poll) counts from its own date, so installing syndicate does not
put the whole archive in next week's round-up. Entries of remote sources (`sources/...`) are in
by default: a planet round-up is what the RDO blog published. Earlier round-ups (posts carrying
the round-up's tags) are left out.

The draft is written into the blog's posts directory, named as the blog's layout names posts,
with `published: false` (Middleman, Jekyll) or `draft: true` (Hugo): a person reviews it and
publishes it. An existing file is never overwritten.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import yaml

from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.content.blog import open_blog
from syndicate.content.files import body_format
from syndicate.content.layouts import Layout
from syndicate.content.siteinfo import read_site_info
from syndicate.content.tags import slugify
from syndicate.content.text import collapse_space, html_to_text
from syndicate.errors import DraftExistsError
from syndicate.pipeline.remote_entries import is_remote
from syndicate.store.cache import RenderCache
from syndicate.store.ledger import Event, Ledger, Record

DEFAULT_TAGS = ("roundup",)
SUMMARY_CHARS = 600  # the RDO round-ups quoted a paragraph; longer ones are cut at a sentence
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DASH = "\u2013"  # an en dash, between the days of a period
_SUFFIXES = {"middleman": ".html.md", "jekyll": ".md", "hugo": ".md"}


class PeriodPost(msgspec.Struct, frozen=True):
    """A post published in the period, and the moment that put it there."""

    record: Record
    moment: datetime


class Digest(msgspec.Struct, frozen=True):
    path: str  # relative to the blog's root, forward slashes
    text: str  # the whole file: frontmatter and Markdown
    count: int  # posts listed


# -- which posts -----------------------------------------------------------------------------


def announced(events: Iterable[Event]) -> set[int]:
    """Posts a build announced as newly published (backfills are old posts, not news)."""
    return {e.post_pk for e in events if e.kind == "published" and not e.backfill}


def published_in(
    records: Iterable[Record],
    announced_pks: Set[int],
    since: datetime,
    until: datetime,
    *,
    remote: bool = True,
    skip_tags: Iterable[str] = DEFAULT_TAGS,
) -> list[PeriodPost]:
    """Public posts whose publication moment is in [since, until], oldest first: both ends
    are in, so `--since 2024-05-26` takes a post dated that day and `until` = now takes one
    published this instant."""
    skip = {slugify(tag) for tag in skip_tags}
    found: list[PeriodPost] = []
    for record in records:
        if not record.public or record.source is None:
            continue
        if is_remote(record.source) and not remote:
            continue
        if skip & {tag.slug for tag in record.post.tags}:
            continue
        moment = _moment(record, announced_pks)
        if since <= moment <= until:
            found.append(PeriodPost(record, moment))
    return sorted(found, key=lambda p: (p.moment, p.record.pk))


def _moment(record: Record, announced_pks: Set[int]) -> datetime:
    if record.pk in announced_pks and record.published_at is not None:
        return record.published_at
    return record.post.date


# -- summaries ------------------------------------------------------------------------------

# Where a block of the summary ends; the first one with text is what the round-up quotes.
_BLOCK_END = re.compile(r"</(p|ol|ul|dl|blockquote|pre|table|figure|h[1-6])\s*>", re.IGNORECASE)
_SENTENCE_END = re.compile("[.!?\u2026][\"'\u201d\u2019)]?\\s")


def lead_paragraphs(cache: RenderCache, pks: Sequence[int]) -> dict[int, str]:
    """Each post's first summary paragraph as plain text, from the render cache."""
    found = cache.get_many(list(pks))
    return {pk: first_paragraph(c.rendered.summary_html) for pk, c in found.items()}


def first_paragraph(html: str) -> str:
    """The text of the first block of `html` (a paragraph, a list...), headings skipped."""
    start = 0
    for match in _BLOCK_END.finditer(html):
        text = html_to_text(html[start : match.start()])
        start = match.end()
        if text and not match.group(1).lower().startswith("h"):
            return text
    return html_to_text(html[start:]) or html_to_text(html)


def trim(text: str, limit: int = SUMMARY_CHARS) -> str:
    """`text` cut to `limit` characters: at a sentence end when one is past half-way, else
    at a word, with an ellipsis."""
    text = collapse_space(text)
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] > limit // 2:
        return head[: ends[-1]].rstrip()
    cut = head.rfind(" ")
    return head[: cut if cut > limit // 2 else limit].rstrip(" ,;:-\u2013\u2014") + "\u2026"


# -- Markdown -------------------------------------------------------------------------------

# Characters both kramdown (Middleman, Jekyll) and CommonMark (Hugo) let a backslash escape.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|{}#])")
_ENTITY = re.compile(r"&(?=#?\w+;)")  # only an `&` that would start an entity needs escaping
_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def escape_markdown(text: str) -> str:
    """Plain text that reads as itself in Markdown: no emphasis, links, HTML or lists."""
    text = _SPECIAL.sub(r"\\\1", _ENTITY.sub("&amp;", text))
    text = text.replace("~", "&#126;")  # GFM strikes through ~~; kramdown cannot escape ~
    return _BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text, count=1)


def link(url: str) -> str:
    """`[url](url)`, as the RDO round-ups wrote it."""
    target = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{escape_markdown(url)}]({target})"


def byline(names: Sequence[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def item(post: PeriodPost, summary: str) -> str:
    names = [a.name for a in post.record.post.authors if a.name]
    head = f"**{escape_markdown(post.record.post.title)}**"
    if names:
        head += f" by {escape_markdown(byline(names))}"
    parts = [head]
    if summary:
        parts.append(f"> {escape_markdown(summary)}")
    parts.append(f"Read more at {link(post.record.post.permalink)}")
    return "\n\n".join(parts)


# -- the post -------------------------------------------------------------------------------


def period_words(since: datetime, until: datetime, zone: tzinfo) -> str:
    """`May 25 - June 1, 2024`, `June 3-9, 2024` or `June 1, 2024`, with en dashes. An end
    at midnight closes the day before."""
    first = since.astimezone(zone).date()
    end = until.astimezone(zone)
    last = end.date() - timedelta(days=1) if end.time() == time() else end.date()
    last = max(first, last)
    if first == last:
        return f"{_MONTHS[last.month - 1]} {last.day}, {last.year}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{_MONTHS[first.month - 1]} {first.day}{_DASH}{last.day}, {last.year}"
    start = f"{_MONTHS[first.month - 1]} {first.day}"
    if first.year != last.year:
        start += f", {first.year}"
    return f"{start} {_DASH} {_MONTHS[last.month - 1]} {last.day}, {last.year}"


def frontmatter(
    layout: str, title: str, author: str | None, now: datetime, tags: Sequence[str]
) -> str:
    """YAML frontmatter that each generator reads as an unpublished draft."""
    meta: dict[str, object] = {"title": title}
    if author:
        meta["author"] = author
    meta["date"] = now.replace(microsecond=0)
    meta["tags"] = list(tags)
    if layout == "hugo":  # Hugo reads `published` as a date (publishDate's alias)
        meta["draft"] = True
    else:
        meta["published"] = False
    dumped = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{dumped}---\n"


def file_name(layout: Layout, day: datetime, slug: str, existing: Iterable[str] = ()) -> str:
    """The draft's path under the blog root, named as the layout names posts: dated for
    Middleman and Jekyll, with the suffix most of the blog's posts use."""
    suffix = _usual_suffix(existing) or _SUFFIXES.get(layout.name, ".md")
    stamp = day.date().isoformat()
    name = f"{slug}-{stamp}" if layout.name == "hugo" else f"{stamp}-{slug}"
    return f"{layout.posts_dir.strip('/')}/{name}{suffix}"


def _usual_suffix(names: Iterable[str]) -> str | None:
    counts = Counter(
        name[name.index(".") :]
        for name in (n.rsplit("/", 1)[-1] for n in names)
        if "." in name and body_format(name) == "markdown"
    )
    return counts.most_common(1)[0][0] if counts else None


def write_digest(
    posts: Sequence[PeriodPost],
    summaries: Mapping[int, str],
    *,
    layout: Layout,
    since: datetime,
    until: datetime,
    now: datetime,
    zone: tzinfo,
    author: str | None = None,
    tags: Sequence[str] = DEFAULT_TAGS,
    existing: Iterable[str] = (),
    intro: str | None = None,
) -> Digest:
    """The round-up of `posts` as a draft post: pure, the file is written by `save_digest`.
    `summaries` maps a post's pk to its lead paragraph (the frontmatter summary is the
    fallback)."""
    words = period_words(since, until, zone)
    title = f"Blog round-up, {words}"
    local_now = now.astimezone(zone)
    opening = intro if intro is not None else _intro(words, len(posts))
    items = [
        item(post, trim(summaries.get(post.record.pk) or post.record.post.summary or ""))
        for post in posts
    ]
    body = "\n\n\n".join([opening, *items]) if opening else "\n\n\n".join(items)
    text = frontmatter(layout.name, title, author, local_now, tags) + "\n" + body + "\n"
    path = file_name(layout, local_now, "blog-round-up", existing)
    return Digest(path, text, len(posts))


def _intro(words: str, count: int) -> str:
    if not count:
        return f"Nothing new was published on the blog or its community feeds ({words})."
    return f"Here's what the community has been writing about ({words}):"


def save_digest(root: Path, digest: Digest) -> Path:
    """Write the draft; raises DraftExistsError rather than replace a file."""
    path = root / digest.path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(digest.text)
    except FileExistsError:
        raise DraftExistsError(
            f"{path} already exists; review or remove it, or pass another --since/--until"
        ) from None
    return path


class Period(msgspec.Struct, frozen=True):
    """What the ledger and render cache say about a period: its posts and their summaries."""

    posts: list[PeriodPost]
    summaries: dict[int, str]


Summaries = Callable[[RenderCache, Sequence[int]], dict[int, str]]


def read_period(
    settings: Settings,
    since: datetime,
    until: datetime,
    *,
    remote: bool = True,
    summaries: Summaries | None = None,
) -> Period:
    """The period's posts as the last build left the ledger, with their summaries (by
    default the lead paragraphs a round-up quotes)."""
    ledger = Ledger.open(settings.store_url)
    try:
        posts = published_in(
            ledger.records().values(), announced(ledger.events()), since, until, remote=remote
        )
        cache = RenderCache(settings.cache_path)
        try:
            found = (summaries or lead_paragraphs)(cache, [p.record.pk for p in posts])
        finally:
            cache.close()
        found.update(_from_bodies(ledger, [p.record for p in posts if p.record.pk not in found]))
    finally:
        ledger.close()
    return Period(posts, found)


def _from_bodies(ledger: Ledger, records: Sequence[Record]) -> dict[int, str]:
    """Lead paragraphs of remote entries no feed has rendered yet (a source not listed in
    this site's feeds), from the bodies the ledger keeps."""
    wanted = {r.source: r.pk for r in records if r.source and is_remote(r.source)}
    bodies = ledger.bodies(wanted) if wanted else {}
    return {wanted[source]: first_paragraph(body) for source, body in bodies.items()}


def make_digest(
    settings: Settings,
    clock: Clock,
    since: datetime,
    *,
    until: datetime | None = None,
    author: str | None = None,
    remote: bool = True,
) -> tuple[Path, Digest]:
    """`syndicate digest`: write the round-up of [since, until or now) as a draft post.
    The author is `author`, else the site's (`[site] author`, else the blog's own config)."""
    now = clock.now()
    until = until or now
    blog = open_blog(settings.content_root, settings.content, settings.site.url)
    period = read_period(settings, since, until, remote=remote)
    author = author or settings.site.author or read_site_info(blog.root, blog.layout.name).author
    digest = write_digest(
        period.posts,
        period.summaries,
        layout=blog.layout,
        since=since,
        until=until,
        now=now,
        zone=ZoneInfo(settings.content.timezone),
        author=author,
        existing=[stamp.rel for stamp in blog.scan()],
    )
    return save_digest(blog.root, digest), digest
