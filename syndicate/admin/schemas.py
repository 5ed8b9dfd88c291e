"""What the JSON API answers, as pydantic models: the pages render the same values, and the
OpenAPI description (admin/api.py) is generated from these classes, so the two cannot drift.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from syndicate.feedkinds import FeedKind

DeliveryAction = Literal["retry", "cancel", "send-now"]
AccountAction = Literal["pause", "resume"]
PostState = Literal["public", "draft", "unpublished", "future", "expired"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Problem(_Out):
    """Every refusal: a stable code for scripts and a sentence for people."""

    error: str = Field(examples=["not_found"])
    message: str


class Health(_Out):
    status: str = Field(description="ok, starting, serving, stale or no successful scan")
    healthy: bool
    uptime_seconds: float
    last_successful_scan: datetime | None
    last_successful_scan_age_seconds: float | None
    stale_after_seconds: float | None
    rescan_seconds: float


class PostError(_Out):
    file: str
    reason: str


class LastBuild(_Out):
    at: datetime
    trigger: str
    seconds: float
    public: int
    written: int
    changes: int
    events: int
    errors: list[PostError]


class ErrorEntry(_Out):
    at: datetime
    error: str


class Source(_Out):
    name: str
    url: str
    state: Literal["ok", "failing", "never polled"]
    last_polled: datetime | None
    last_ok: datetime | None
    next_poll: datetime | None
    failures: int
    last_status: int | None
    last_error: str | None


class Account(_Out):
    name: str
    network: str
    enabled: bool
    state: Literal["active", "paused", "disabled"]
    reason: str | None = Field(description="why it is paused")
    since: datetime | None
    rate_limited_until: datetime | None
    counts: dict[str, int] = Field(description="deliveries by status")


class PostCounts(_Out):
    public: int
    present: int
    known: int


class Overview(_Out):
    health: Health
    dry_run: bool = Field(description="publish.dry_run: nothing is sent")
    posts: PostCounts
    feeds: int
    last_build: LastBuild | None
    last_errors: list[ErrorEntry]
    sources: list[Source]
    deliveries: dict[str, int] = Field(description="deliveries by status")
    accounts: list[Account]


class Delivery(_Out):
    id: int
    post: int = Field(description="the post's id (see /api/posts/{post_id})")
    entry_id: str
    title: str
    account: str
    network: str
    status: Literal["pending", "scheduled", "sending", "sent", "failed", "skipped", "paused"]
    due: datetime | None
    published_at: datetime
    attempts: int
    not_before: datetime | None
    text: str | None = Field(description="the exact text, once composed for sending")
    remote_id: str | None
    remote_url: str | None
    sent_at: datetime | None
    last_error: str | None
    reshare: int = Field(description="0 for the post's first delivery; n for its n-th re-share")
    actions: list[DeliveryAction] = Field(description="what may be done to it now")


class DeliveryList(_Out):
    total: int
    items: list[Delivery]


class TagRef(_Out):
    slug: str
    name: str


class FeedRef(_Out):
    path: str
    url: str
    format: Literal["atom", "rss", "json"]
    kind: FeedKind  # its values: syndicate/feedkinds.py
    name: str


class PostSummary(_Out):
    id: int
    entry_id: str
    title: str
    date: datetime
    permalink: str
    source: str
    state: PostState
    tags: list[TagRef]
    authors: list[str]
    deliveries: list[Delivery]


class PostPage(_Out):
    total: int
    page: int
    pages: int
    per_page: int
    items: list[PostSummary]


class PostDetail(_Out):
    post: PostSummary
    feeds: list[FeedRef]


class ThreadPart(_Out):
    text: str
    length: int


class PreviewItem(_Out):
    account: str
    network: str
    text: str | None = Field(
        description="null when the account does not take the post; a thread's first part"
    )
    length: int
    limit: int
    when: datetime | None
    status: str
    note: str
    thread: list[ThreadPart] = Field(description="a thread's later parts, in order")
    image: str | None = Field(description="the image posted with it, if any")
    image_alt: str | None


class Preview(_Out):
    post: int
    title: str
    items: list[PreviewItem]


class Feed(_Out):
    path: str
    url: str
    format: Literal["atom", "rss", "json"]
    kind: FeedKind  # its values: syndicate/feedkinds.py
    name: str
    title: str
    entries: int
    size: int
    modified: datetime | None
    valid: bool | None = Field(description="null when the file is missing")
    problems: list[str]


class FeedPage(_Out):
    total: int
    page: int
    pages: int
    per_page: int
    items: list[Feed]


class Series(_Out):
    account: str
    counts: list[int]
    total: int


class Chart(_Out):
    days: list[date]
    series: list[Series]


class AccountList(_Out):
    items: list[Account]
