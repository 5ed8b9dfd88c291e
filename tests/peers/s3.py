"""A real S3 API for the mirror's tests: moto in server mode on a free loopback port, read back
with boto3, and a bucket made anew for each test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import httpx
from moto.server import ThreadedMotoServer

from tests.test_daemon import free_port

BUCKET = "feeds-cdn"
KEY_ID, SECRET = "AKIDMIRRORTEST", "mirror-secret-key-that-must-never-show"


class S3:
    """A moto server on a free loopback port, which can be stopped and started again on the
    same port (moto keeps the buckets in the process meanwhile)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None
        self.start()
        # moto keeps its buckets in the process: start each test from none.
        httpx.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def objects(self, prefix: str = "") -> dict[str, bytes]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        return {k: self.client.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}

    def head(self, key: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.head_object(Bucket=BUCKET, Key=key)
        return found


@contextmanager
def running_s3() -> Iterator[S3]:
    """A fresh moto server with the tests' bucket, stopped at the end."""
    server = S3()
    server.client.create_bucket(Bucket=BUCKET)
    try:
        yield server
    finally:
        server.stop()
