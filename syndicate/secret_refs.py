"""Secrets given by reference, never written in the config: `env:NAME` (an environment
variable) or `file:PATH` (a file's content, relative to the config's folder). Account
credentials and the S3 mirror's keys are read alike; errors name the place, never the value."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


class UnreadableSecretError(ValueError):
    """The reference points at nothing usable; the message says where, not what."""


def read_reference(reference: str, environ: Mapping[str, str], base_dir: Path) -> str:
    kind, _, where = reference.partition(":")
    if kind == "env":
        value = environ.get(where, "").strip()
        if not value:
            raise UnreadableSecretError(f"${where} is not set")
        return value
    path = (base_dir / where).expanduser()
    try:
        value = path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UnreadableSecretError(f"cannot read {path}: {reason}") from None
    if not value:
        raise UnreadableSecretError(f"{path} is empty")
    return value
