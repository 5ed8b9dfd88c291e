"""`[cluster]` is PostgreSQL's alone, and a single node never loads procrastinate."""

from __future__ import annotations

import subprocess
import sys

import pytest

from syndicate.cluster.tasks import conninfo
from syndicate.errors import ConfigError
from tests.conftest import Blog


def test_the_cluster_needs_a_postgresql_ledger(blog: Blog) -> None:
    blog.store_url = "sqlite:///ledger.db"
    with pytest.raises(ConfigError, match=r"cluster\.enabled needs a PostgreSQL store\.url"):
        blog.settings("[cluster]\nenabled = true\n")
    assert not blog.settings().cluster.enabled


def test_procrastinate_is_given_the_ledger_s_address_in_libpq_form() -> None:
    url = "postgresql+psycopg://syndicate:s%40cret@127.0.0.1:5433/blog"
    assert conninfo(url) == "postgresql://syndicate:s%40cret@127.0.0.1:5433/blog"


def test_a_single_node_daemon_does_not_import_procrastinate() -> None:
    program = (
        "import sys, syndicate.daemon.service, syndicate.cli; print('procrastinate' in sys.modules)"
    )
    command = [sys.executable, "-c", program]
    shown = subprocess.run(command, check=False, capture_output=True, text=True)
    assert shown.stdout.strip() == "False", shown.stderr
