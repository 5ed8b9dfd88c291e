"""Where the config file is looked for. Kept apart from the settings' models, so the command
line can name and find the file without loading them (`--help` loads no settings)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CONFIG_ENV = "SYNDICATE_CONFIG"
DEFAULT_CONFIG = Path("config") / "syndicate.toml"
BLOG_CONFIG = Path(".syndicate") / "syndicate.toml"  # what `init` writes inside a Jekyll/Hugo blog


def find_config(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Path:
    """`--config`, else $SYNDICATE_CONFIG, else ./config/syndicate.toml, else (in a Jekyll or
    Hugo blog) ./.syndicate/syndicate.toml."""
    if explicit:
        return Path(explicit)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    if not DEFAULT_CONFIG.exists() and BLOG_CONFIG.exists():
        return BLOG_CONFIG
    return DEFAULT_CONFIG
