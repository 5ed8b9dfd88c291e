"""A live dashboard for the admin tests: the real daemon (`syndicate run`, a subprocess) over a
blog, publishing to a real Mastodon API server (mastodon-mock) and a signing webhook receiver,
its admin token made by the real `syndicate token` command.

`Site.failed_delivery()` arranges what the dashboard exists to fix: the Mastodon server refuses
one post (an injected 422), so that delivery fails and waits for someone to retry it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from syndicate.model import Delivery, DeliveryStatus
from syndicate.store.ledger import Ledger
from syndicate.store.outbox import Outbox
from tests.conftest import Blog
from tests.peers.mastodon import TOKEN as MASTODON_TOKEN
from tests.peers.mastodon import MastodonPeer, serve_mastodon
from tests.peers.webhooks import SigningReceiver
from tests.test_daemon import Running, free_port, post, wait_for, write_config

DEADLINE = 60.0  # seconds: generous for a loaded machine; only ever waited on a condition
SIGNING_KEY = "dashboard-webhook-signing-key"
# A credential the daemon holds: no page, answer, log line or database row may ever show it.
SECRET_TOKEN_VALUE = MASTODON_TOKEN
SECRET_SIGNING_VALUE = SIGNING_KEY
HTML_TITLE = 'Release <script>alert("x")</script> & <b>more</b>'

_ACCOUNTS = """
[admin]
failures_per_client = 100000  # these tests send wrong tokens on purpose, many
failures_overall = 100000

[publish]
retry_base = 0.2
max_attempts = 3

[[accounts]]
name = "blog-mastodon"
network = "mastodon"
server = "{mastodon}"
[accounts.credentials]
token = "env:DASHBOARD_TEST_MASTODON_TOKEN"
[accounts.timing]
delay = 0

[[accounts]]
name = "team-hook"
network = "webhook"
[accounts.credentials]
url = "env:DASHBOARD_TEST_HOOK_URL"
signing_key = "env:DASHBOARD_TEST_HOOK_KEY"
[accounts.timing]
delay = 0
"""


@dataclass
class Site:
    """The blog, its config, the peers and the daemon that serves the dashboard."""

    blog: Blog
    config: Path
    port: int
    mastodon: MastodonPeer
    hook: SigningReceiver
    token: str = ""
    daemon: Running | None = None
    written: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Running:
        self.daemon = Running(self.config, self.port)
        wait_for(self.daemon.caught_up, "the first build")
        return self.daemon

    def syndicate(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_CONFIG"}
        command = [sys.executable, "-m", "syndicate", "--config", str(self.config), *args]
        return subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=DEADLINE, check=False
        )

    def make_token(self) -> str:
        done = self.syndicate("token")
        assert done.returncode == 0, done.stderr
        self.token = done.stdout.strip()
        return self.token

    def write(self, title: str, day: str, *, tags: str = "news") -> None:
        slug = f"post-{len(self.written) + 1}"
        post(self.blog, f"{day}-{slug}.html.md", title, tags=tags)
        self.written.append(title)

    def deliveries(self) -> list[Delivery]:
        ledger = Ledger.open(f"sqlite:///{self.blog.state / 'ledger.db'}")
        try:
            return Outbox(ledger.engine).select()
        finally:
            ledger.close()

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        def met() -> bool:
            assert self.daemon is not None and self.daemon.process.poll() is None, self.log()
            return condition()

        try:
            wait_for(met, what, timeout=DEADLINE)
        except AssertionError as failed:
            raise AssertionError(f"{failed}\n{self.deliveries()}\n{self.log()[-4000:]}") from None

    def settled(self) -> bool:
        """Every delivery has left the queue (sent or failed)."""
        rows = self.deliveries()
        return bool(rows) and all(
            d.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED) for d in rows
        )

    def failed_delivery(self) -> Delivery:
        """A new post the Mastodon server refuses (once): its delivery fails for good."""
        self.mastodon.fault("POST", "/api/v1/statuses", {"type": "status", "status": 422})
        self.write(HTML_TITLE, "2024-06-03", tags="release")
        self.wait(
            lambda: any(d.status is DeliveryStatus.FAILED for d in self.deliveries()),
            "the refused delivery to fail",
        )
        return next(d for d in self.deliveries() if d.status is DeliveryStatus.FAILED)

    def api(self, *, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def log(self) -> str:
        return self.daemon.log() if self.daemon else ""

    def database_dump(self) -> str:
        """Every row of every table, as text: what an attacker with the file would read."""
        ledger = Ledger.open(f"sqlite:///{self.blog.state / 'ledger.db'}")
        try:
            with ledger.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                return "\n".join(raw.iterdump())
        finally:
            ledger.close()


def make_site(root: Path, stack: ExitStack, monkeypatch: pytest.MonkeyPatch) -> Site:
    """Peers running, environment set, config and two published posts written; not started."""
    mastodon = stack.enter_context(serve_mastodon())
    hook = stack.enter_context(SigningReceiver(SIGNING_KEY))
    monkeypatch.setenv("DASHBOARD_TEST_MASTODON_TOKEN", MASTODON_TOKEN)
    monkeypatch.setenv("DASHBOARD_TEST_HOOK_URL", hook.url)
    monkeypatch.setenv("DASHBOARD_TEST_HOOK_KEY", SIGNING_KEY)
    monkeypatch.delenv("SYNDICATE_ADMIN_TOKEN", raising=False)
    blog = Blog(root / "blog")
    port = free_port()
    config = write_config(blog, port, extra=_ACCOUNTS.format(mastodon=mastodon.url))
    site = Site(blog, config, port, mastodon, hook)
    site.write("Existing post", "2024-05-01", tags="news")
    site.write("Older post", "2024-05-02", tags="news")
    return site


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A fresh site, not started, no token yet."""
    with ExitStack() as stack:
        made = make_site(tmp_path, stack, monkeypatch)
        try:
            yield made
        finally:
            if made.daemon is not None:
                made.daemon.stop()


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One running site per test module, with a token, a sent post and a failed delivery."""
    with ExitStack() as stack, pytest.MonkeyPatch.context() as monkeypatch:
        made = make_site(tmp_path_factory.mktemp("dashboard"), stack, monkeypatch)
        made.make_token()
        made.start()
        try:
            made.write("Fresh news", "2024-06-02", tags="news")
            made.wait(made.settled, "the new post to be sent")
            made.failed_delivery()
            made.wait(made.settled, "the outbox to settle")
            yield made
        finally:
            if made.daemon is not None:
                made.daemon.stop()


def as_json(response: httpx.Response) -> Any:
    assert response.headers["content-type"].startswith("application/json"), response.text
    return json.loads(response.content)
