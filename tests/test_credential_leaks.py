"""No credential value leaves the daemon: not in its log, its database (WAL included), the
commands' output, the dashboard or the API, for any network, whatever quotes it.

The real daemon publishes to every network's real peer (X's API peer, mastodon-mock, a real
Synapse, a real Bluesky PDS, Slack, Discord and webhook receivers) through two accounts each:
one whose credentials were pasted with a line break inside (a copy-paste accident: an HTTP
library refusing it would quote the whole value), and one with good credentials whose network
answers the post with an error that quotes them (a webhook's URL, a token echoed back).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from syndicate.admin.auth import new_token
from syndicate.model import DeliveryStatus
from tests.conftest import Blog
from tests.peers.bluesky import Fault
from tests.peers.mastodon import TOKEN as MASTODON_TOKEN
from tests.peers.webhooks import Answer
from tests.peers.x_api import Fault as XFault
from tests.test_daemon import Running, free_port, post, wait_for, write_config
from tests.test_publish_daemon import (
    CREATE,
    DEADLINE,
    STATUSES,
    Account,
    Networks,
    running_networks,
)

PASTED = "_pasted"  # suffix of the accounts whose credentials hold a line break


def pasted(account: Account) -> Account:
    """The same account, its every credential pasted with a line break in the middle."""
    broken = {k: v[: len(v) // 2] + "\n" + v[len(v) // 2 :] for k, v in account.secrets.items()}
    return replace(account, name=account.name + PASTED, secrets=broken)


def echo_the_secrets(networks: Networks, account: dict[str, Account]) -> None:
    """Each network refuses the next post with an error that quotes the account's secrets."""

    def quoted(name: str) -> str:
        return " and ".join(account[name].secrets.values())

    networks.x.fail_next(
        XFault("status", code=400, body={"title": "Invalid Request", "type": "about:blank",
                                         "detail": f"bad credentials: {quoted('x')}"})
    )  # fmt: skip
    networks.mastodon.fault(
        "POST", STATUSES,
        {"type": "status", "status": 422, "body": {"error": f"token {MASTODON_TOKEN} refused"}},
    )  # fmt: skip
    networks.matrix.inject(
        Answer.of_json(400, {"errcode": "M_BAD_JSON", "error": f"as {quoted('matrix')}"})
    )
    networks.slack.inject(Answer.of_text(400, f"invalid_payload sent to {quoted('slack')}"))
    networks.discord.inject(
        Answer.of_json(400, {"message": f"Invalid Webhook {quoted('discord')}", "code": 50027})
    )
    networks.webhook.inject(Answer.of_json(400, {"error": f"refused {quoted('webhook')}"}))
    if networks.bluesky is not None:
        networks.bluesky.faults.append(
            Fault(CREATE, 400, body={"error": "InvalidRequest", "message": quoted("bluesky")})
        )


def forms(secret: str) -> set[str]:
    """How a value could appear where it leaked: as is, escaped, encoded, and its halves."""
    found = {secret, secret.replace("\n", "\\n"), json.dumps(secret)[1:-1], quote(secret)}
    halves = secret.split("\n")[1 if "://" in secret else 0 :]  # a URL's first half: its host
    found |= {half for half in halves if len(half) >= 8}
    if "://" in secret:
        path = urlsplit(secret.replace("\n", "")).path
        found |= {path} if len(path) >= 12 else set()
    return found


