"""Shared fixtures: real blogs in temporary directories, real databases, a clock that obeys."""

from __future__ import annotations

import hashlib
import os
import textwrap
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings as hypothesis_settings

from syndicate.clock import FixedClock
from syndicate.config import Settings, parse_settings
from syndicate.pipeline.builder import BuildReport
from syndicate.pipeline.opening import open_builder

# No time limit per example: on a loaded shared machine a trivial example can take 400 ms, and
# a deadline is a timed assertion; performance is measured in bench/, not asserted here.
hypothesis_settings.register_profile("syndicate", deadline=None)
hypothesis_settings.load_profile("syndicate")

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("SYNDICATE_CORPORA", REPO.parent / "shared" / "corpora"))
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


class Blog:
    """A Middleman-style blog under `root`, written file by file by a test."""

    def __init__(self, root: Path, store_url: str | None = None) -> None:
        self.root = root
        self.posts = root / "source" / "blog"
        self.posts.mkdir(parents=True)
        self.state = root.parent / "state"
        # The ledger: SQLite beside the blog, or a fresh PostgreSQL database when the suite
        # runs with SYNDICATE_TEST_STORE=postgresql (see `blog` below).
        self.store_url = store_url or f"sqlite:///{self.state / 'ledger.db'}"

    def post(
        self,
        name: str,
        meta: Mapping[str, Any] | None = None,
        body: str = "Some text.",
        *,
        raw: str | bytes | None = None,
    ) -> Path:
        """Write source/blog/NAME: YAML frontmatter from `meta` and `body`, or `raw` as is."""
        path = self.posts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
        else:
            front = yaml.safe_dump(
                dict(meta or {"title": "A post"}), sort_keys=False, allow_unicode=True
            )
            data = f"---\n{front}---\n\n{textwrap.dedent(body).strip()}\n".encode()
        path.write_bytes(data)
        return path

    def authors(self, registry: Mapping[str, Mapping[str, str]]) -> None:
        (self.root / "data").mkdir(exist_ok=True)
        (self.root / "data" / "authors.yml").write_text(yaml.safe_dump(dict(registry)), "utf-8")

    def settings(self, extra: str = "", *, url: str = "https://blog.example.org/") -> Settings:
        """Settings for this blog: state and output beside it, plus `extra` TOML appended."""
        self.state.mkdir(exist_ok=True)
        text = textwrap.dedent(f"""
            [site]
            title = "Example"
            url = "{url}"
            [content]
            root = "{self.root}"
            [feeds]
            output = "{self.state / "public"}"
            [build]
            workers = 1
            [store]
            url = "{self.store_url}"
            cache = "{self.state / "cache.sqlite"}"
        """)
        return parse_settings(
            _merge_toml(text, textwrap.dedent(extra)), file="test.toml", base_dir=self.state
        )

    @property
    def output(self) -> Path:
        return self.state / "public"


def _merge_toml(base: str, extra: str) -> str:
    """`extra` sections override `base` ones with the same header (good enough for tests)."""
    import tomllib

    merged = tomllib.loads(base)
    for section, values in tomllib.loads(extra).items():
        if isinstance(values, dict) and isinstance(merged.get(section), dict):
            merged[section].update(values)
        else:
            merged[section] = values
    return _dump_toml(merged)


def _dump_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    import json

    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    arrays: list[tuple[str, list[Mapping[str, Any]]]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            tables.append((f"{prefix}{key}", value))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            arrays.append((f"{prefix}{key}", value))
        else:
            lines.append(f"{json.dumps(key)} = {json.dumps(value)}")
    out = "\n".join(lines) + "\n"
    for name, table in tables:
        out += f"\n[{name}]\n" + _dump_toml(table, f"{name}.")
    for name, items in arrays:
        out += "".join(f"\n[[{name}]]\n" + _dump_toml(item, f"{name}.") for item in items)
    return out


STORE = os.environ.get("SYNDICATE_TEST_STORE", "sqlite")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    """With SYNDICATE_TEST_STORE=postgresql, one PostgreSQL server for the whole run."""
    if STORE != "postgresql":
        yield None
        return
    from tests.peers.postgres import running_postgres, skip_unless_installed

    skip_unless_installed()
    with running_postgres() as server:
        yield server


@pytest.fixture
def blog(tmp_path: Path, postgres_server: str | None, request: pytest.FixtureRequest) -> Blog:
    if postgres_server is None:
        return Blog(tmp_path / "blog")
    from tests.peers.postgres import fresh_database

    name = "t_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:20]
    return Blog(tmp_path / "blog", fresh_database(postgres_server, name))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def build(settings: Settings, clock: FixedClock, *, full: bool = False) -> BuildReport:
    """One build with fresh stores, as `syndicate build` runs it (quick when it may be)."""
    with open_builder(settings, clock=clock) as builder:
        return builder.build(full=full, quick=True)


@pytest.fixture
def corpora() -> Iterator[Path]:
    if not (CORPORA / "rdo").is_dir() or not (CORPORA / "osas").is_dir():
        pytest.skip(f"the shared corpora are not at {CORPORA}")
    yield CORPORA
