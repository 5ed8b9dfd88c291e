"""Threads and images under SIGKILL: the real daemon posts long posts with an image as threads
to X (the local X API peer), Mastodon (mastodon-mock) and Bluesky (a real PDS) and is killed
again and again, often with a later part's answer held back so the kill lands between parts.
In the end every thread is whole: each part held once, each answering the part before, none
posted twice, and each thread's first post carries the image with its alt text.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from syndicate.model import DeliveryStatus, SentPart
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Outbox
from tests.conftest import Blog
from tests.peers.bluesky import FileServer, Pds, installed, running_pds, skip_unless_installed
from tests.peers.mastodon import TOKEN, MastodonPeer, serve_mastodon
from tests.peers.x_api import Fault, XApiPeer, XCredentials
from tests.publish.test_images import SMALL
from tests.test_daemon import Running, free_port, post, wait_for, write_config

X_USER_ID = "1501234567890123456"
ROUNDS = 10
POSTS = 5
DEADLINE = 120.0
SUMMARY = (
    "This release brings a new scheduler, faster image builds and a rewritten network agent. "
    "Operators upgrading from the previous cycle should read the notes first: two options were "
    "renamed, and one default changed. The packages are on the mirrors now, signed as usual. "
    "Thanks to everyone who tested the candidates, filed bugs and fixed them in time. "
)


@dataclass
class Peers:
    x: XApiPeer
    mastodon: MastodonPeer
    pds: Pds | None

    def accounts(self) -> str:
        x = {k: f"env:THREAD_X_{k.upper()}" for k in self.x.credentials.secrets()}
        text = account("x", {"server": self.x.url, "handle": "syndicatetest"}, x)
        mastodon = {"server": self.mastodon.url}
        text += account("mastodon", mastodon, {"token": "env:THREAD_MASTODON"})
        if self.pds is not None:
            where = {"server": self.pds.url, "handle": self.pds.account.handle}
            text += account("bluesky", where, {"app_password": "env:THREAD_BLUESKY"})
        return text

    def environment(self) -> dict[str, str]:
        env = {f"THREAD_X_{k.upper()}": v for k, v in self.x.credentials.secrets().items()}
        env["THREAD_MASTODON"] = TOKEN
        if self.pds is not None:
            env["THREAD_BLUESKY"] = self.pds.account.app_password
        return env

    def held(self) -> dict[str, list[tuple[str, str, str | None]]]:
        """Account -> its posts as (id, text, the id it answers)."""
        found = {
            "x": [(t.id, t.posted, t.in_reply_to) for t in self.x.tweets],
            "mastodon": [
                (s["id"], self.mastodon.source(s["id"]), s["in_reply_to_id"])
                for s in self.mastodon.statuses()
            ],
        }
        if self.pds is not None:
            found["bluesky"] = bluesky_posts(self.pds)
        return found


def bluesky_posts(pds: Pds) -> list[tuple[str, str, str | None]]:
    params = {"repo": pds.account.did, "collection": "app.bsky.feed.post", "limit": "100"}
    answer = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=60)
    return [
        (r["uri"], r["value"]["text"], r["value"].get("reply", {}).get("parent", {}).get("uri"))
        for r in answer.raise_for_status().json()["records"]
    ]


def account(network: str, where: dict[str, str], credentials: dict[str, str]) -> str:
    """An `[[accounts]]` table posting threads of three parts at most, at once."""
    lines = ["[[accounts]]", f'name = "{network}"', f'network = "{network}"']
    lines += [f'{key} = "{value}"' for key, value in where.items()]
    lines += ["thread = true", "thread_parts = 3", "[accounts.credentials]"]
    lines += [f'{key} = "{value}"' for key, value in credentials.items()]
    lines += ["[accounts.timing]", "delay = 0"]
    return "\n".join(lines) + "\n"


ALT = "The release's logo: a red square"


def images_held(peers: Peers) -> dict[str, list[tuple[str, str | None]]]:
    """Account -> (post id, alt text) of each image it holds."""
    found: dict[str, list[tuple[str, str | None]]] = {
        "x": [
            (tweet.id, peers.x.media[m].alt) for tweet in peers.x.tweets for m in tweet.media_ids
        ],
        "mastodon": [
            (status["id"], media["description"])
            for status in peers.mastodon.statuses()
            for media in status["media_attachments"]
        ],
    }
    if peers.pds is not None:
        found["bluesky"] = bluesky_images(peers.pds)
    return found


def bluesky_images(pds: Pds) -> list[tuple[str, str | None]]:
    params = {"repo": pds.account.did, "collection": "app.bsky.feed.post", "limit": "100"}
    answer = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=60)
    return [
        (r["uri"], image["alt"])
        for r in answer.raise_for_status().json()["records"]
        for image in r["value"].get("embed", {}).get("images", [])
    ]


@pytest.fixture
def site() -> Iterator[FileServer]:
    """The blog's own host, serving the posts' image (the daemon fetches only from public
    addresses and the site's host)."""
    with FileServer({"/logo.png": ("image/png", SMALL)}).running() as server:
        yield server


@pytest.fixture
def peers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Peers]:
    if not installed() and os.environ.get("CI"):
        skip_unless_installed()  # fails under CI, which installs the PDS
    with ExitStack() as stack:
        x = stack.enter_context(
            XApiPeer(XCredentials.generate(X_USER_ID), X_USER_ID, "syndicatetest").running()
        )
        mastodon = stack.enter_context(serve_mastodon())
        pds = stack.enter_context(running_pds("longposts.test")) if installed() else None
        running = Peers(x, mastodon, pds)
        for name, value in running.environment().items():
            monkeypatch.setenv(name, value)
        yield running


