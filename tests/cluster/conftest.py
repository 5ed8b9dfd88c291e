"""The cluster's tests need PostgreSQL whatever store the rest of the suite runs on: the
session's server when it has one (SYNDICATE_TEST_STORE=postgresql), else one of their own.
Without PostgreSQL they skip, except under CI, where they fail."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Blog
from tests.peers.postgres import fresh_database, running_postgres, skip_unless_installed


@pytest.fixture(scope="session")
def cluster_server(postgres_server: str | None) -> Iterator[str]:
    if postgres_server is not None:
        yield postgres_server
        return
    skip_unless_installed()
    with running_postgres() as server:
        yield server


@pytest.fixture
def cluster_blog(tmp_path: Path, cluster_server: str, request: pytest.FixtureRequest) -> Blog:
    """A blog whose ledger is a new PostgreSQL database."""
    name = "c_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:20]
    return Blog(tmp_path / "blog", fresh_database(cluster_server, name))


@pytest.fixture
def seeded() -> tuple[int, random.Random]:
    """A storm's random choices: SYNDICATE_CHAOS_SEED replays a run's (not its timing)."""
    seed = int(os.environ.get("SYNDICATE_CHAOS_SEED") or random.randrange(2**32))
    print(f"chaos seed {seed}")
    return seed, random.Random(seed)


def write_config(blog: Blog, accounts: str) -> Path:
    """The replicas' shared config: the blog, its PostgreSQL ledger, the cluster on."""
    blog.state.mkdir(exist_ok=True)
    config = blog.state / "syndicate.toml"
    config.write_text(f"""
[site]
title = "Cluster"
url = "https://blog.example.org/"
[content]
root = "{blog.root}"
[feeds]
output = "{blog.state / "public"}"
[build]
workers = 1
[store]
url = "{blog.store_url}"
cache = "{blog.state / "cache.sqlite"}"
[cluster]
enabled = true
{accounts}""")
    return config
