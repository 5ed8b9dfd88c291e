"""The real daemon (`syndicate run`) under hostile sources and clients, over HTTP on 127.0.0.1:
sources that redirect inward or drip their answers, clients that hold connections, send
endless heads or huge bodies, guess the admin token or keep a cookie after logging out.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from syndicate.admin.auth import new_token
from syndicate.web.limits import parser_class
from tests.conftest import Blog
from tests.test_daemon import Running, free_port, post, wait_for, write_config

# -- remote sources that answer as an attacker would ----------------------------------------


def rss(*titles: str, date: str = "Sat, 01 Jun 2024 10:00:00 GMT") -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://elsewhere.example/{i}</link>"
        f"<guid>https://elsewhere.example/{i}</guid><pubDate>{date}</pubDate>"
        f"<description>{t} text.</description></item>"
        for i, t in enumerate(titles)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Remote</title>'
        f"<link>https://elsewhere.example/</link>{items}</channel></rss>"
    ).encode()


Route = tuple[int, Mapping[str, str], bytes]


@contextmanager
def answering(routes: Mapping[str, Route], host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """An HTTP server on `host` answering each path as `routes` says; yields host:port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = routes.get(self.path, (404, {}, b""))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def sources_toml(sources: Mapping[str, str], **extra: object) -> str:
    lines = []
    for name, url in sources.items():
        lines += ["[[sources]]", f'name = "{name}"', f'url = "{url}"', "include = true"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def feed_titles(daemon: Running, path: str = "feed.xml") -> list[str]:
    answer = httpx.get(daemon.base + path, timeout=10)
    return [e.title for e in feedparser.parse(answer.content).entries]


def test_sources_reach_no_internal_address_and_keep_their_dates_in_order(blog: Blog) -> None:
    post(blog, "2024-05-01-local.html.md", "Local post")
    inner_routes: dict[str, Route] = {
        "/internal.xml": (200, {}, rss("Internal secret entry")),
        "/fine.xml": (200, {}, rss("Fine entry")),
    }
    with answering(inner_routes) as inner:  # an "internal" service: only the daemon reaches it
        port = inner.rsplit(":", 1)[1]
        outer_routes: dict[str, Route] = {
            # To 0.0.0.0, which Linux connects to this host: an internal address, though not
            # of the loopback kind the sources were configured with.
            "/inward.xml": (302, {"Location": f"http://0.0.0.0:{port}/internal.xml"}, b""),
            "/metadata.xml": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
            "/ftp.xml": (302, {"Location": f"ftp://127.0.0.1:{port}/internal.xml"}, b""),
            "/moved.xml": (301, {"Location": f"http://localhost:{port}/fine.xml"}, b""),
            "/undated.xml": (200, {}, rss("Undated entry", date="not a date at all")),
        }
        with answering(outer_routes) as outer:
            sources = {name: f"http://{outer}/{name}.xml"
                       for name in ("inward", "metadata", "ftp", "moved", "undated")}  # fmt: skip
            daemon_port = free_port()
            config = write_config(blog, daemon_port, extra=sources_toml(sources))
            daemon = Running(config, daemon_port)
            try:
                wait_for(lambda: {"Fine entry", "Undated entry"} <= set(feed_titles(daemon)),
                         "the allowed sources' entries", timeout=60)  # fmt: skip
                wait_for(lambda: daemon.log().count("source poll failed") >= 3,
                         "the refused sources' polls", timeout=60)  # fmt: skip
                titles = feed_titles(daemon)
                items = httpx.get(daemon.base + "feed.json", timeout=10).json()["items"]
            finally:
                assert daemon.stop() == 0
    assert "Internal secret entry" not in titles
    log = daemon.log()
    assert "refused to connect to 0.0.0.0 (unspecified address)" in log
    assert "refused to connect to 169.254.169.254 (cloud metadata address)" in log
    assert "not following a redirect to a ftp: address" in log
    for item in items:  # an entry is never modified before it was published
        assert item.get("date_modified", item["date_published"]) >= item["date_published"], item


def test_a_source_on_127_0_0_1_is_not_redirected_to_127_0_0_2(blog: Blog) -> None:
    """A source configured on one loopback address may not send the daemon to another one
    (Linux routes all of 127.0.0.0/8 to this host): only to its own address again."""
    post(blog, "2024-05-01-local.html.md", "Local post")
    internal_routes: dict[str, Route] = {"/internal-feed.xml": (200, {}, rss("Internal entry"))}
    with answering({}) as placeholder:  # a free port on 127.0.0.1, for both servers
        port = int(placeholder.rsplit(":", 1)[1])
    with answering(internal_routes, "127.0.0.2", port) as internal:
        routes: dict[str, Route] = {
            "/feed.xml": (302, {"Location": f"http://{internal}/internal-feed.xml"}, b""),
            "/elsewhere.xml": (302, {"Location": f"http://127.0.0.1:{port}/own.xml"}, b""),
            "/own.xml": (200, {}, rss("Own entry")),
        }
        with answering(routes, "127.0.0.1", port) as source:
            assert httpx.get(f"http://{internal}/internal-feed.xml").status_code == 200
            sources = {"redirected": f"http://{source}/feed.xml",
                       "own": f"http://{source}/elsewhere.xml"}  # fmt: skip
            daemon_port = free_port()
            config = write_config(blog, daemon_port, extra=sources_toml(sources))
            daemon = Running(config, daemon_port)
            try:
                wait_for(lambda: "Own entry" in feed_titles(daemon), "the own redirect's entry",
                         timeout=60)  # fmt: skip
                wait_for(lambda: "source poll failed" in daemon.log(), "the refused poll",
                         timeout=60)  # fmt: skip
                titles = feed_titles(daemon) + feed_titles(daemon, "feed.json")
                status = subprocess.run(
                    [sys.executable, "-m", "syndicate", "--config", str(config), "status",
                     "--json"], capture_output=True, text=True, check=True,
                )  # fmt: skip
            finally:
                assert daemon.stop() == 0
    assert "Internal entry" not in titles and "Local post" in titles
    written = [p.read_bytes() for p in (blog.state / "public").rglob("*") if p.is_file()]
    assert not any(b"Internal entry" in content for content in written)
    reason = "refused to connect to 127.0.0.2 (loopback address)"
    redirected = json.loads(status.stdout)["sources"]["redirected"]
    assert reason in redirected["last_error"] and redirected["failures"] >= 1
    assert json.loads(status.stdout)["sources"]["own"]["failures"] == 0
    failures = [json.loads(line) for line in daemon.log().splitlines()
                if '"source poll failed' in line]  # fmt: skip
    assert failures and all(reason in f["msg"] and f["source"] == "redirected" for f in failures)


# -- slow sources and the scheduler -------------------------------------------------------------

DRIP_SECONDS = 90.0  # the longest a dripping connection is kept, whatever the client does


@contextmanager
def dripping() -> Iterator[str]:
    """A server that answers every connection with a head that never ends, a byte a
    second: a poll that waits for it holds its thread. Yields host:port."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def drip(conn: socket.socket) -> None:
        ends = time.monotonic() + DRIP_SECONDS
        with conn:
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not stop.is_set() and time.monotonic() < ends:
                    conn.sendall(b"a")
                    stop.wait(1.0)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join()


SLOW_SOURCES = 12


def test_slow_sources_neither_hold_a_poll_past_its_timeout_nor_delay_a_future_post(
    blog: Blog,
) -> None:
    post(blog, "2024-05-01-local.html.md", "Local post")
    with dripping() as slow:
        sources = {f"slow-{n:02d}": f"http://{slow}/feed-{n}.xml" for n in range(SLOW_SOURCES)}
        port = free_port()
        config = write_config(blog, port, extra=sources_toml(sources, timeout=4))
        daemon = Running(config, port)
        try:
            wait_for(daemon.caught_up, "the first scan")
            # Every source is polled within its first seconds, one a second: by now most
            # polls are under way, each waiting on a head that never ends.
            time.sleep(3)
            due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
            post(blog, "2024-05-02-future.html.md", "Future post",
                 date=due.strftime("%Y-%m-%dT%H:%M:%SZ"))  # fmt: skip
            wait_for(lambda: "Future post" in feed_titles(daemon), "the future post", timeout=60)
            live = datetime.now(UTC)
            wait_for(lambda: daemon.log().count("the poll took over 4 s") >= SLOW_SOURCES,
                     "every slow poll to give up", timeout=60)  # fmt: skip
        finally:
            assert daemon.stop() == 0
    # A generous bound: with the slow polls sharing the wake-up's threads it was minutes.
    assert live - due < timedelta(seconds=20), live - due
    assert "maximum number of running instances" not in daemon.log()


# -- clients that hold what they can ----------------------------------------------------------

PARSERS = ["h11"] + (["httptools"] if parser_class("auto").__name__ == "HttpToolsProtocol" else [])
LIMITS = """http = "{parser}"
request_timeout = 2
keep_alive = 2
max_body = 4096
"""


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raw(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    return conn


def answer_of(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (10 s at most)."""
    conn.settimeout(10)
    chunks = []
    try:
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    except (ConnectionResetError, TimeoutError):
        pass
    return b"".join(chunks)


def closed_within(conn: socket.socket, seconds: float) -> bool:
    conn.settimeout(seconds)
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("parser", PARSERS)
def test_requests_are_bounded_before_anything_reads_them(blog: Blog, parser: str) -> None:
    post(blog, "2024-05-01-local.html.md", "Local post")
    port = free_port()
    config = write_config(blog, port)
    text = config.read_text().replace("[server]\n", "[server]\n" + LIMITS.format(parser=parser))
    config.write_text(text)
    token = new_token()
    os.environ["SYNDICATE_ADMIN_TOKEN"] = token
    try:
        daemon = Running(config, port)
    finally:
        del os.environ["SYNDICATE_ADMIN_TOKEN"]
    try:
        wait_for(daemon.caught_up, "the first scan")
        pid = daemon.process.pid
        before = rss_kb(pid)

        # A 200 MB multipart upload to the login form: refused before its body is read.
        conn = raw(port)
        conn.sendall(
            b"POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
            b"boundary=b\r\nContent-Length: 209715200\r\n\r\n--b\r\n"
        )
        assert answer_of(conn).startswith(b"HTTP/1.1 413 ")
        # The same without a length (chunked): cut off at the limit.
        conn = raw(port)
        conn.sendall(b"POST /admin/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 1000
        try:
            for _ in range(50):
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
        assert answer_of(conn).startswith(b"HTTP/1.1 413 ")

        # A head that never ends: refused as soon as it passes the limit, memory unmoved.
        conn = raw(port)
        conn.sendall(b"GET /feed.xml HTTP/1.1\r\nHost: x\r\nX-Long: ")
        try:
            for _ in range(300):  # 30 MB offered
                conn.sendall(b"a" * 100_000)
        except OSError:
            pass
        assert answer_of(conn)[:12] in (b"HTTP/1.1 431", b"HTTP/1.1 400")
        many = "".join(f"X-H{n}: v\r\n" for n in range(200))
        conn = raw(port)
        conn.sendall(f"GET /feed.xml HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode())
        assert answer_of(conn).startswith(b"HTTP/1.1 431 ")

        # Connections that send nothing, or half a head, or half a body: closed in time.
        idle, half_head, half_body = raw(port), raw(port), raw(port)
        half_head.sendall(b"GET /feed.xml HTTP/1.1\r\nHost: x\r\n")
        half_body.sendall(
            b"POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ntoken="
        )
        assert closed_within(idle, 8)
        assert closed_within(half_head, 8)
        assert answer_of(half_body).startswith(b"HTTP/1.1 408 ")

        assert rss_kb(pid) - before < 50_000, (before, rss_kb(pid))  # KB
        assert httpx.get(daemon.base + "feed.xml", timeout=10).status_code == 200
        # Bodies within the limit still work: a login with the token.
        with httpx.Client(base_url=daemon.base, timeout=10) as browser:
            form = browser.get("/admin/login")
            nonce = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert nonce is not None
            done = browser.post("/admin/login", data={"token": token, "csrf": nonce.group(1)})
            assert done.status_code == 303
    finally:
        assert daemon.stop() == 0


# -- the admin token: guessing, logging out, and the smaller things ------------------------------


def metric(base: str, name: str, **labels: str) -> float:
    text = httpx.get(base + "metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


@pytest.fixture
def guarded(blog: Blog, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Running, str]]:
    post(blog, "2024-05-01-local.html.md", "Local post")
    token = new_token()
    monkeypatch.setenv("SYNDICATE_ADMIN_TOKEN", token)
    port = free_port()
    config = write_config(blog, port)
    output = blog.state / "public"
    (output / "tag").mkdir(parents=True)
    (output / ".feed.xml.99999999.tmp").write_text("<half a feed")  # a killed build's
    (output / "tag" / ".news.xml.4194999.tmp").write_text("<half a feed")
    (output / "stray.json").write_text('{"dropped": "here by someone else"}')
    daemon = Running(config, port)
    try:
        wait_for(daemon.caught_up, "the first scan")
        yield daemon, token
    finally:
        daemon.stop()


def login(daemon: Running, token: str, client: httpx.Client) -> httpx.Response:
    form = client.get("/admin/login")
    nonce = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert nonce is not None, form.text
    return client.post("/admin/login", data={"token": token, "csrf": nonce.group(1)})


def from_address(daemon: Running, address: str, **options: Any) -> httpx.Client:
    """A client whose connections come from `address` (another loopback address)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=daemon.base, transport=transport, timeout=10, **options)


def test_guessing_the_token_is_slowed_seen_and_counted(guarded: tuple[Running, str]) -> None:
    daemon, token = guarded
    wrong = new_token()
    with from_address(daemon, "127.0.0.2") as guesser:
        statuses = [
            guesser.get("/api/overview", headers={"Authorization": f"Bearer {wrong}"})
            for _ in range(14)
        ]
        assert [s.status_code for s in statuses[:10]] == [401] * 10
        assert {s.status_code for s in statuses[10:]} == {429}
        assert int(statuses[-1].headers["retry-after"]) >= 1
        # The right token from the same client waits too: it is not even compared.
        right = guesser.get("/api/overview", headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 429
    with from_address(daemon, "127.0.0.3") as form_guesser:
        answers = [login(daemon, wrong, form_guesser).status_code for _ in range(12)]
        assert answers[:10] == [401] * 10 and answers[10:] == [429, 429]
    with from_address(daemon, "127.0.0.4") as owner:  # another client is not held back
        ok = owner.get("/api/overview", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    assert metric(daemon.base, "syndicate_admin_token_failures_total", via="bearer") == 10
    assert metric(daemon.base, "syndicate_admin_token_failures_total", via="login") == 10
    assert metric(daemon.base, "syndicate_admin_token_throttled_total", via="bearer") == 5
    log = daemon.log()
    refusals = [json.loads(line) for line in log.splitlines() if '"wrong admin token"' in line]
    assert len(refusals) == 20
    assert {r["client"] for r in refusals} == {"127.0.0.2", "127.0.0.3"}
    assert wrong not in log and token not in log


def test_logging_out_ends_the_session(guarded: tuple[Running, str]) -> None:
    daemon, token = guarded
    with httpx.Client(base_url=daemon.base, timeout=10) as browser:
        assert login(daemon, token, browser).status_code == 303
        page = browser.get("/admin/")
        assert page.status_code == 200
        cookie = browser.cookies["syndicate_session"]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        assert browser.post("/admin/logout", data={"csrf": csrf.group(1)}).status_code == 303
    with httpx.Client(base_url=daemon.base, timeout=10) as thief:  # the cookie, kept
        thief.cookies.set("syndicate_session", cookie)
        assert thief.get("/admin/").status_code != 200
        assert thief.get("/api/overview").status_code == 401
    with httpx.Client(base_url=daemon.base, timeout=10) as browser:  # a new login works
        assert login(daemon, token, browser).status_code == 303
        assert browser.get("/admin/").status_code == 200


def test_only_feeds_are_served_leftovers_go_and_every_answer_says_nosniff(
    guarded: tuple[Running, str], blog: Blog
) -> None:
    daemon, token = guarded
    output = blog.state / "public"
    assert not list(output.rglob("*.tmp"))  # the killed build's temporary files are gone
    assert httpx.get(daemon.base + "stray.json").status_code == 404
    refused = httpx.get(daemon.base + "api/openapi.json")
    assert refused.status_code == 401
    document = httpx.get(
        daemon.base + "api/openapi.json", headers={"Authorization": f"Bearer {token}"}
    )
    assert document.status_code == 200
    for method, path, status in [
        ("GET", "nothing-here.xml", 404),
        ("POST", "feed.xml", 405),
        ("GET", "healthz", 200),
        ("GET", "metrics", 200),
        ("GET", "admin/static/admin.css", 200),
        ("GET", "feed.xml", 200),
        ("GET", "", 200),
    ]:
        answer = httpx.request(method, daemon.base + path, timeout=10)
        assert answer.status_code == status, (method, path)
        assert answer.headers.get("x-content-type-options") == "nosniff", (method, path)
