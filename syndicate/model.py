"""The data that flows through syndicate: plain frozen values, no behaviour with side effects.

This module imports nothing from the rest of the package, so every layer can use it.
"""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from syndicate.feedkinds import FeedKind


class Author(msgspec.Struct, frozen=True):
    """A person who writes posts, as the authors registry (or the post alone) describes them."""

    key: str
    name: str
    uri: str | None = None
    email: str | None = None
    twitter: str | None = None
    mastodon: str | None = None
    bluesky: str | None = None


class Tag(msgspec.Struct, frozen=True):
    """A tag: its identity is the slug, so `RDO` and `rdo` are one tag."""

    slug: str
    name: str


class Term(msgspec.Struct, frozen=True):
    """A term of one of the blog's own taxonomies (Hugo's `series`): tags of a named kind."""

    taxonomy: str  # the frontmatter field, e.g. "series"
    slug: str
    name: str


class Visibility(enum.Enum):
    """What the frontmatter says about publication, before the date is considered."""

    PUBLIC = "public"
    DRAFT = "draft"
    UNPUBLISHED = "unpublished"


class PostOverrides(msgspec.Struct, frozen=True):
    """Per-post `syndicate:` frontmatter: how publishers treat this post."""

    skip: bool = False
    text: str | None = None  # replaces every account's template
    # A text per network or per account name (`syndicate: {mastodon: "..."}`), sorted by key:
    # an account's own name wins over its network's, and both over `text`.
    texts: tuple[tuple[str, str], ...] = ()

    def text_for(self, account: str, network: str) -> str | None:
        """The post's own text for `account` on `network`, if it gives one."""
        own = dict(self.texts)
        return own.get(account) or own.get(network) or self.text


class Post(msgspec.Struct, frozen=True):
    """One post's metadata. The body travels separately (see content.loader.LoadedPost)."""

    source: str  # path relative to the content root, with forward slashes
    slug: str
    title: str
    date: datetime  # timezone-aware
    permalink: str  # absolute URL
    authors: tuple[Author, ...] = ()
    tags: tuple[Tag, ...] = ()
    categories: tuple[Tag, ...] = ()  # Jekyll's categories, Hugo's `categories` taxonomy
    terms: tuple[Term, ...] = ()  # the blog's other taxonomies
    visibility: Visibility = Visibility.PUBLIC
    expires: datetime | None = None
    declared_id: str | None = None
    declared_updated: datetime | None = None
    summary: str | None = None  # frontmatter summary/description, plain text
    image: str | None = None  # absolute URL of the post's lead image
    image_alt: str | None = None  # its alt text, as the frontmatter or the Markdown gives it
    language: str | None = None
    overrides: PostOverrides = msgspec.field(default_factory=PostOverrides)
    # False when the generator publishes posts dated ahead at once (Jekyll's `future: true`,
    # Hugo's buildFuture): then so do the feeds.
    waits_for_date: bool = True

    def is_public(self, now: datetime) -> bool:
        """Published, not a draft, dated no later than `now` (unless the generator publishes
        posts dated ahead) and not expired."""
        if self.visibility is not Visibility.PUBLIC:
            return False
        if self.waits_for_date and self.date > now:
            return False
        return self.expires is None or self.expires > now


class Rendered(msgspec.Struct, frozen=True):
    """A post's body turned into safe, absolute-URL HTML for feeds."""

    content_html: str
    summary_html: str
    summary_text: str
    warnings: tuple[str, ...] = ()


class FeedFormat(enum.StrEnum):
    ATOM = "atom"
    RSS = "rss"
    JSON = "json"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    FeedFormat.ATOM: "application/atom+xml",
    FeedFormat.RSS: "application/rss+xml",
    FeedFormat.JSON: "application/feed+json",
}


class History(msgspec.Struct, frozen=True):
    """Where one document of an archived feed (RFC 5005) stands among the others: the links it
    carries and whether it is an archive, or a subscription document that is complete."""

    current: str = ""  # an archive's subscription document (URL)
    current_path: str = ""  # ... and its path: the archive shares its feed id
    prev_archive: str = ""  # the next older archive
    next_archive: str = ""  # the next newer archive
    archive: bool = False  # <fh:archive/>: this document is an archive
    complete: bool = False  # <fh:complete/>: the subscription document holds every entry


class FeedOutput(msgspec.Struct, frozen=True):
    """One file of a feed: its format, path under the output directory and public URL."""

    format: FeedFormat
    path: str
    url: str
    history: History | None = None  # with archives on (feeds.archives)

    def __repr__(self) -> str:
        # What a document's signature is made of: without archives, as it always was, so
        # turning archives off (or upgrading) makes no file stale.
        base = f"FeedOutput(format={self.format!r}, path={self.path!r}, url={self.url!r}"
        return base + (f", history={self.history!r})" if self.history else ")")


class FeedSpec(msgspec.Struct, frozen=True):
    """A feed that exists: which posts it selects and where its files go."""

    kind: FeedKind
    key: str  # "" for the site feed, the tag, category or author slug, or "<taxonomy>/<slug>"
    title: str
    description: str
    page_url: str  # the HTML page this feed mirrors
    outputs: tuple[FeedOutput, ...]
    limit: int
    max_bytes: int
    full_content: bool


class Entry(msgspec.Struct, frozen=True):
    """A post as a feed shows it: the post plus what the ledger knows of it."""

    id: str
    post: Post
    updated: datetime


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # queued; its time is not planned yet
    SCHEDULED = "scheduled"  # planned: goes out at `due`
    SENDING = "sending"  # claimed by a worker, which is talking to the network
    SENT = "sent"
    FAILED = "failed"  # given up on; `last_error` says why; `outbox retry` re-queues it
    SKIPPED = "skipped"  # never to be sent: withdrawn post, cancelled, skip in frontmatter
    PAUSED = "paused"  # its account is paused


QUEUED = frozenset({DeliveryStatus.PENDING, DeliveryStatus.SCHEDULED})


class Delivery(msgspec.Struct, frozen=True):
    """One post for one account: a row of the outbox."""

    id: int
    post_pk: int
    entry_id: str
    account: str
    status: DeliveryStatus
    published_at: datetime
    created: datetime
    updated: datetime
    due: datetime | None = None
    attempts: int = 0
    not_before: datetime | None = None
    uncertain: bool = False
    lease_owner: str | None = None
    lease_until: datetime | None = None
    text: str | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    reshare: int = 0  # 0: the new post; n: its n-th planned re-share
    fence: int = 0  # how many claims it has had; a claim's writes must still match its own


class SentPart(msgspec.Struct, frozen=True):
    """One posted part of a delivery's thread (part 1 is its head)."""

    part: int
    text: str
    remote_id: str
    remote_url: str | None
    sent_at: datetime

    @property
    def receipt(self) -> Receipt:
        return Receipt(self.remote_id, self.remote_url)


class AccountState(msgspec.Struct, frozen=True):
    """What the outbox knows of an account beyond its settings."""

    account: str
    paused: bool = False
    reason: str | None = None
    since: datetime | None = None
    not_before: datetime | None = None  # a rate limit's reset


class Receipt(msgspec.Struct, frozen=True):
    """What the network answered: its id for the post and a link to it, when it gives one."""

    remote_id: str
    url: str | None = None
