"""Remote sources: polling a feed politely and reading what it holds.

`poll` is the one function here that does I/O: a conditional GET (ETag, Last-Modified), with
limits on time and size, permanent redirects remembered, and every failure (refused, timed out,
HTTP errors, not a feed) turned into an outcome rather than an exception. What it reads is
parsed by watch/parse.py and normalised into posts by watch/normalise.py; when to poll next is
watch/schedule.py's. The names the daemon uses are re-exported here.
"""

from __future__ import annotations

import enum
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec
from msgspec.structs import replace

from syndicate import __version__
from syndicate.backoff import retry_after_seconds
from syndicate.config import SourceSettings
from syndicate.content.loader import LoadedPost
from syndicate.content.text import plain_title
from syndicate.errors import AddressRefusedError, NotAFeedError
from syndicate.logs import fields
from syndicate.pipeline.remote_entries import RemoteBatch
from syndicate.watch.addresses import AddressPolicy
from syndicate.watch.normalise import (
    MAX_ENTRIES,
    Normalised,
    Normaliser,
    is_remote,
    normalise,
    source_key,
    source_prefix,
)
from syndicate.watch.parse import bozo_warnings, parse_feed
from syndicate.watch.schedule import (
    BACKOFF_CAP,
    JITTER,
    RETRY_AFTER_CAP,
    SourceState,
    next_poll,
)
from syndicate.watch.transport import DEADLINE, Resolver, SourceTransport, resolve

log = logging.getLogger(__name__)

__all__ = [
    "BACKOFF_CAP",
    "JITTER",
    "MAX_BYTES",
    "MAX_ENTRIES",
    "RETRY_AFTER_CAP",
    "Normalised",
    "Normaliser",
    "PollKind",
    "PollOutcome",
    "SourceState",
    "is_remote",
    "make_client",
    "next_poll",
    "normalise",
    "parse_feed",
    "poll",
    "source_client",
    "source_key",
    "source_prefix",
]

USER_AGENT = f"syndicate/{__version__} (feed aggregator)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json;q=0.9, "
    "application/json;q=0.8, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)  # per network operation (connect, each read)
MAX_SECONDS = 120.0  # a whole poll, by default: a server trickling bytes must not hold it
MAX_BYTES = 10 * 1024 * 1024  # decoded size: also stops compression bombs


class PollKind(enum.StrEnum):
    OK = "ok"  # fetched and read: `posts` holds the feed's entries
    NOT_MODIFIED = "not_modified"  # 304: nothing to process
    FAILED = "failed"  # `error` says why; the state counts the failure


class PollOutcome(msgspec.Struct, frozen=True):
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


def source_client(
    source: SourceSettings,
    *,
    timeout: float | httpx.Timeout = TIMEOUT,
    resolver: Resolver = resolve,
) -> httpx.Client:
    """The client `source` is polled with: as make_client's, but connecting only to addresses
    the source may reach (watch/addresses.py), whatever its redirects say, each poll within
    the source's `timeout` (watch/transport.py). `resolver` is for tests."""
    policy = AddressPolicy.for_source(source.url, intranet=source.intranet)
    return httpx.Client(
        transport=SourceTransport(policy, resolver=resolver),
        headers={"User-Agent": USER_AGENT},
        timeout=timeout,
        follow_redirects=True,
        max_redirects=10,
    )


def batch_of(source: SourceSettings, before: SourceState, outcome: PollOutcome) -> RemoteBatch:
    """What a poll of `source` (from state `before`) hands the build: the entries when it read
    the feed, and the source's new state. A first poll's entries are taken as already seen."""
    ok = outcome.kind is PollKind.OK
    first = before.last_ok is None or before.url != source.url
    posts = outcome.posts if ok else ()
    prefix = source_prefix(source.name)
    return RemoteBatch(source.name, prefix, posts, outcome.state.to_json(), first=first and ok)


def log_outcome(outcome: PollOutcome, logger: logging.Logger) -> None:
    values = fields(
        source=outcome.source,
        outcome=outcome.kind.value,
        status=outcome.status,
        entries=len(outcome.posts),
        next=outcome.state.next_poll.isoformat() if outcome.state.next_poll else None,
    )
    if outcome.kind is PollKind.FAILED:
        logger.warning(f"source poll failed: {outcome.error}", extra=values)
    else:
        logger.info("source polled", extra=values)
    for warning in outcome.warnings:
        logger.warning(f"source: {warning}", extra=fields(source=outcome.source))
    if outcome.moved_to:
        logger.warning(
            "source moved for good; update its url in the config",
            extra=fields(source=outcome.source, url=outcome.moved_to),
        )


def stored_state(text: str | None) -> SourceState:
    """A source's state as the ledger stored it; a fresh one if none, or if unreadable."""
    if not text:
        return SourceState()
    try:
        return SourceState.from_json(text)
    except ValueError:
        log.warning("a stored source state could not be read; starting afresh")
        return SourceState()


