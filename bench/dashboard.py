"""How fast the dashboard and the API answer on a large blog with a full outbox.

    python bench/dashboard.py [--posts 10000] [--backfill 2000] [--repeat 15]

Generates the blog (bench/generate.py) unless it is there, builds it, queues announcements of
about the newest BACKFILL posts (whole days) for two accounts with `syndicate backfill` (so the
outbox holds two deliveries per post; publishing stays in dry run), starts the real
`syndicate run` with an admin token, waits until the outbox has taken every event in, then
fetches each page and API endpoint REPEAT times over HTTP (one warm-up first) and prints the
median and p95 wall time per request, and the answer's size.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from generate import generate

HERE = Path(__file__).resolve().parent
CONFIG = """
[site]
title = "Bench"
url = "https://bench.example.org/"
[content]
root = "blog"
[feeds]
output = "public"
[watch]
rescan = 0
[server]
port = {port}
[publish]
dry_run = true

[[accounts]]
name = "bench-mastodon"
network = "mastodon"
server = "https://mastodon.bench.example"
[accounts.credentials]
token = "env:BENCH_MASTODON_TOKEN"

[[accounts]]
name = "bench-hook"
network = "webhook"
[accounts.credentials]
url = "env:BENCH_HOOK_URL"
"""

TARGETS = (
    "/admin/",
    "/admin/posts",
    "/admin/posts?q=bench&tag=python",
    "/admin/posts/{post}",
    "/admin/outbox",
    "/admin/feeds",
    "/admin/preview?post={post}",
    "/api/overview",
    "/api/posts",
    "/api/posts/{post}",
    "/api/deliveries?limit=200",
    "/api/feeds",
    "/api/chart",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--backfill", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--scratch", type=Path, default=HERE / "scratch")
    args = parser.parse_args()

    work = args.scratch / f"dashboard-{args.posts}"
    if not (work / "blog").exists():
        generate(work / "blog", args.posts)
    for stale in ("syndicate.db", "syndicate-cache.sqlite", "public"):
        path = work / stale
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    port = _free_port()
    (work / "syndicate.toml").write_text(CONFIG.format(port=port), "utf-8")
    token = "syn_" + secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "SYNDICATE_ADMIN_TOKEN": token,
        "BENCH_MASTODON_TOKEN": "bench",
        "BENCH_HOOK_URL": "http://127.0.0.1:9/hook",
    }
    syndicate = [sys.executable, "-m", "syndicate", "--config", str(work / "syndicate.toml")]
    subprocess.run([*syndicate, "build"], check=True, env=env, capture_output=True)
    since = _nth_newest_date(work / "blog" / "source" / "blog", args.backfill)
    done = subprocess.run(
        [*syndicate, "backfill", "--since", since], check=True, env=env, capture_output=True
    )
    queued = int(done.stderr.split()[0])  # "1890 posts queued for announcement"

    log = (work / "daemon.log").open("w")
    daemon = subprocess.Popen([*syndicate, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        deliveries = 2 * queued  # two accounts
        _wait_for_outbox(client, deliveries)
        post = client.get("/api/posts", params={"per_page": 1}).json()["items"][0]["id"]
        print(f"{args.posts:,} posts, {deliveries:,} deliveries, {args.repeat} requests each")
        print(f"{'request':<34} {'median':>9} {'p95':>9} {'size':>10}")
        for target in TARGETS:
            path = target.format(post=post)
            median, p95, size = _time(client, path, args.repeat)
            print(f"{path:<34} {median * 1000:>7.1f}ms {p95 * 1000:>7.1f}ms {size:>9,}B")
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        log.close()


def _time(client: httpx.Client, path: str, repeat: int) -> tuple[float, float, int]:
    answer = client.get(path)  # warm-up: caches filled, as for anyone but the first visitor
    answer.raise_for_status()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(answer.content)


def _wait_for_outbox(client: httpx.Client, wanted: int) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            counts = client.get("/api/overview").json()["deliveries"]
            if sum(counts.values()) >= wanted:
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit("the outbox never took the backfilled events in")


def _nth_newest_date(posts: Path, n: int) -> str:
    days = sorted((p.name[:10] for p in posts.glob("*.md")), reverse=True)
    return days[min(n, len(days)) - 1]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
