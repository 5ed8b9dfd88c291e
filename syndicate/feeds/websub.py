"""WebSub publishing: tell each hub which feeds changed, so it fetches them and pushes them on.

What is sent. One POST per hub and changed feed, form-encoded:

    hub.mode=publish&hub.url=<feed URL>&hub.topic=<feed URL>

The W3C WebSub Recommendation (like PubSubHubbub 0.4) leaves the publisher-to-hub ping to
each hub, and hubs read the topic from different fields: PubSubHubbub 0.3 named it `hub.url`
and the reference hub behind pubsubhubbub.appspot.com requires that name (400 without it,
repeatable); Flask-WebSub's hub reads only `hub.topic` (400 without it), and websub.rocks pings
the hubs it tests with `hub.topic`. Hubs ignore fields they do not use, so both carry the same
URL and every one of those hubs understands the ping. One topic per request, because only some
hubs accept `hub.url` repeated.

What counts. Any 2xx is success: 0.3 hubs answer 204, others 202. 5xx, 429, 408, timeouts
and broken connections are worth another try, with exponential backoff and jitter, waiting at
least what a `Retry-After` asks for. Other answers (4xx, a redirect) mean the hub refuses the
ping or the configured URL is wrong: they are reported at once, since asking again changes
nothing. A hub that stays unreachable for one feed is not tried for the call's other feeds, so
a dead hub costs one retry budget per call, not one per feed.

Crash safety: the contract with the daemon. The pinger keeps no state; the ledger does. It
gives at-least-once pings (a hub may hear of a version twice, which is harmless: a ping only
makes it fetch the feed again, and subscribers recognise entries by id):

1. Ping only after the new bytes are served: feed file renamed into place and the ledger saved
   with its digest. A hub fetches the feed as soon as it is pinged; pinged earlier, it would
   fetch the old bytes and subscribers would miss the change until the next ping.
2. The ledger keeps, per feed, the digest hubs were last told of (`feeds.pinged`). A feed is
   due when `pinged` differs from the `digest` written (None counts as due; a migration that
   adds the column should set it to the digest, so an upgrade does not ping every feed).
3. When choosing due feeds, snapshot their digests. After `ping()`, for each topic in
   `settled_topics(results)` store the snapshot digest as `pinged`, compare-and-set
   (`... SET pinged = :d WHERE path = :p AND digest = :d`), so a feed rewritten while pings
   were in flight stays due.
4. Feeds that are not settled (a hub failed for a reason that may pass, or was skipped) keep
   their old `pinged`: ping them again later, on a timer or with the next build, to every hub.
5. On start, ping every due feed. A crash anywhere between writing a feed and step 3 thus
   leads to the ping being sent again, never to it being lost.
6. Ping from one worker thread, and compute the due feeds when that worker starts a round
   rather than when a build ends, so a burst of builds gives one ping per feed and hub.
7. To stop promptly, pass `sleep=stopping.wait` (a threading.Event): when the event is set the
   round ends at once and what it did not send is reported as retryable, so it stays due.

Feeds should also be served with `Link: <hub>; rel="hub", <feed URL>; rel="self"` headers:
WebSub hubs must send both with what they deliver and some (Flask-WebSub's) take them from the
feed's response, refusing to deliver a feed served without them.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx
import msgspec

from syndicate.backoff import Backoff
from syndicate.clock import Clock, SystemClock
from syndicate.metrics import Metrics

log = logging.getLogger(__name__)

# 408 is a timeout the hub noticed instead of us; 429 and 5xx are the hub saying "not now".
_RETRYABLE = frozenset({408, 429})
_SNIPPET = 200  # characters of a hub's error body kept in a result


class PingResult(msgspec.Struct, frozen=True):
    """How telling one hub about one feed went."""

    hub: str
    topic: str
    ok: bool
    attempts: int  # requests sent; 0 when skipped (hub unreachable earlier, or stopping)
    status: int | None  # the last HTTP status, None when no answer came
    error: str | None  # why it failed; None when ok
    retryable: bool = False  # failed for a reason that may pass: ping again later

    @property
    def settled(self) -> bool:
        """Nothing more to do for this version: told, or refused in a way retries cannot fix."""
        return self.ok or not self.retryable


def settled_topics(results: Iterable[PingResult]) -> list[str]:
    """The topics every hub is settled for, in first-seen order: the daemon records these."""
    verdicts: dict[str, bool] = {}
    for result in results:
        verdicts[result.topic] = verdicts.get(result.topic, True) and result.settled
    return [topic for topic, settled in verdicts.items() if settled]


class _Answer(msgspec.Struct, frozen=True):
    """One request's outcome, before deciding whether to try again."""

    ok: bool
    status: int | None = None
    error: str | None = None
    retry: bool = False
    retry_after: float | None = None  # seconds the hub asked us to wait


class _Round:
    """What one `ping()` call has learnt so far: hubs found down, and whether to stop."""

    def __init__(self) -> None:
        self.down: dict[str, str] = {}  # hub -> the error that gave up on it
        self.stopped = False


