"""WebSub pings: a real hub delivers the new feed to a real subscriber; retries and refusals
against a local server that answers what each test scripts, over real sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs

import httpx
import pytest

from syndicate.clock import FixedClock
from syndicate.feeds.websub import HubPinger, PingResult, settled_topics
from syndicate.metrics import Metrics
from syndicate.pipeline.builder import BuildReport
from tests.conftest import NOW, Blog, build
from tests.feedserver import FeedServer, serving
from tests.websub_peers import POLL, Reader, hub_app, wsgi

POST = {"title": "First", "date": "2024-05-01 10:00:00 UTC"}

# --- a scripted hub: answers each POST with the next reply of its script ---------------------


@dataclass(frozen=True)
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


DROP = "drop"  # read the request, close the connection without a word
HANG = "hang"  # read the request, say nothing until the client gives up

Step = Reply | str


class ScriptedHub:
    def __init__(self, script: list[Step]) -> None:
        self.script = list(script)
        self.requests: list[tuple[str, dict[str, str], dict[str, list[str]]]] = []
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _scripted_handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hub"

    def next_step(self) -> Step:
        with self._lock:
            return self.script.pop(0) if self.script else Reply(204)

    @property
    def topics(self) -> list[str]:
        return [form["hub.topic"][0] for _, _, form in self.requests]


def _scripted_handler(hub: ScriptedHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            form = parse_qs(body.decode(), keep_blank_values=True)
            hub.requests.append((self.path, dict(self.headers.items()), form))
            step = hub.next_step()
            if step == HANG:
                hub.closing.wait(10)  # bounded: the server stops at the end of the test anyway
            if isinstance(step, str):
                self.close_connection = True
                return
            self.send_response(step.status)
            for name, value in step.headers.items():
                self.send_header(name, value)
            data = step.body.encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def scripted(*script: Step) -> Iterator[ScriptedHub]:
    hub = ScriptedHub(list(script))
    thread = threading.Thread(target=hub._server.serve_forever, args=(POLL,), daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        hub.closing.set()
        hub._server.shutdown()
        hub._server.server_close()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as http:
        yield http


class Sleeps(list[float]):
    """Stands in for time.sleep: remembers how long it was asked to wait, waits not at all."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def pinger(
    hubs: list[str],
    client: httpx.Client,
    sleep: Callable[[float], object] | None = None,
    *,
    attempts: int = 4,
    backoff: float = 1.0,
    max_delay: float = 60.0,
    rng: Callable[[], float] = lambda: 1.0,  # the whole step, so waits are round numbers
    metrics: Metrics | None = None,
) -> HubPinger:
    return HubPinger(
        hubs,
        client,
        attempts=attempts,
        backoff=backoff,
        max_delay=max_delay,
        sleep=sleep if sleep is not None else Sleeps(),
        rng=rng,
        clock=FixedClock(NOW),
        metrics=metrics,
    )


TOPIC = "https://blog.example.org/feed.xml"

# --- what a ping looks like ------------------------------------------------------------------


def test_sends_a_form_encoded_publish_with_the_topic_in_both_fields(client: httpx.Client) -> None:
    with scripted(Reply(204)) as hub:
        [result] = pinger([hub.url], client).ping([TOPIC])
    assert result == PingResult(hub.url, TOPIC, True, 1, 204, None)
    [(path, headers, form)] = hub.requests
    assert path == "/hub"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form == {"hub.mode": ["publish"], "hub.url": [TOPIC], "hub.topic": [TOPIC]}


@pytest.mark.parametrize("status", [200, 202, 204])
def test_any_2xx_is_success(client: httpx.Client, status: int) -> None:
    with scripted(Reply(status)) as hub:
        [result] = pinger([hub.url], client).ping([TOPIC])
    assert result.ok
    assert result.status == status


def test_every_hub_hears_of_every_topic_once(client: httpx.Client) -> None:
    other = "https://blog.example.org/tag/news.xml"
    with scripted() as one, scripted() as two:
        results = pinger([one.url, two.url, one.url], client).ping([TOPIC, other, TOPIC])
    assert [(r.hub, r.topic) for r in results] == [
        (one.url, TOPIC),
        (one.url, other),
        (two.url, TOPIC),
        (two.url, other),
    ]
    assert all(r.ok for r in results)
    assert one.topics == [TOPIC, other]
    assert two.topics == [TOPIC, other]