@pytest.fixture
def leaky(tmp_path: Path, blog: Blog, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with running_networks(tmp_path / "peers") as networks:
        good = networks.accounts()
        accounts = good + [pasted(a) for a in good]
        for account in accounts:
            for name, value in account.environment().items():
                monkeypatch.setenv(name, value)
        token = new_token()
        monkeypatch.setenv("SYNDICATE_ADMIN_TOKEN", token)
        post(blog, "2024-05-01-existing.html.md", "Existing post")
        port = free_port()
        extra = "[publish]\nretry_base = 0.2\nmax_attempts = 2\n"
        config = write_config(blog, port, extra=extra + "".join(a.toml() for a in accounts))
        yield networks, accounts, config, port, token


def test_no_credential_reaches_the_log_the_database_the_commands_or_the_pages(
    leaky: Any, blog: Blog
) -> None:
    networks, accounts, config, port, token = leaky
    secrets = {v for a in accounts for v in a.secrets.values()}
    echo_the_secrets(networks, {a.name: a for a in accounts if not a.name.endswith(PASTED)})

    checked = syndicate(config, "check")
    for account in accounts:
        if account.name.endswith(PASTED):  # named with the variable, never the value
            assert f"account '{account.name}': credentials." in checked.stdout + checked.stderr
    shown = {"check": checked.stdout + checked.stderr}

    daemon = Running(config, port)
    try:
        wait_for(daemon.caught_up, "the first scan")
        post(blog, "2024-06-01-new.html.md", "A new post", tags="News, Release")
        wait_for(lambda: settled(blog, len(accounts)), "every delivery to fail or pause",
                 timeout=DEADLINE)  # fmt: skip
        shown |= pages(daemon.base, token)
    finally:
        assert daemon.stop() == 0
    shown["log"] = daemon.log()
    shown["outbox --json"] = syndicate(config, "outbox", "--json").stdout
    shown["outbox"] = syndicate(config, "outbox").stdout
    shown["status --json"] = syndicate(config, "status", "--json").stdout
    for path in sorted(blog.state.glob("ledger.db*")):  # the database, its WAL and shm
        shown[path.name] = path.read_bytes().decode("utf-8", "replace")

    leaks = {
        (where, form[:6] + "…")
        for where, text in shown.items()
        for secret in secrets
        for form in forms(secret)
        if form in text
    }
    assert leaks == set()

    deliveries = outbox(blog)
    assert not any(d.uncertain for d in deliveries)  # nothing counts as "may have been sent"
    for delivery in deliveries:
        if delivery.account.endswith(PASTED):
            assert delivery.status is DeliveryStatus.PAUSED, delivery
            assert "has whitespace inside it" in (delivery.last_error or ""), delivery
            assert re.search(r"\(from \$PUBLISH_TEST_\w+\)", delivery.last_error or "")
        else:
            assert delivery.status is DeliveryStatus.FAILED, delivery
            assert "[redacted]" in (delivery.last_error or ""), delivery


def syndicate(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command, as people run it; its output and errors together in `stdout`."""
    env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "--config", str(config), *args],
        capture_output=True, text=True, env=env, timeout=DEADLINE, check=False,
    )  # fmt: skip


def settled(blog: Blog, expected: int) -> bool:
    rows = outbox(blog)
    done = {DeliveryStatus.FAILED, DeliveryStatus.PAUSED}
    return len(rows) == expected and all(d.status in done for d in rows)


def outbox(blog: Blog) -> list[Any]:
    from syndicate.store.ledger import Ledger
    from syndicate.store.outbox import Outbox

    ledger = Ledger.open(f"sqlite:///{blog.state / 'ledger.db'}")
    try:
        return Outbox(ledger.engine).select()
    finally:
        ledger.close()


def pages(base: str, token: str) -> dict[str, str]:
    """What the dashboard and the API show of the outbox, the accounts and the post."""
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as api:
        posts = api.get("/api/posts").raise_for_status().json()["items"]
        post_id = next(p["id"] for p in posts if p["title"] == "A new post")
        paths = [
            "/admin/", "/admin/outbox", f"/admin/posts/{post_id}", f"/admin/preview?post={post_id}",
            "/api/deliveries", "/api/accounts", f"/api/posts/{post_id}",
            f"/api/posts/{post_id}/preview", "/api/overview",
        ]  # fmt: skip
        shown = {}
        for path in paths:
            answer = api.get(path)
            assert answer.status_code == 200, (path, answer.text)
            shown[path] = answer.text
        return shown


def test_status_names_the_ledger_without_its_password() -> None:
    from syndicate.status import _without_password

    url = "postgresql+psycopg://syndicate:s3cret%40x@db.internal:5432/blogs"
    assert _without_password(url) == "postgresql+psycopg://syndicate:***@db.internal:5432/blogs"
    assert _without_password("sqlite:////srv/ledger.db") == "sqlite:////srv/ledger.db"