class HubPinger:
    """Pings WebSub hubs about changed feeds. Call from one worker thread; it blocks."""

    def __init__(
        self,
        hubs: Sequence[str],
        client: httpx.Client,
        *,
        attempts: int = 5,
        backoff: float = 1.0,
        max_delay: float = 60.0,
        sleep: Callable[[float], object] = time.sleep,
        rng: Callable[[], float] = random.random,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """`attempts` counts requests per hub and feed (first try included); the n-th retry
        waits `backoff * 2**(n-1)` seconds, capped at `max_delay`, of which a random half is
        jitter. A `Retry-After` beyond `max_delay` ends the tries (retryable) rather than
        keeping the worker waiting. `sleep` returning True (as `threading.Event.wait` does once
        the event is set) stops the round. `client` sets timeouts and the User-Agent."""
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if backoff < 0 or max_delay < 0:
            raise ValueError("backoff and max_delay must not be negative")
        self.hubs = tuple(dict.fromkeys(hubs))  # a hub listed twice is pinged once
        self._client = client
        self._attempts = attempts
        self._backoff = backoff
        self._max_delay = max_delay
        self._sleep = sleep
        self._rng = rng
        self._clock = clock or SystemClock()
        self._metrics = metrics

    def ping(self, topics: Sequence[str]) -> list[PingResult]:
        """Tell every hub about every topic (feed URL); one result per hub and topic, hub by hub.

        Never raises for a hub's failure: each is in its result.
        """
        unique = list(dict.fromkeys(topics))
        state = _Round()
        results = [self._ping(hub, topic, state) for hub in self.hubs for topic in unique]
        for result in results:
            self._count(result)
        return results

    def _ping(self, hub: str, topic: str, state: _Round) -> PingResult:
        if state.stopped:
            return PingResult(hub, topic, False, 0, None, "stopped before sending", True)
        if hub in state.down:
            reason = f"skipped: hub unreachable ({state.down[hub]})"
            return PingResult(hub, topic, False, 0, None, reason, True)
        result = self._ping_retrying(hub, topic, state)
        if result.retryable and not state.stopped:
            state.down[hub] = result.error or "failed"
        return result

    def _ping_retrying(self, hub: str, topic: str, state: _Round) -> PingResult:
        attempt = 0
        while True:
            attempt += 1
            answer = self._send(hub, topic)
            if answer.ok:
                return PingResult(hub, topic, True, attempt, answer.status, None)
            if not answer.retry:
                return PingResult(hub, topic, False, attempt, answer.status, answer.error)
            delay = self._delay(attempt, answer.retry_after)
            if attempt >= self._attempts or delay is None:
                error = answer.error if delay is not None else _too_long(answer)
                return PingResult(hub, topic, False, attempt, answer.status, error, True)
            log.debug("websub: %s for %s at %s; again in %.1f s", answer.error, topic, hub, delay)
            if self._sleep(delay) is True:
                state.stopped = True
                return PingResult(hub, topic, False, attempt, answer.status, answer.error, True)

    def _send(self, hub: str, topic: str) -> _Answer:
        form = {"hub.mode": "publish", "hub.url": topic, "hub.topic": topic}
        try:
            # Not following redirects: httpx would turn a redirected POST into a GET, which
            # some hubs answer 200 without having been told anything.
            response = self._client.post(hub, data=form, follow_redirects=False)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            return _Answer(False, error=f"bad hub URL: {exc}")
        except httpx.TimeoutException as exc:
            return _Answer(False, error=f"timed out ({type(exc).__name__})", retry=True)
        except httpx.HTTPError as exc:
            return _Answer(False, error=f"{type(exc).__name__}: {exc}", retry=True)
        return self._judge(response)

    def _judge(self, response: httpx.Response) -> _Answer:
        status = response.status_code
        if 200 <= status < 300:
            return _Answer(True, status)
        error = _describe(response)
        if status in _RETRYABLE or status >= 500:
            wait = _retry_after(response.headers.get("Retry-After"), self._clock.now())
            return _Answer(False, status, error, retry=True, retry_after=wait)
        return _Answer(False, status, error)

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds before the next try, or None when the hub asks for more than we wait."""
        # Half fixed, half random: daemons that failed together do not retry together, and no
        # wait is shorter than half the step.
        delay = Backoff(self._backoff, self._max_delay, 0.5, 1.0).delay(attempt, self._rng)
        if retry_after is None:
            return delay
        if retry_after > self._max_delay:
            return None
        return max(delay, retry_after)

    def _count(self, result: PingResult) -> None:
        if self._metrics is None:
            return
        if result.ok:
            outcome = "ok"
        elif not result.retryable:
            outcome = "rejected"
        elif result.attempts == 0:
            outcome = "skipped"
        else:
            outcome = "failed"
        self._metrics.hub_pings.labels(outcome=outcome).inc()


def _describe(response: httpx.Response) -> str:
    """`HTTP 400: <the hub's words>`, with where a redirect points."""
    text = " ".join(response.text.split())[:_SNIPPET]
    where = response.headers.get("Location")
    parts = [f"HTTP {response.status_code}"]
    if where:
        parts.append(f"redirects to {where}")
    if text:
        parts.append(text)
    return ": ".join(parts)


def _too_long(answer: _Answer) -> str:
    return f"{answer.error} (hub asks to wait {answer.retry_after:.0f} s; giving up for now)"


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: fall back to our own backoff
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
