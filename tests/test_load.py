"""A bounded load test of the real daemon on 127.0.0.1: 2,000 connections that send nothing
and 200 clients fetching feeds for 10 seconds, at once.

The feeds must still be served (every request answered, none refused), the daemon's open
descriptors must stay under its connection limit and its memory must stay put, and the idle
connections must be closed: those past the limit at once, the rest after `request_timeout`.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.conftest import Blog
from tests.test_daemon import Running, free_port, post, wait_for, write_config

IDLE = 2_000
ACTIVE = 200
SECONDS = 10.0
MAX_CONNECTIONS = 1_500  # below IDLE + ACTIVE: the idle ones must make room
REQUEST_TIMEOUT = 12  # longer than the load, so the idle connections outlive it
SERVER = f"max_connections = {MAX_CONNECTIONS}\nrequest_timeout = {REQUEST_TIMEOUT}\n"


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def hold_idle(port: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    return [await asyncio.open_connection("127.0.0.1", port) for _ in range(IDLE)]


async def fetch_for(client: httpx.AsyncClient, until: float, seen: Counter[str]) -> None:
    etag: str | None = None
    while time.monotonic() < until:
        headers: dict[str, str] = {}
        if etag is not None and seen["requests"] % 2:
            headers["If-None-Match"] = etag
        try:
            answer = await client.get("/feed.xml", headers=headers)
        except httpx.RemoteProtocolError:
            # A kept-alive connection the server closed (idle past keep_alive, or making room)
            # just as the client reused it: the race every HTTP/1.1 client meets, which
            # browsers and feed readers answer by sending an idempotent GET again, once.
            seen["retried"] += 1
            try:
                answer = await client.get("/feed.xml", headers=headers)
            except httpx.HTTPError as exc:
                seen[type(exc).__name__] += 1
                continue
        except httpx.HTTPError as exc:
            seen[type(exc).__name__] += 1
            continue
        seen[str(answer.status_code)] += 1
        seen["requests"] += 1
        etag = answer.headers.get("etag", etag)


async def closed_at(reader: asyncio.StreamReader, deadline: float) -> float | None:
    """When the server closed the connection; None if it had not by `deadline`."""
    try:
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            await reader.read(1)
    except TimeoutError:
        return None
    except ConnectionError:
        pass
    return time.monotonic()


async def load(daemon: Running, pid: int) -> dict[str, object]:
    opened = time.monotonic()
    held = await hold_idle(daemon.port)
    deadline = opened + REQUEST_TIMEOUT + 10
    watching = [asyncio.create_task(closed_at(reader, deadline)) for reader, _ in held]
    peak_fds, peak_rss = descriptors(pid), rss_mb(pid)
    seen: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=ACTIVE, max_keepalive_connections=ACTIVE)
    async with httpx.AsyncClient(base_url=daemon.base, limits=limits, timeout=30) as client:
        until = time.monotonic() + SECONDS
        tasks = [asyncio.create_task(fetch_for(client, until, seen)) for _ in range(ACTIVE)]
        while not all(task.done() for task in tasks):
            await asyncio.sleep(0.5)
            peak_fds, peak_rss = max(peak_fds, descriptors(pid)), max(peak_rss, rss_mb(pid))
        await asyncio.gather(*tasks)
    closes = await asyncio.gather(*watching)
    for _, writer in held:
        writer.close()
    return {"seen": seen, "fds": peak_fds, "rss": peak_rss, "opened": opened, "closes": closes}


def test_idle_connections_and_busy_clients_at_once(blog: Blog) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = IDLE + ACTIVE + 500
    if soft < wanted:  # the daemon inherits it: the test's own limit must not be what holds
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= wanted, "raise `ulimit -n`"
    post(blog, "2024-05-01-local.html.md", "Local post")
    port = free_port()
    config = write_config(blog, port)
    config.write_text(config.read_text().replace("[server]\n", "[server]\n" + SERVER))
    daemon = Running(config, port)
    try:
        wait_for(daemon.caught_up, "the first scan")
        pid = daemon.process.pid
        idle_fds, idle_rss = descriptors(pid), rss_mb(pid)
        result = asyncio.run(load(daemon, pid))
        after_fds = descriptors(pid)
    finally:
        assert daemon.stop() == 0
    seen = result["seen"]
    assert isinstance(seen, Counter)
    print(
        f"load: {seen['requests']} feed requests in {SECONDS:.0f} s by {ACTIVE} clients beside "
        f"{IDLE} idle connections; answers {dict(seen)}; descriptors {idle_fds} idle, "
        f"{result['fds']} at most, {after_fds} after; RSS {idle_rss:.0f} MB idle, "
        f"{result['rss']:.0f} MB at most"
    )
    assert seen["requests"] > ACTIVE  # every client was served, again and again
    assert set(seen) <= {"requests", "200", "304", "retried"}, seen  # none refused or failed
    assert seen["retried"] <= seen["requests"] // 100, seen  # the keep-alive race stays rare
    assert isinstance(result["fds"], int) and result["fds"] <= MAX_CONNECTIONS + 60
    assert isinstance(result["rss"], float) and result["rss"] - idle_rss < 100
    assert after_fds <= idle_fds + 10
    closes = result["closes"]
    opened = result["opened"]
    assert isinstance(closes, list) and isinstance(opened, float)
    spans = sorted(moment - opened for moment in closes if moment is not None)
    print(
        f"idle connections closed: {len(spans)} of {IDLE}, from {spans[0]:.1f} s to "
        f"{spans[-1]:.1f} s after they were opened (request_timeout {REQUEST_TIMEOUT} s)"
    )
    assert all(moment is not None for moment in closes)  # every idle connection was closed
    late = [moment - opened for moment in closes if moment - opened > REQUEST_TIMEOUT - 1]
    made_room = len(closes) - len(late)
    assert made_room >= IDLE + ACTIVE - MAX_CONNECTIONS - 50  # closed early to make room
    assert late and max(late) < REQUEST_TIMEOUT + 8  # the others when their time was up
