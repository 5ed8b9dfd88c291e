"""A mirror whose key may write and delete but not list (no s3:ListBucket): it trusts the
ledger's record of what the bucket holds, and still mirrors every change. moto runs in server
mode in its own process here, with its IAM checks on (they are read once per process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from syndicate.clock import FixedClock
from tests.conftest import Blog, build
from tests.peers.s3 import BUCKET
from tests.test_daemon import free_port
from tests.test_mirror import Daemonless, post

ADMIN_SETUP = 3  # requests moto takes unsigned: enough to make an administrator


def allow(actions: str | list[str], resource: str) -> str:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


class GuardedS3:
    """moto with IAM enforced; `writer` may put and delete objects in BUCKET, nothing else."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(ADMIN_SETUP)}
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait()
        iam = self.client("iam", "AKIDSETUP", "setup")
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=allow("*", "*"))
        admin = iam.create_access_key(UserName="admin")["AccessKey"]
        self.admin = self.client("s3", admin["AccessKeyId"], admin["SecretAccessKey"])
        self.admin.create_bucket(Bucket=BUCKET)
        iam = self.client("iam", admin["AccessKeyId"], admin["SecretAccessKey"])
        iam.create_user(UserName="writer")
        writes = allow(["s3:PutObject", "s3:DeleteObject"], f"arn:aws:s3:::{BUCKET}/*")
        iam.put_user_policy(UserName="writer", PolicyName="w", PolicyDocument=writes)
        key = iam.create_access_key(UserName="writer")["AccessKey"]
        self.writer = (key["AccessKeyId"], key["SecretAccessKey"])

    def client(self, service: str, key_id: str, secret: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
        )

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                time.sleep(0.1)
            else:
                return
        raise AssertionError("moto did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[GuardedS3]:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    server = GuardedS3()
    monkeypatch.setenv("MIRROR_KEY_ID", server.writer[0])
    monkeypatch.setenv("MIRROR_SECRET", server.writer[1])
    try:
        yield server
    finally:
        server.stop()


def test_without_permission_to_list_the_ledgers_record_stands(
    blog: Blog, guarded: GuardedS3, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    post(blog, "2024-05-01-one.html.md", "One", ["News"])
    settings = blog.settings(f"""
        [mirror]
        enabled = true
        s3_bucket = "{BUCKET}"
        endpoint_url = "{guarded.url}"
        region = "us-east-1"
        access_key_id = "env:MIRROR_KEY_ID"
        secret_access_key = "env:MIRROR_SECRET"
    """)
    build(settings, clock)
    first = Daemonless(settings)
    assert first.round()
    uploaded = first.count("upload", "ok")
    first.close()

    post(blog, "2024-05-02-two.html.md", "Two", ["News"])
    written = build(settings, clock).written
    second = Daemonless(settings)  # a restart: its first round would list the bucket
    try:
        assert second.round()
        assert "mirror may not list its bucket" in caplog.text
        assert second.count("upload", "ok") == len(written) < uploaded
        feed = guarded.admin.get_object(Bucket=BUCKET, Key="feed.xml")["Body"].read()
        assert feed == (blog.output / "feed.xml").read_bytes() and b"Two" in feed
    finally:
        second.close()
