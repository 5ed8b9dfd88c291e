"""Remote sources: polling feeds politely, scheduling the next poll, and turning entries into
posts in the same model as local files.

Only `poll` does I/O. Scheduling (`next_poll`) and normalising (`Normaliser`, `normalise`) are
pure functions of their arguments, so the daemon can be tested with a fixed clock and a seeded
random generator, and a feed's bytes always give the same posts.
"""

from __future__ import annotations

import enum
import html
import io
import json
import random
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx

from syndicate import __version__
from syndicate.config import SourceSettings
from syndicate.content import urls
from syndicate.content.authors import AuthorRegistry
from syndicate.content.dates import DateError, parse_date
from syndicate.content.loader import LoadedPost
from syndicate.content.tags import TagResolver, slugify, split_tags
from syndicate.content.text import (
    collapse_space,
    digest,
    html_to_text,
    plain_title,
    strip_xml_unsafe,
)
from syndicate.model import Author, Post
from syndicate.store.codec import dump_post

USER_AGENT = f"syndicate/{__version__} (feed aggregator)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json;q=0.9, "
    "application/json;q=0.8, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)  # per network operation (connect, each read)
MAX_SECONDS = 120.0  # a whole download: a server trickling bytes must not hold a poll for ever
MAX_BYTES = 10 * 1024 * 1024  # decoded size: also stops compression bombs
MAX_ENTRIES = 200  # entries taken per poll: feeds of a blog's whole archive exist
SUMMARY_CHARS = 1000  # some feeds put the whole post in the summary too

JITTER = 0.1  # ±10 % on every delay, so sources polled together drift apart
BACKOFF_CAP = timedelta(hours=6)  # a dead feed is still tried four times a day
RETRY_AFTER_CAP = timedelta(hours=24)  # a server cannot silence a source for longer
_MAX_DELAY = timedelta(days=366)  # keeps absurd intervals from overflowing datetime

SOURCE_PREFIX = "sources/"

# A bozo feed with entries is still read. These "errors" mean only that the server's headers
# were imprecise (an RSS feed served as text/html, a wrong charset); not worth a warning.
_HARMLESS_BOZO = frozenset(
    {"NonXMLContentType", "CharacterEncodingOverride", "CharacterEncodingUnknown"}
)