def test_no_hubs_or_no_topics_send_nothing(client: httpx.Client) -> None:
    assert pinger([], client).ping([TOPIC]) == []
    with scripted() as hub:
        assert pinger([hub.url], client).ping([]) == []
    assert hub.requests == []


# --- retries ---------------------------------------------------------------------------------


def test_server_errors_are_retried_with_growing_waits(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with scripted(Reply(500), Reply(502), Reply(503), Reply(204)) as hub:
        [result] = pinger([hub.url], client, sleeps).ping([TOPIC])
    assert result == PingResult(hub.url, TOPIC, True, 4, 204, None)
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(hub.requests) == 4


def test_jitter_takes_up_to_half_of_each_wait(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with scripted(Reply(500), Reply(500), Reply(204)) as hub:
        pinger([hub.url], client, sleeps, rng=lambda: 0.0, backoff=2.0).ping([TOPIC])
    assert sleeps == [1.0, 2.0]


def test_waits_are_capped(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with scripted(*[Reply(500)] * 5) as hub:
        pinger([hub.url], client, sleeps, attempts=6, max_delay=3.0).ping([TOPIC])
    assert sleeps == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_too_many_requests_waits_what_retry_after_asks(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with scripted(Reply(429, {"Retry-After": "7"}), Reply(204)) as hub:
        [result] = pinger([hub.url], client, sleeps).ping([TOPIC])
    assert result.ok
    assert result.attempts == 2
    assert sleeps == [7.0]


def test_retry_after_as_a_date(client: httpx.Client) -> None:
    sleeps = Sleeps()
    when = format_datetime(NOW + timedelta(seconds=12), usegmt=True)
    with scripted(Reply(503, {"Retry-After": when}), Reply(204)) as hub:
        [result] = pinger([hub.url], client, sleeps).ping([TOPIC])
    assert result.ok
    assert sleeps == [12.0]


def test_retry_after_shorter_than_the_backoff_does_not_shorten_it(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with scripted(Reply(500), Reply(429, {"Retry-After": "0"}), Reply(204)) as hub:
        pinger([hub.url], client, sleeps).ping([TOPIC])
    assert sleeps == [1.0, 2.0]


def test_a_wait_longer_than_the_cap_is_left_for_later(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with scripted(Reply(429, {"Retry-After": "3600"}, "slow down")) as hub:
        [result] = pinger([hub.url], client, sleeps, max_delay=60.0).ping([TOPIC])
    assert not result.ok
    assert result.retryable
    assert result.attempts == 1
    assert result.error is not None
    assert "HTTP 429: slow down" in result.error
    assert "3600" in result.error
    assert sleeps == []


def test_a_dropped_connection_is_retried(client: httpx.Client) -> None:
    with scripted(DROP, Reply(202)) as hub:
        [result] = pinger([hub.url], client).ping([TOPIC])
    assert result == PingResult(hub.url, TOPIC, True, 2, 202, None)
    assert len(hub.requests) == 2


def test_a_timeout_is_retried() -> None:
    with httpx.Client(timeout=0.2) as impatient, scripted(HANG, Reply(204)) as hub:
        [result] = pinger([hub.url], impatient).ping([TOPIC])
    assert result.ok
    assert result.attempts == 2


def test_gives_up_after_the_attempts_and_says_why(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with scripted(*[Reply(503, body="down for maintenance")] * 3) as hub:
        [result] = pinger([hub.url], client, sleeps, attempts=3).ping([TOPIC])
    assert result == PingResult(
        hub.url, TOPIC, False, 3, 503, "HTTP 503: down for maintenance", True
    )
    assert sleeps == [1.0, 2.0]
    assert not result.settled


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 403, 404, 405, 410])
def test_a_refusal_is_reported_not_retried(client: httpx.Client, status: int) -> None:
    sleeps = Sleeps()
    with scripted(Reply(status, body="Missing form argument:\n hub.topic\n")) as hub:
        [result] = pinger([hub.url], client, sleeps).ping([TOPIC])
    assert result == PingResult(
        hub.url, TOPIC, False, 1, status, f"HTTP {status}: Missing form argument: hub.topic"
    )
    assert result.settled
    assert sleeps == []
    assert len(hub.requests) == 1


def test_a_redirect_is_not_followed(client: httpx.Client) -> None:
    with scripted(Reply(301, {"Location": "https://hub.example.org/"})) as hub:
        [result] = pinger([hub.url], client).ping([TOPIC])
    assert not result.ok
    assert not result.retryable
    assert result.error == "HTTP 301: redirects to https://hub.example.org/"
    assert len(hub.requests) == 1


def test_a_hub_url_that_cannot_work_is_refused(client: httpx.Client) -> None:
    [result] = pinger(["ftp://hub.example.org/"], client).ping([TOPIC])
    assert not result.ok
    assert not result.retryable
    assert result.attempts == 1
    assert result.error is not None
    assert result.error.startswith("bad hub URL")


def test_other_hubs_and_topics_go_on_after_a_refusal(client: httpx.Client) -> None:
    other = "https://blog.example.org/feed.rss"
    with scripted(Reply(400)) as bad, scripted() as good:
        results = pinger([bad.url, good.url], client).ping([TOPIC, other])
    assert [r.ok for r in results] == [False, True, True, True]
    assert bad.topics == [TOPIC, other]


# --- a hub that is down ----------------------------------------------------------------------


def closed_port() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hub"


def test_an_unreachable_hub_costs_one_retry_budget_per_round(client: httpx.Client) -> None:
    sleeps = Sleeps()
    dead = closed_port()
    other = "https://blog.example.org/feed.rss"
    with scripted() as alive:
        results = pinger([dead, alive.url], client, sleeps, attempts=3).ping([TOPIC, other])
    first, second, *rest = results
    assert (first.ok, first.attempts, first.status, first.retryable) == (False, 3, None, True)
    assert first.error is not None
    assert first.error.startswith("ConnectError")
    assert (second.ok, second.attempts, second.retryable) == (False, 0, True)
    assert second.error is not None
    assert second.error.startswith("skipped: hub unreachable (ConnectError")
    assert [r.ok for r in rest] == [True, True]
    assert sleeps == [1.0, 2.0]
    assert settled_topics(results) == []


def test_sleep_returning_true_stops_the_round(client: httpx.Client) -> None:
    stopping = threading.Event()

    def wait(seconds: float) -> bool:
        stopping.set()  # as if the daemon were asked to stop during the first backoff
        return stopping.wait(seconds)

    with scripted(Reply(500)) as hub, scripted() as other:
        results = pinger([hub.url, other.url], client, sleep=wait).ping([TOPIC])
    outcomes = [(r.ok, r.attempts, r.retryable) for r in results]
    assert outcomes == [(False, 1, True), (False, 0, True)]
    assert other.requests == []


# --- what the daemon records -----------------------------------------------------------------


def test_a_topic_is_settled_when_every_hub_is() -> None:
    a, b, c = "https://a/feed.xml", "https://b/feed.xml", "https://c/feed.xml"
    results = [
        PingResult("hub1", a, True, 1, 204, None),
        PingResult("hub1", b, True, 1, 204, None),
        PingResult("hub1", c, False, 1, 400, "HTTP 400"),
        PingResult("hub2", a, True, 1, 202, None),
        PingResult("hub2", b, False, 5, 503, "HTTP 503", True),
        PingResult("hub2", c, True, 1, 202, None),
    ]
    assert settled_topics(results) == [a, c]


def test_outcomes_are_counted(client: httpx.Client) -> None:
    metrics = Metrics()
    dead = closed_port()
    with scripted(Reply(204), Reply(400)) as hub:
        p = pinger([hub.url, dead], client, attempts=1, metrics=metrics)
        p.ping([TOPIC, "https://blog.example.org/feed.rss"])

    def count(outcome: str) -> float | None:
        return metrics.registry.get_sample_value("syndicate_hub_pings_total", {"outcome": outcome})

    assert (count("ok"), count("rejected"), count("failed"), count("skipped")) == (1, 1, 1, 1)


def test_settings_that_cannot_work_are_refused(client: httpx.Client) -> None:
    with pytest.raises(ValueError, match="attempts"):
        pinger(["https://hub.example.org/"], client, attempts=0)
    with pytest.raises(ValueError, match="negative"):
        pinger(["https://hub.example.org/"], client, backoff=-1.0)


# --- a real hub: Flask-WebSub's, with a real subscriber ---------------------------------------


def announce_hub(feeds: FeedServer, hub: str) -> None:
    """Serve feeds with the Link headers WebSub asks for. Flask-WebSub's hub copies them from
    the feed's response into what it delivers, and refuses to deliver without them."""
    base = cast(type[BaseHTTPRequestHandler], feeds._server.RequestHandlerClass)

    def end_headers(self: BaseHTTPRequestHandler) -> None:
        topic = feeds.url(self.path.lstrip("/"))
        self.send_header("Link", f'<{hub}>; rel="hub", <{topic}>; rel="self"')
        base.end_headers(self)

    feeds._server.RequestHandlerClass = type("Linked", (base,), {"end_headers": end_headers})


@dataclass
class WebSub:
    hub: str
    feeds: FeedServer
    reader: Reader
    reader_url: str


@pytest.fixture
def websub(blog: Blog, tmp_path: Path) -> Iterator[WebSub]:
    blog.output.mkdir(parents=True)
    reader = Reader(tmp_path / "subscriber.sqlite")
    with (
        wsgi(hub_app(tmp_path / "hub.sqlite")) as hub_base,
        wsgi(reader.app) as reader_url,
        serving(blog.output) as feeds,
    ):
        yield WebSub(hub_base + "/hub", feeds, reader, reader_url)


def rebuilder(blog: Blog, websub: WebSub) -> Callable[[], BuildReport]:
    settings = blog.settings(f'[feeds]\nhubs = ["{websub.hub}"]', url=websub.feeds.base)
    return lambda: build(settings, FixedClock(NOW))


def test_a_real_hub_delivers_the_changed_feed_to_its_subscriber(
    blog: Blog, websub: WebSub, client: httpx.Client
) -> None:
    announce_hub(websub.feeds, websub.hub)
    rebuild = rebuilder(blog, websub)
    blog.post("2024-05-01-first.html.md", POST)
    rebuild()
    topic = websub.feeds.url("feed.xml")
    callback = websub.reader.subscribe(websub.reader_url, topic, websub.hub)
    assert websub.reader.active(callback)["topic_url"] == topic  # the hub verified our intent

    blog.post("2024-05-02-second.html.md", {"title": "Second", "date": "2024-05-02 09:00:00 UTC"})
    report = rebuild()
    changed = [websub.feeds.url(path) for path in report.written]
    assert topic in changed
    results = pinger([websub.hub], client).ping(changed)

    assert [r.ok for r in results] == [True] * len(changed)
    assert {r.status for r in results} == {202}
    got_topic, body = websub.reader.received.get(timeout=10)
    assert got_topic == topic
    assert body == (blog.output / "feed.xml").read_bytes()
    assert b"<title>Second</title>" in body
    assert websub.reader.received.empty()  # only the subscribed feed is delivered
    assert settled_topics(results) == changed


def test_a_feed_served_without_link_headers_is_not_delivered(
    blog: Blog, websub: WebSub, client: httpx.Client
) -> None:
    rebuild = rebuilder(blog, websub)
    blog.post("2024-05-01-first.html.md", POST)
    rebuild()
    topic = websub.feeds.url("feed.xml")
    websub.reader.subscribe(websub.reader_url, topic, websub.hub)

    sleeps = Sleeps()
    [result] = pinger([websub.hub], client, sleeps, attempts=2).ping([topic])

    assert (result.ok, result.status, result.retryable) == (False, 500, True)
    assert websub.reader.received.empty()
    assert websub.feeds.statuses("feed.xml") == [200, 200]  # the hub did fetch it, each time