class SourceClients:
    """The client each source is polled with: one per address policy (a planet's sources on
    the open web share one, and its connections), or one per source when `make` is a test's."""

    def __init__(self, make: Callable[[SourceSettings], httpx.Client] | None = None) -> None:
        self._make = make or source_client
        self._clients: dict[object, httpx.Client] = {}
        self._lock = threading.Lock()

    def get(self, source: SourceSettings) -> httpx.Client:
        key: object = source.name
        if self._make is source_client:
            key = AddressPolicy.for_source(source.url, intranet=source.intranet)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._make(source)
        return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


class KnownDates(Mapping[str, datetime]):
    """The dates of a source's entries seen before, looked up only if a poll reads entries
    (most polls are a 304, and the lookup reads the ledger or walks the blog's records)."""

    def __init__(self, compute: Callable[[], dict[str, datetime]]) -> None:
        self._compute = compute
        self._found: dict[str, datetime] | None = None

    def _dates(self) -> dict[str, datetime]:
        if self._found is None:
            self._found = self._compute()
        return self._found

    def __getitem__(self, key: str) -> datetime:
        return self._dates()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dates())

    def __len__(self) -> int:
        return len(self._dates())


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
        response = _fetch(client, url, state, source.timeout)
        moved_to = _moved_to(url, response.hops, response.url)
        if moved_to is not None:
            state = replace(state, permanent_url=moved_to)
        if response.status == 304:
            return _not_modified(source, state, now, rng, url, response, moved_to)
        _check_status(response, now)
        feed, normalised = _read(response, source, now, normaliser, known_dates)
    except _Failure as failure:
        return _failed(source, state, now, rng, url, failure, moved_to)
    return _read_ok(source, state, now, rng, url, response, feed, normalised, moved_to)


class _Response(msgspec.Struct, frozen=True):
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


# --- the network -------------------------------------------------------------------------------


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


def _fetch(client: httpx.Client, url: str, state: SourceState, seconds: float) -> _Response:
    deadline = time.monotonic() + seconds
    try:
        return _download(client, url, _request_headers(client, state), deadline)
    except AddressRefusedError as exc:
        raise _Failure(str(exc)) from exc
    # httpx wraps network trouble in its own errors; OSError and ValueError are for what a
    # hostile answer might still raise below it (a header no codec can read).
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ValueError) as exc:
        if time.monotonic() >= deadline:
            raise _Failure(f"the poll took over {seconds:g} s; gave up") from exc
        raise _Failure(_describe(exc)) from exc


def _download(
    client: httpx.Client, url: str, headers: Mapping[str, str], deadline: float
) -> _Response:
    """The one place that touches the network. Only a successful answer's body is read.
    The deadline bounds every socket operation of a source's client (watch/transport.py);
    with another client it is checked between chunks of the body."""
    seconds = deadline - time.monotonic()
    with client.stream(
        "GET", url, headers=headers, follow_redirects=True, extensions={DEADLINE: deadline}
    ) as response:
        chunks: list[bytes] = []
        if response.is_success:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BYTES:
                raise _Failure(_too_large(), response.status_code)
            size = 0
            for chunk in response.iter_bytes():  # decoded: a compression bomb stops here too
                size += len(chunk)
                if size > MAX_BYTES:
                    raise _Failure(_too_large(), response.status_code)
                if time.monotonic() > deadline:
                    raise _Failure(f"the poll took over {seconds:.0f} s; gave up")
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


# --- reading the answer ------------------------------------------------------------------------


def _check_status(response: _Response, now: datetime) -> None:
    if not 200 <= response.status < 300:
        raise _Failure(
            f"HTTP {response.status} {response.reason}".strip(),
            response.status,
            _retry_after(response.status, response.headers.get("retry-after"), now),
        )


def _retry_after(status: int, value: str | None, now: datetime) -> datetime | None:
    """The instant Retry-After names (seconds or an HTTP date) on 429 and 503, capped."""
    seconds = retry_after_seconds(value, now) if status in (429, 503) else None
    if seconds is None or seconds <= 0:
        return None
    return now + min(timedelta(seconds=seconds), RETRY_AFTER_CAP)


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


# --- outcomes ----------------------------------------------------------------------------------


def _scheduled(
    source: SourceSettings, state: SourceState, now: datetime, rng: random.Random | None
) -> SourceState:
    return replace(state, next_poll=next_poll(source, state, now, rng or _rng))


def _read_ok(
    source: SourceSettings,
    state: SourceState,
    now: datetime,
    rng: random.Random | None,
    url: str,
    response: _Response,
    feed: Mapping[str, Any],
    normalised: Normalised,
    moved_to: str | None,
) -> PollOutcome:
    # New content: the validators are the answer's own, or none (old ones would lie).
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
    head = feed.get("feed") or {}
    title = head.get("title") if isinstance(head, Mapping) else None
    return PollOutcome(
        source=source.name,
        kind=PollKind.OK,
        state=_scheduled(source, new_state, now, rng),
        url=url,
        status=response.status,
        posts=normalised.posts,
        warnings=(*bozo_warnings(feed), *normalised.warnings),
        moved_to=moved_to,
        feed_title=plain_title(title.strip()) if isinstance(title, str) and title.strip() else None,
    )


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