def sent_parts(blog: Blog) -> dict[str, list[list[SentPart]]]:
    """Account -> each delivery's recorded parts."""
    ledger = Ledger.open(f"sqlite:///{blog.state / 'ledger.db'}")
    try:
        outbox = Outbox(ledger.engine)
        found: dict[str, list[list[SentPart]]] = {}
        for delivery in outbox.select():
            found.setdefault(delivery.account, []).append(outbox.parts(delivery.id))
        return found
    finally:
        ledger.close()


def between_parts(blog: Blog) -> int:
    """Threads left part-way by the last kill: some parts posted, the delivery not sent."""
    ledger = Ledger.open(f"sqlite:///{blog.state / 'ledger.db'}")
    try:
        outbox = Outbox(ledger.engine)
        return sum(
            1 for d in outbox.select() if d.status is not DeliveryStatus.SENT and outbox.parts(d.id)
        )
    finally:
        ledger.close()


def all_sent(blog: Blog, accounts: int) -> bool:
    ledger = Ledger.open(f"sqlite:///{blog.state / 'ledger.db'}")
    try:
        deliveries = Outbox(ledger.engine).select()
    finally:
        ledger.close()
    return len(deliveries) == POSTS * accounts and all(
        d.status is DeliveryStatus.SENT for d in deliveries
    )


def test_threads_killed_between_parts_resume_without_a_repeated_part(
    blog: Blog, peers: Peers, site: FileServer
) -> None:
    seed = int(os.environ.get("SYNDICATE_CRASH_SEED") or random.randrange(2**32))
    print(f"thread crash test seed {seed}")
    rng = random.Random(seed)
    post(blog, "2024-05-01-existing.html.md", "Existing post")
    port = free_port()
    extra = "[publish]\nretry_base = 0.2\n" + peers.accounts()
    config = write_config(blog, port, url=site.url + "/", extra=extra)
    first = Running(config, port)
    wait_for(first.caught_up, "the first scan", timeout=DEADLINE)
    assert first.stop() == 0
    accounts = 3 if peers.pds is not None else 2
    kills: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        if round_ < POSTS:
            # Each post its own summary: X refuses a text it already has, even as a reply.
            own = (SUMMARY * 2).replace(". ", f", says post {round_}. ")
            post(blog, f"2024-06-0{round_ + 1}-long-{round_}.html.md", f"Long post {round_}",
                 summary=own, image="/logo.png", image_alt=ALT)  # fmt: skip
        # X takes a post and holds its answer: the first round always a second part, then
        # a head or a later part at random.
        holding = round_ == 0 or rng.random() < 0.6
        if holding:
            for _ in range(1 if round_ == 0 else rng.randrange(3)):
                peers.x.fail_next(Fault("none"))
            peers.x.fail_next(Fault("hold"))
        daemon = Running(config, port)
        try:
            if holding:
                before = len(peers.x.requests_to("POST", "/2/tweets"))
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not all_sent(blog, accounts):
                    if len(peers.x.requests_to("POST", "/2/tweets")) > before + 2:
                        break
                    time.sleep(0.05)
            else:
                time.sleep(rng.uniform(0.5, 2.5))
        finally:
            daemon.stop(signal.SIGKILL)
        kills["held" if holding else "timed"] += 1
        kills["between parts"] += between_parts(blog)
        peers.x.release()  # a hold armed but not reached passes at once; the next arm re-arms
    final = Running(config, port)
    try:
        wait_for(lambda: all_sent(blog, accounts), "every thread", timeout=DEADLINE)
    finally:
        assert final.stop() == 0

    recorded = sent_parts(blog)
    held = peers.held()
    report = []
    for account, threads in recorded.items():
        texts = Counter(text for _id, text, _parent in held[account])
        ids = {item_id: (text, parent) for item_id, text, parent in held[account]}
        for parts in threads:
            assert len(parts) == 3, (account, parts)
            for index, part in enumerate(parts):
                assert texts[part.text] == 1, (account, part.text, texts[part.text])
                answered = ids[part.remote_id][1]
                expected = parts[index - 1].remote_id if index else None
                assert answered == expected, (account, index, parts, held[account])
        assert sum(texts.values()) == 3 * POSTS, account  # nothing else was posted
        pictured = images_held(peers)[account]
        heads = {parts[0].remote_id for parts in threads}
        assert sorted(pictured) == sorted((head, ALT) for head in heads), account
        report.append(
            f"{account}: {len(threads)} threads, {sum(texts.values())} posts, "
            f"{len(pictured)} images"
        )
    print(f"thread crash test seed {seed}: {dict(kills)} kills; " + "; ".join(report))
    assert kills["between parts"] >= 1
