"""One HTTP call from a publisher to its network, and what a failure of it means.

The webhook networks (Slack, Discord, Matrix, plain webhooks) all answer in HTTP status codes,
so one classifier serves them all; a publisher only says how its network names the wait after
a 429 (`WaitHint`). Reasons never quote a URL: for webhooks the URL is the secret.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import httpx

from syndicate import __version__
from syndicate.backoff import retry_after_seconds
from syndicate.clock import Clock
from syndicate.errors import (
    AmbiguousError,
    AuthError,
    PublishError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from syndicate.publish.base import Context
from syndicate.watch.addresses import AddressPolicy
from syndicate.watch.transport import Resolver, SourceTransport, resolve

USER_AGENT = f"syndicate/{__version__}"
DEFAULT_WAIT = timedelta(seconds=60)  # a 429 that does not say how long
MAX_WAIT = timedelta(hours=24)  # a network cannot pause an account for longer than this
# A webhook URL or room that answers these is gone or forbidden: nothing the account sends
# can land until someone fixes its settings, so the account pauses instead of failing posts.
GONE = frozenset({401, 403, 404, 410})
# The request never reached the network: sending again cannot make a second post.
NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.UnsupportedProtocol,
)

# Seconds to wait after a 429, if the answer says; given the answer and the clock's now.
WaitHint = Callable[[httpx.Response, datetime], float | None]


def make_client(context: Context) -> httpx.Client:
    """An HTTP client for one account: syndicate's User-Agent, the context's timeout."""
    return httpx.Client(
        timeout=context.timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False
    )


def content_client(context: Context, *, resolver: Resolver = resolve) -> httpx.Client:
    """A client for URLs that came from a post (its image), which may be a remote source's
    and so anyone's: it connects only to public addresses and to the blog's own host
    (`site.url`), at every redirect, never to a metadata service; the same guarded transport
    as remote sources (watch/transport.py). `resolver` is for tests."""
    policy = AddressPolicy.for_source(context.site_url)
    return httpx.Client(
        transport=SourceTransport(policy, resolver=resolver),
        timeout=context.timeout,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        max_redirects=5,
    )


def require_secret(context: Context, name: str) -> str:
    """The resolved credential `name`, or AuthError naming what the account lacks."""
    value = context.secrets.get(name, "").strip()
    if not value:
        raise AuthError(f"account {context.account.name!r}: credentials.{name} is missing or empty")
    return value


def require_http_url(value: str, what: str) -> str:
    """`value` when it is an absolute http(s) URL; AuthError (without the URL) otherwise."""
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        raise AuthError(f"{what} is not a valid URL") from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise AuthError(f"{what} must be an absolute http:// or https:// URL")
    return value


def call(
    client: httpx.Client,
    request: httpx.Request,
    *,
    network: str,
    clock: Clock,
    wait: WaitHint,
) -> httpx.Response:
    """Send `request` and return its 2xx response; raise the PublishError a failure means."""
    try:
        response = client.send(request)
    except httpx.HTTPError as exc:
        raise transport_error(network, exc) from exc
    if response.is_success:
        return response
    raise status_error(network, response, clock, wait)


def transport_error(network: str, exc: httpx.HTTPError, *, write: bool = True) -> PublishError:
    """A failure below HTTP: ambiguous for a `write` unless the request cannot have been sent
    (a read is simply tried again)."""
    detail = f"{network}: {type(exc).__name__}: {exc}".rstrip(": ")
    if isinstance(exc, httpx.LocalProtocolError):
        # The request could not even be written (a header value no HTTP message may carry):
        # nothing left, and a retry would fail alike until a setting is fixed.
        return AuthError(f"{detail} (nothing was sent: check the account's settings)")
    if not write or isinstance(exc, NOT_SENT):
        return TransientError(detail)
    return AmbiguousError(f"{detail} (the request may have been delivered)")


def status_error(
    network: str, response: httpx.Response, clock: Clock, wait: WaitHint
) -> PublishError:
    """The PublishError a non-2xx answer means."""
    status = response.status_code
    detail = f"{network} answered {status} {excerpt(response)}".rstrip()
    if status == 429:
        return RateLimitedError(detail, until=wait_until(response, clock, wait))
    if status in GONE:
        return AuthError(detail)
    if 300 <= status < 400:  # redirects are not followed: a moved hook is a settings problem
        return AuthError(f"{detail}: the configured address redirects")
    if status in {408, 503}:  # the server says it did not take the request
        return TransientError(detail)
    if status >= 500:
        return AmbiguousError(f"{detail} (the request may have been applied)")
    return RejectedError(detail)


def wait_until(response: httpx.Response, clock: Clock, wait: WaitHint) -> datetime:
    """When a rate-limited account may send again: the network's hint, else Retry-After,
    else a minute; never more than a day away."""
    now = clock.now()
    seconds = wait(response, now)
    if seconds is None:
        return now + DEFAULT_WAIT
    return now + min(max(timedelta(seconds=seconds), timedelta(0)), MAX_WAIT)


def retry_after(response: httpx.Response, now: datetime) -> float | None:
    """Seconds named by a Retry-After header: delta seconds, or an HTTP date."""
    return retry_after_seconds(response.headers.get("Retry-After"), now)


def json_object(response: httpx.Response) -> Mapping[str, object]:
    """The response body as a JSON object, or empty when it is not one."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def number(value: object) -> float | None:
    """`value` when it is a JSON number (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The start of an error body, on one line, for people reading the outbox."""
    text = " ".join(response.text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