# --- state -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the daemon remembers of one source between polls (persist it with `to_json`)."""

    url: str | None = None  # the configured URL this state is about; another URL starts afresh
    etag: str | None = None
    last_modified: str | None = None  # the server's Last-Modified, sent back verbatim
    last_polled: datetime | None = None
    last_ok: datetime | None = None
    failures: int = 0  # consecutive failed polls
    next_poll: datetime | None = None  # None: due now
    last_error: str | None = None
    last_status: int | None = None
    retry_after: datetime | None = None  # the server asked not to be polled before this
    permanent_url: str | None = None  # where the feed moved for good (301/308); polled instead

    def due(self, now: datetime) -> bool:
        return self.next_poll is None or self.next_poll <= now

    def for_url(self, url: str) -> SourceState:
        """This state, or a fresh one if it was about another URL (validators, redirects and
        failures of an old address say nothing about a new one)."""
        return self if self.url == url else SourceState(url=url)

    def to_json(self) -> str:
        data = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}
        return json.dumps({k: v for k, v in data.items() if v is not None}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SourceState:
        """The state `to_json` wrote. Unknown keys are ignored and missing ones take their
        defaults, so states written by other versions load; raises ValueError on garbage."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a source state must be a JSON object")  # noqa: TRY004
        values: dict[str, Any] = {}
        for spec in fields(cls):
            value = data.get(spec.name)
            if value is not None:
                values[spec.name] = _field_from_json(spec.name, value)
        return cls(**values)


_DATE_FIELDS = frozenset({"last_polled", "last_ok", "next_poll", "retry_after"})


def _field_from_json(name: str, value: object) -> Any:
    if name in ("failures", "last_status"):
        if not isinstance(value, int | str):
            raise ValueError(f"{name} must be a number, not {value!r}")
        number = int(value)
        return max(0, number) if name == "failures" else number
    if name in _DATE_FIELDS:
        return _aware(datetime.fromisoformat(str(value)))
    return str(value)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- scheduling --------------------------------------------------------------------------------


def next_poll(
    source: SourceSettings, state: SourceState, now: datetime, rng: random.Random
) -> datetime:
    """When to poll `source` next, given the state after the poll made at `now`.

    The source's interval after a success; after n consecutive failures, interval * 2**n, capped
    at 6 h (or at the interval, if that is longer). Either way ±10 % jitter. A Retry-After the
    server sent (kept in the state) is honoured when it is later, up to 24 h from now.
    """
    interval = source.interval
    if state.failures > 0:
        cap = max(BACKOFF_CAP.total_seconds(), interval)
        seconds = min(interval * 2.0 ** min(state.failures, 64), cap)
    else:
        seconds = interval
    seconds = min(seconds * rng.uniform(1 - JITTER, 1 + JITTER), _MAX_DELAY.total_seconds())
    when = now + timedelta(seconds=seconds)
    if state.retry_after is not None:
        when = max(when, min(state.retry_after, now + RETRY_AFTER_CAP))
    return when


# --- normalising -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Normalised:
    posts: tuple[LoadedPost, ...]
    warnings: tuple[str, ...] = ()  # about the feed as a whole (entries skipped or left out)


def source_prefix(name: str) -> str:
    """What every `Post.source` of the source named `name` starts with."""
    return f"{SOURCE_PREFIX}{slugify(name) or digest(name)[:8]}/"


def source_key(name: str, identity: str) -> str:
    """`Post.source` of an entry: stable for as long as the source's name and the entry's id
    are. 64 bits of hash: collisions within one source's entries are not a concern."""
    return source_prefix(name) + digest(identity)[:16]


def is_remote(source: str) -> bool:
    """Whether a `Post.source` is a remote entry's key rather than a file's path."""
    return source.startswith(SOURCE_PREFIX)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An entry with what is cheap to know, before the work of making it a post."""

    entry: Mapping[str, Any]
    identity: str
    key: str
    published: datetime | None
    updated: datetime | None
    order: int  # position in the feed


class Normaliser:
    """Turns feed entries into LoadedPosts. Holds what every entry needs: the blog's tag
    aliases and authors registry (so a planet member who also writes here is one author)."""

    def __init__(
        self,
        tags: TagResolver | None = None,
        authors: AuthorRegistry | None = None,
        limit: int = MAX_ENTRIES,
    ) -> None:
        self._tags = tags or TagResolver()
        self._authors = authors or AuthorRegistry()
        self._limit = limit

    def normalise(
        self,
        source: SourceSettings,
        feed: Mapping[str, Any],
        *,
        base_url: str,
        now: datetime,
        known_dates: Mapping[str, datetime] | None = None,
    ) -> Normalised:
        """The posts in `feed` (a feedparser result, or the same shape): at most `limit`, the
        newest, in the feed's order; of entries sharing an id, the first.

        `base_url` is the URL the feed was fetched from (relative links resolve against it).
        `known_dates` maps the `Post.source` of entries seen before to the date they were
        given then: an entry without a publication date keeps the date it was first seen.
        """
        known = known_dates or {}
        warnings: list[str] = []
        candidates = self._candidates(source, feed.get("entries") or [], base_url, warnings)
        if len(candidates) > self._limit:
            warnings.append(
                f"the feed has {len(candidates)} entries; only the {self._limit} newest are taken"
            )
            candidates = _newest(candidates, self._limit, known, now)
        head = feed.get("feed") or {}
        posts: list[LoadedPost] = []
        for candidate in candidates:
            try:
                posts.append(self._loaded(source, head, candidate, base_url, now, known))
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
                # One strange entry must not cost the source its other entries.
                warnings.append(f"entry {candidate.identity!r} skipped: {exc}")
        return Normalised(tuple(posts), tuple(warnings))

    def _candidates(
        self,
        source: SourceSettings,
        entries: Iterable[object],
        base_url: str,
        warnings: list[str],
    ) -> list[_Candidate]:
        seen: set[str] = set()
        out: list[_Candidate] = []
        nameless = 0
        for order, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                continue
            identity = _identity(entry, base_url)
            if identity is None:
                nameless += 1
                continue
            if identity in seen:  # the same id twice in one feed: the first is the one shown
                continue
            seen.add(identity)
            published, updated = _dates(entry)
            key = source_key(source.name, identity)
            out.append(_Candidate(entry, identity, key, published, updated, order))
        if nameless:
            warnings.append(f"{nameless} entries with no id, link, title or text were skipped")
        return out

    def _loaded(
        self,
        source: SourceSettings,
        head: Mapping[str, Any],
        candidate: _Candidate,
        base_url: str,
        now: datetime,
        known: Mapping[str, datetime],
    ) -> LoadedPost:
        entry = candidate.entry
        warnings: list[str] = []
        date, declared_updated = _post_dates(candidate, known, now, warnings)
        site = _http_url(base_url, _text(head.get("link"))) or base_url
        link = _permalink(entry, base_url)
        body, summary = _body(entry)
        body = _with_enclosures(body, entry, base_url)
        title = plain_title(_text(entry.get("title"))) or _stand_in_title(body, summary, warnings)
        post = Post(
            source=candidate.key,
            slug=_slug(link, title, candidate.key),
            title=title,
            date=date,
            permalink=link or _missing_link(site, warnings),
            authors=self._byline(entry, source, head),
            tags=self._tags.resolve([*_tag_names(entry), *source.tags]),
            declared_id=_declared_id(entry, link),
            declared_updated=declared_updated,
            summary=summary,
            image=_image(entry, base_url),
            language=_language(entry, head),
        )
        if date > now:
            warnings.append(f"dated in the future ({date.isoformat()}): it will show from then")
        post_json = dump_post(post)
        return LoadedPost(
            post=post,
            body=body,
            body_format="html",
            content_hash=digest(post.title + "\n" + body),  # as the loader does for files
            source_hash=digest(post_json + "\n" + body),  # everything the post is made of
            warnings=tuple(warnings),
            post_json=post_json,
        )

    def _byline(
        self, entry: Mapping[str, Any], source: SourceSettings, head: Mapping[str, Any]
    ) -> tuple[Author, ...]:
        """The entry's authors, else the source's configured author, else the feed's."""
        own = self._people(entry)
        if own:
            return own
        if source.author:
            return self._authors.resolve(source.author)
        return self._people(head)

    def _people(self, node: Mapping[str, Any]) -> tuple[Author, ...]:
        details = node.get("authors") or []
        if not details and node.get("author"):
            details = [{"name": node.get("author")}]
        found: list[Author] = []
        for detail in details:
            author = self._person(detail)
            if author is not None and all(a.key != author.key for a in found):
                found.append(author)
        return tuple(found)

    def _person(self, detail: object) -> Author | None:
        if not isinstance(detail, Mapping):
            return None
        name, email = _name_and_email(_text(detail.get("name")))
        email = email or _text(detail.get("email")) or None
        if not name:
            return None  # an address alone (noreply@blogger.com) names nobody
        if self._authors.known(name):
            return self._authors.resolve(name)[0]
        uri = _text(detail.get("href")) or None
        if uri is not None and not uri.startswith(("http://", "https://")):
            uri = None
        return Author(key=slugify(name) or digest(name)[:8], name=name, uri=uri, email=email)


def normalise(
    source: SourceSettings,
    feed: Mapping[str, Any],
    *,
    base_url: str,
    now: datetime,
    known_dates: Mapping[str, datetime] | None = None,
) -> Normalised:
    """`Normaliser().normalise(...)`: no tag aliases, no authors registry."""
    return Normaliser().normalise(source, feed, base_url=base_url, now=now, known_dates=known_dates)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _identity(entry: Mapping[str, Any], base_url: str) -> str | None:
    """What makes an entry itself: its id; else its link; else its title and date as written;
    else its text. An entry with none of these cannot be told from the next one."""
    entry_id = strip_xml_unsafe(_text(entry.get("id")))
    if entry_id:
        return entry_id
    link = _text(entry.get("link"))
    if link:
        return urls.absolute(base_url, link)
    title = _text(entry.get("title"))
    if title:
        return f"{title}\n{_text(_own(entry, 'published') or _own(entry, 'updated'))}"
    # A status update in a microblog's feed may be nothing but its text.
    text = _text(entry.get("summary")) or next(
        (_text(c.get("value")) for c in entry.get("content") or [] if isinstance(c, Mapping)), ""
    )
    return f"text:{digest(text)}" if text else None


def _dates(entry: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    return _date(entry, "published"), _date(entry, "updated")


def _own(node: Mapping[str, Any], key: str) -> Any:
    """`node[key]` if the feed has it. feedparser's dict answers a missing `updated` with
    `published` (a deprecated fallback); a plain dict lookup sees what is really there."""
    return dict.get(node, key) if isinstance(node, dict) else node.get(key)


def _date(entry: Mapping[str, Any], name: str) -> datetime | None:
    """feedparser's parsed date (a UTC struct_time), else the raw text read as blogs write it."""
    parsed = _own(entry, f"{name}_parsed")
    if parsed is not None:
        try:
            year, month, day, hour, minute, second = parsed[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except (TypeError, ValueError, OverflowError):
            pass
    raw = _text(_own(entry, name))
    # dateutil fills what a text lacks from today ("May 2024" becomes today's day of May), so
    # only texts with a year and another number are read: the result must not depend on when.
    if not re.search(r"\d{4}", raw) or len(re.findall(r"\d+", raw)) < 2:
        return None
    try:
        return parse_date(raw, UTC).astimezone(UTC)
    except (DateError, ValueError, OverflowError):
        pass
    try:
        return _aware(parsedate_to_datetime(raw)).astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        return None


def _post_dates(
    candidate: _Candidate, known: Mapping[str, datetime], now: datetime, warnings: list[str]
) -> tuple[datetime, datetime | None]:
    """The post's date and, when the feed says it changed since, its `declared_updated`.

    Without `published`, an entry's `updated` moves with every edit; so once seen, the entry
    keeps the date it had then, and later values of `updated` are updates. Without any date,
    the entry is dated when first seen (earlier positions in the feed a second later, so the
    feed's order is kept), as Planet Venus and feed readers do.
    """
    published, updated = candidate.published, candidate.updated
    seen = known.get(candidate.key)
    if published is not None:
        date = published
    elif updated is not None:
        date = min(seen, updated) if seen is not None else updated
    elif seen is not None:
        date = seen
    else:
        date = now - timedelta(seconds=candidate.order)
        warnings.append("no date in the feed: dated when first seen")
    return date, updated if updated is not None and updated > date else None


def _newest(
    candidates: list[_Candidate], limit: int, known: Mapping[str, datetime], now: datetime
) -> list[_Candidate]:
    """The `limit` newest entries, in feed order. Undated ones count as seen now (or when
    first seen): new undated entries are what a reader would want."""

    def when(candidate: _Candidate) -> datetime:
        date = candidate.published or candidate.updated or known.get(candidate.key)
        return date or now - timedelta(seconds=candidate.order)

    newest = sorted(candidates, key=lambda c: (when(c), -c.order), reverse=True)[:limit]
    return sorted(newest, key=lambda c: c.order)


def _http_url(base: str, ref: str) -> str | None:
    if not ref:
        return None
    try:
        url = urls.absolute(base, ref)
    except ValueError:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _permalink(entry: Mapping[str, Any], base_url: str) -> str | None:
    """The entry's page: its alternate link, else an id that is a web address."""
    refs = [_text(entry.get("link"))]
    refs += [
        _text(link.get("href"))
        for link in entry.get("links") or []
        if isinstance(link, Mapping) and link.get("rel", "alternate") == "alternate"
    ]
    entry_id = _text(entry.get("id"))
    if entry_id.startswith(("http://", "https://")):  # an id is never a relative link
        refs.append(entry_id)
    for ref in refs:
        url = _http_url(base_url, ref)
        if url is not None:
            return url
    return None


def _missing_link(site: str, warnings: list[str]) -> str:
    warnings.append("no link to the entry's page: its blog's address stands in")
    return site


def _body(entry: Mapping[str, Any]) -> tuple[str, str | None]:
    """The entry's HTML (its content, else its summary) and a separate plain-text summary
    when the feed has one that is not simply the content again."""
    contents = [c for c in entry.get("content") or [] if isinstance(c, Mapping)]
    content = next((c for c in contents if _is_html(c)), contents[0] if contents else None)
    # feedparser copies the content into `summary` when an entry has none, but only a real
    # summary has its `summary_detail`.
    summary = entry.get("summary_detail")
    if content is None:
        if summary is None and _text(entry.get("summary")):
            summary = {"type": "text/html", "value": entry["summary"]}
        return (_as_html(summary) if summary else ""), None
    body = _as_html(content)
    if not isinstance(summary, Mapping):
        return body, None
    summary_text = _as_text(summary)
    if not summary_text or summary_text == html_to_text(body):
        return body, None
    return body, _clip(summary_text, SUMMARY_CHARS)


def _is_html(detail: Mapping[str, Any]) -> bool:
    return str(detail.get("type") or "text/html") in ("text/html", "application/xhtml+xml")


def _as_html(detail: Mapping[str, Any]) -> str:
    value = strip_xml_unsafe(str(detail.get("value") or ""))
    if _is_html(detail):
        return value.strip()
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def _as_text(detail: Mapping[str, Any]) -> str:
    value = strip_xml_unsafe(str(detail.get("value") or ""))
    return html_to_text(value) if _is_html(detail) else collapse_space(value)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:.") + "…"


def _stand_in_title(body: str, summary: str | None, warnings: list[str]) -> str:
    """Untitled entries (microblogs) are named by their first words, as readers show them."""
    warnings.append("no title: its first words stand in")
    return _clip(summary or html_to_text(body), 80) or "Untitled"


def _declared_id(entry: Mapping[str, Any], link: str | None) -> str | None:
    """The id the entry declares, else its link: what syndicate's own feeds will call it."""
    return strip_xml_unsafe(_text(entry.get("id"))) or link


def _slug(link: str | None, title: str, key: str) -> str:
    """The last segment of the entry's address (what the blog chose), else from the title."""
    last = urls.path_of(link).rstrip("/").rsplit("/", 1)[-1] if link else ""
    stem = last.rsplit(".", 1)[0] if "." in last else last
    return slugify(stem) or slugify(title) or key.rsplit("/", 1)[-1]


def _name_and_email(text: str) -> tuple[str, str | None]:
    """RSS writes `email (Name)`, mail headers `Name <email>`; a bare address has no name."""
    text = collapse_space(plain_title(text))
    if match := re.fullmatch(r"(\S+@\S+)\s*\((.+)\)", text):
        return match.group(2).strip(), match.group(1)
    if match := re.fullmatch(r"(.+?)\s*<(\S+@\S+)>", text):
        return match.group(1).strip().strip('"'), match.group(2)
    if re.fullmatch(r"\S+@\S+", text):
        return "", text
    return text, None


def _tag_names(entry: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for tag in entry.get("tags") or []:
        if not isinstance(tag, Mapping):
            continue
        name = _text(tag.get("label")) or _text(tag.get("term"))
        # Blogger marks every entry with a category whose term is a schema URL: not a tag.
        if name and "://" not in name:
            names.extend(split_tags(plain_title(name)))
    return names


def _enclosures(entry: Mapping[str, Any], base_url: str) -> list[tuple[str, str, str]]:
    """(absolute URL, media type, length) of each enclosure; feedparser leaves them relative."""
    out: list[tuple[str, str, str]] = []
    for enclosure in entry.get("enclosures") or []:
        if not isinstance(enclosure, Mapping):
            continue
        url = _http_url(base_url, _text(enclosure.get("href") or enclosure.get("url")))
        if url is not None and all(url != known for known, _, _ in out):
            out.append((url, _text(enclosure.get("type")), _text(enclosure.get("length"))))
    return out


def _image(entry: Mapping[str, Any], base_url: str) -> str | None:
    """The lead image: an image enclosure, else a Media RSS thumbnail or image."""
    for url, media_type, _ in _enclosures(entry, base_url):
        if media_type.startswith("image/"):
            return url
    media = [*(entry.get("media_thumbnail") or []), *(entry.get("media_content") or [])]
    for item in media:
        if isinstance(item, Mapping) and str(item.get("medium", "image")) == "image":
            found = _http_url(base_url, _text(item.get("url")))
            if found is not None:
                return found
    return None


def _with_enclosures(body: str, entry: Mapping[str, Any], base_url: str) -> str:
    """A podcast episode's audio has nowhere to go in the Post model, so it becomes a link at
    the end of the body rather than being lost; images go to `Post.image` instead."""
    links: list[str] = []
    for url, media_type, length in _enclosures(entry, base_url):
        if media_type.startswith("image/") or url in body:
            continue
        name = urlsplit(url).path.rsplit("/", 1)[-1] or url
        about = ", ".join(part for part in (media_type, _size(length)) if part)
        label = html.escape(name) + (f" ({html.escape(about)})" if about else "")
        links.append(f'<p><a href="{html.escape(url)}">{label}</a></p>')
    return body + "".join(links)


def _size(length: str) -> str:
    if not length.isdigit() or int(length) == 0:
        return ""
    size = float(length)
    for unit in ("bytes", "KB", "MB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def _language(entry: Mapping[str, Any], head: Mapping[str, Any]) -> str | None:
    for detail in [*(entry.get("content") or []), entry.get("title_detail")]:
        if isinstance(detail, Mapping) and _text(detail.get("language")):
            return _text(detail.get("language"))
    return _text(entry.get("language")) or _text(head.get("language")) or None


# --- polling -----------------------------------------------------------------------------------


class PollKind(enum.StrEnum):
    OK = "ok"  # fetched and read: `posts` holds the feed's entries
    NOT_MODIFIED = "not_modified"  # 304: nothing to process
    FAILED = "failed"  # `error` says why; the state counts the failure


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll found. `state` is the source's new state, `next_poll` included: the
    daemon stores it as is. `kind` is also the label for the polls metric."""

    source: str  # the source's name
    kind: PollKind
    state: SourceState
    url: str  # the URL asked
    status: int | None = None  # the final HTTP status, when there was an answer
    posts: tuple[LoadedPost, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None
    moved_to: str | None = None  # newly found to have moved for good: tell the user
    feed_title: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind is not PollKind.FAILED


def make_client(
    timeout: float | httpx.Timeout = TIMEOUT, user_agent: str = USER_AGENT
) -> httpx.Client:
    """An HTTP client for polling: syndicate's User-Agent (add a contact URL to it if you
    can: feed hosts like to know who polls them), sane timeouts, redirects followed. One per
    daemon: it pools connections to hosts that serve several feeds."""
    return httpx.Client(
        headers={"User-Agent": user_agent},
        timeout=timeout,
        follow_redirects=True,
        max_redirects=10,
    )


_rng = random.Random()


def poll(
    client: httpx.Client,
    source: SourceSettings,
    state: SourceState,
    now: datetime,
    *,
    normaliser: Normaliser | None = None,
    known_dates: Mapping[str, datetime] | None = None,
    rng: random.Random | None = None,
) -> PollOutcome:
    """Fetch `source` with a conditional GET and read its entries. Never raises: timeouts,
    refused connections, HTTP errors and unreadable feeds become a FAILED outcome.

    `normaliser` carries the blog's tag aliases and authors registry, `known_dates` the dates
    of entries seen before (see Normaliser.normalise), `rng` the jitter (seeded in tests).
    """
    state = state.for_url(source.url)
    url = state.permanent_url or source.url
    moved_to = None
    try:
        response = _fetch(client, url, state)
        moved_to = _moved_to(url, response.hops, response.url)
        if moved_to is not None:
            state = replace(state, permanent_url=moved_to)
        if response.status == 304:
            return _not_modified(source, state, now, rng, url, response, moved_to)
        _check_status(response, now)
        feed, normalised = _read(response, source, now, normaliser, known_dates)
    except _Failure as failure:
        return _failed(source, state, now, rng, url, failure, moved_to)
    new_state = replace(
        state,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        last_polled=now,
        last_ok=now,
        failures=0,
        last_error=None,
        last_status=response.status,
        retry_after=None,
    )
    return PollOutcome(
        source=source.name,
        kind=PollKind.OK,
        state=_scheduled(source, new_state, now, rng),
        url=url,
        status=response.status,
        posts=normalised.posts,
        warnings=(*_bozo_warning(feed), *normalised.warnings),
        moved_to=moved_to,
        feed_title=plain_title(_text((feed.get("feed") or {}).get("title"))) or None,
    )


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    reason: str
    url: str  # where the answer came from, after redirects
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    hops: Sequence[tuple[int, str]]  # (status, URL that answered it) of each redirect


class _Failure(Exception):  # noqa: N818 - a failed outcome on its way up, not a bug
    def __init__(
        self, message: str, status: int | None = None, retry_after: datetime | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


def _request_headers(client: httpx.Client, state: SourceState) -> dict[str, str]:
    headers = {"Accept": ACCEPT}
    # A client made without make_client would announce itself as python-httpx; feed hosts
    # that block anonymous bots, and their admins reading logs, should see who we are.
    if client.headers.get("user-agent", "").startswith("python-httpx/"):
        headers["User-Agent"] = USER_AGENT
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _fetch(client: httpx.Client, url: str, state: SourceState) -> _Response:
    try:
        return _download(client, url, _request_headers(client, state))
    # httpx wraps network trouble in its own errors; OSError and ValueError are for what a
    # hostile answer might still raise below it (a header no codec can read).
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ValueError) as exc:
        raise _Failure(_describe(exc)) from exc


def _check_status(response: _Response, now: datetime) -> None:
    if not 200 <= response.status < 300:
        raise _Failure(
            f"HTTP {response.status} {response.reason}".strip(),
            response.status,
            _retry_after(response.status, response.headers.get("retry-after"), now),
        )


def _read(
    response: _Response,
    source: SourceSettings,
    now: datetime,
    normaliser: Normaliser | None,
    known_dates: Mapping[str, datetime] | None,
) -> tuple[Mapping[str, Any], Normalised]:
    """The feed in a successful answer and its posts; any failure as a _Failure."""
    try:
        feed = parse_feed(response.body, response.url, response.headers)
        normalised = (normaliser or Normaliser()).normalise(
            source, feed, base_url=response.url, now=now, known_dates=known_dates
        )
    except NotAFeedError as exc:
        raise _Failure(str(exc), response.status) from exc
    except Exception as exc:  # a daemon polls on; the message names the bug to report
        message = f"cannot read the feed: {type(exc).__name__}: {exc}"
        raise _Failure(message, response.status) from exc
    return feed, normalised


def _download(client: httpx.Client, url: str, headers: Mapping[str, str]) -> _Response:
    """The one place that touches the network."""
    deadline = time.monotonic() + MAX_SECONDS
    with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
        chunks: list[bytes] = []
        if response.is_success:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BYTES:
                raise _Failure(_too_large(), response.status_code)
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise _Failure(_too_large(), response.status_code)
                if time.monotonic() > deadline:
                    raise _Failure(f"the download took over {MAX_SECONDS:.0f} s; gave up")
                chunks.append(chunk)
        return _Response(
            status=response.status_code,
            reason=response.reason_phrase,
            url=str(response.url),
            headers={k.lower(): v for k, v in response.headers.items()},
            body=b"".join(chunks),
            hops=[(hop.status_code, str(hop.url)) for hop in response.history],
        )


def _too_large() -> str:
    return f"the feed is larger than {MAX_BYTES // (1024 * 1024)} MiB; not read"


def _describe(exc: Exception) -> str:
    """A message a person can act on; httpx's own are often empty for timeouts."""
    detail = str(exc).strip()
    if isinstance(exc, httpx.ConnectTimeout):
        return "timed out connecting to the server"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out waiting for the server to answer"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {detail or 'connection failed'}"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects (a redirect loop?)"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"redirected to an address that is not http(s): {detail}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server's answer is not valid HTTP: {detail}"
    if isinstance(exc, httpx.DecodingError):
        return f"the server's compressed answer cannot be decoded: {detail}"
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _moved_to(asked: str, hops: Sequence[tuple[int, str]], final: str) -> str | None:
    """Where the leading permanent redirects (301, 308) lead, if anywhere new. A temporary
    redirect ends the permanent part: its target is not the feed's new home."""
    target = None
    for index, (status, _) in enumerate(hops):
        if status not in (301, 308):
            break
        target = hops[index + 1][1] if index + 1 < len(hops) else final
    return target if target is not None and target != asked else None


def _retry_after(status: int, value: str | None, now: datetime) -> datetime | None:
    """The instant Retry-After names (seconds or an HTTP date) on 429 and 503, capped."""
    if status not in (429, 503) or not value:
        return None
    value = value.strip()
    try:
        when = now + timedelta(seconds=int(value)) if value.isdigit() else None
        if when is None:
            when = _aware(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when <= now:
        return None
    return min(when, now + RETRY_AFTER_CAP)


class NotAFeedError(ValueError):
    """The bytes hold no feed at all (an error page, garbage, nothing)."""


def parse_feed(
    body: bytes, url: str, headers: Mapping[str, str] | None = None
) -> Mapping[str, Any]:
    """The feed in `body` as feedparser gives it (a JSON Feed in the same shape), fetched from
    `url` with the response `headers` (lower-case names; they tell the encoding). Pure."""
    if not body.strip():
        raise NotAFeedError("the server sent an empty answer")
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if "json" in media_type or body.lstrip()[:1] == b"{":
        feed = _json_feed(body)
        if feed is not None:
            return feed
    # Relative links in entries resolve against the address the feed came from.
    headers["content-location"] = url
    # A BytesIO, never the bytes themselves: feedparser opens a bytes argument as a file name
    # if it can. Its sanitiser is off because ours (content/render) runs later and turns
    # embeds into links where feedparser's would delete them.
    parsed: Mapping[str, Any] = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False
    )
    if not parsed.get("entries") and not parsed.get("version"):
        reason = parsed.get("bozo_exception") if parsed.get("bozo") else None
        kind = f" (got {media_type})" if media_type and "xml" not in media_type else ""
        raise NotAFeedError(f"not a feed{kind}" + (f": {reason}" if reason else ""))
    return parsed


def _bozo_warning(feed: Mapping[str, Any]) -> list[str]:
    exc = feed.get("bozo_exception")
    if not feed.get("bozo") or exc is None or type(exc).__name__ in _HARMLESS_BOZO:
        return []
    return [f"the feed is malformed ({exc}); what could be read was taken"]


def _json_feed(data: bytes) -> dict[str, Any] | None:
    """A JSON Feed (which feedparser 6.0 does not read) in feedparser's shape."""
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        return None
    head = {
        "title": doc.get("title"),
        "link": doc.get("home_page_url"),
        "language": doc.get("language"),
        "authors": _json_authors(doc),
    }
    items = _json_list(doc, "items")
    entries = [_json_item(item) for item in items if isinstance(item, dict)]
    return {"version": "json", "bozo": False, "feed": head, "entries": entries}


def _json_item(item: Mapping[str, Any]) -> dict[str, Any]:
    content = None
    if isinstance(item.get("content_html"), str):
        content = {"type": "text/html", "value": item["content_html"]}
    elif isinstance(item.get("content_text"), str):
        content = {"type": "text/plain", "value": item["content_text"]}
    summary = item.get("summary")
    attachments = _json_list(item, "attachments")
    return {
        "id": str(item["id"]) if item.get("id") is not None else None,
        "link": item.get("url") or item.get("external_url"),
        "title": item.get("title"),
        "published": item.get("date_published"),
        "updated": item.get("date_modified"),
        "authors": _json_authors(item),
        "tags": [{"term": t} for t in item.get("tags") or [] if isinstance(t, str)],
        "content": [content] if content else [],
        "summary_detail": {"type": "text/plain", "value": summary}
        if isinstance(summary, str)
        else None,
        "enclosures": [_json_attachment(a) for a in attachments if isinstance(a, dict)],
        "media_thumbnail": [{"url": item["image"]}] if isinstance(item.get("image"), str) else [],
        "language": item.get("language"),
    }


def _json_list(node: Mapping[str, Any], name: str) -> list[Any]:
    value = node.get(name)
    return value if isinstance(value, list) else []


def _json_attachment(attachment: Mapping[str, Any]) -> dict[str, Any]:
    size = attachment.get("size_in_bytes")
    return {
        "href": attachment.get("url"),
        "type": attachment.get("mime_type"),
        "length": str(size) if isinstance(size, int) else "",
    }


def _json_authors(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    people = node.get("authors")
    if not isinstance(people, list):  # JSON Feed 1.0 had one `author`
        people = [node["author"]] if isinstance(node.get("author"), dict) else []
    return [{"name": p.get("name"), "href": p.get("url")} for p in people if isinstance(p, dict)]


def _scheduled(
    source: SourceSettings, state: SourceState, now: datetime, rng: random.Random | None
) -> SourceState:
    return replace(state, next_poll=next_poll(source, state, now, rng or _rng))


def _not_modified(
    source: SourceSettings,
    state: SourceState,
    now: datetime,
    rng: random.Random | None,
    url: str,
    response: _Response,
    moved_to: str | None,
) -> PollOutcome:
    # A 304 may carry fresh validators; without them the ones we sent still hold.
    new_state = replace(
        state,
        etag=response.headers.get("etag") or state.etag,
        last_modified=response.headers.get("last-modified") or state.last_modified,
        last_polled=now,
        last_ok=now,
        failures=0,
        last_error=None,
        last_status=304,
        retry_after=None,
    )
    return PollOutcome(
        source=source.name,
        kind=PollKind.NOT_MODIFIED,
        state=_scheduled(source, new_state, now, rng),
        url=url,
        status=304,
        moved_to=moved_to,
    )


def _failed(
    source: SourceSettings,
    state: SourceState,
    now: datetime,
    rng: random.Random | None,
    url: str,
    failure: _Failure,
    moved_to: str | None = None,
) -> PollOutcome:
    # Validators are kept: when the server recovers, a 304 still spares the download.
    new_state = replace(
        state,
        last_polled=now,
        failures=state.failures + 1,
        last_error=failure.message,
        last_status=failure.status,
        retry_after=failure.retry_after,
    )
    return PollOutcome(
        source=source.name,
        kind=PollKind.FAILED,
        state=_scheduled(source, new_state, now, rng),
        url=url,
        status=failure.status,
        error=failure.message,
        moved_to=moved_to,
    )
