"""The one logging setup: lines for people on a terminal, JSON for machines.

Call `log.info("built", extra=fields(written=3, seconds=0.04))`; the fields become key=value
pairs on a terminal and keys of the JSON object otherwise.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from syndicate.redaction import redact

_FIELDS = "syndicate_fields"


def fields(**values: Any) -> dict[str, Any]:
    """Structured fields for a log call's `extra`."""
    return {_FIELDS: values}


class HumanFormatter(logging.Formatter):
    """`HH:MM:SS level message  key=value...`, without any credential value (redaction.py)."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).astimezone().strftime("%H:%M:%S")
        extra = getattr(record, _FIELDS, {})
        pairs = " ".join(f"{k}={_short(v)}" for k, v in extra.items())
        line = f"{stamp} {record.levelname.lower():7} {record.getMessage()}"
        if pairs:
            line += f"  {pairs}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, without any credential value (redaction.py)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, _FIELDS, {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


class _BlogField(logging.Filter):
    def __init__(self, blog: str) -> None:
        super().__init__()
        self.blog = blog

    def filter(self, record: logging.LogRecord) -> bool:
        setattr(record, _FIELDS, {"blog": self.blog, **getattr(record, _FIELDS, {})})
        return True


def _short(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if " " in text or not text else text


def setup(
    style: str = "auto",
    level: str = "info",
    stream: TextIO | None = None,
    *,
    blog: str | None = None,
) -> bool:
    """Send syndicate's (and uvicorn's) logs to `stream`, formatted for a person or a machine;
    whether for a machine (JSON lines). With `blog`, every line names it (several blogs' daemons
    write to one journal)."""
    stream = stream or sys.stderr
    human = style == "human" or (style == "auto" and stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(HumanFormatter() if human else JsonFormatter())
    if blog is not None:
        handler.addFilter(_BlogField(blog))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "apscheduler", "httpx", "httpcore", "watchfiles"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return not human
