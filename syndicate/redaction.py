"""Taking credentials out of every text that is stored or shown.

Each credential value is registered once, when it is resolved (publish/credentials.py), with
the process's `Redactor`. Error texts pass through `redact()` before the outbox stores them,
and every log line before it is written, so a secret that an exception or a network's answer
quoted (a token in an "illegal header" message, a webhook URL in a refusal) becomes
`[redacted]`. The forms a value takes when quoted are registered too: Python's `repr` of it as
text and as bytes, percent-encoding (OAuth headers, URLs), JSON escaping, and for a URL its
path and query, where a webhook's secret lives. A value cut short at the end of an excerpt
("…") is caught by its first characters.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import quote, urlsplit

REDACTED = "[redacted]"
MIN_LENGTH = 6  # shorter values cannot be secrets worth the name; redacting them mangles text
_PREFIX = 8  # the shortest start of a value that, cut off by "…", is still taken out
_ELLIPSES = ("…", "...")


class Redactor:
    """The secret values this process knows, and the text without them. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forms: tuple[str, ...] = ()  # longest first, so a form inside another goes last

    def add(self, value: str) -> None:
        """Know `value` (and the forms it takes when quoted) from now on."""
        forms = variants(value)
        if not forms:
            return
        with self._lock:
            known = set(self._forms) | forms
            self._forms = tuple(sorted(known, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """`text` with every known value (in any of its forms) replaced by `[redacted]`."""
        forms = self._forms
        if not forms or not text:
            return text
        for form in forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return _cut_tail(text, forms)

    def __call__(self, text: str) -> str:
        return self.redact(text)


def variants(value: str) -> set[str]:
    """The forms `value` may take inside a message."""
    value = value.strip()
    if len(value) < MIN_LENGTH:
        return set()
    forms = {
        value,
        repr(value)[1:-1],
        repr(value.encode("utf-8", "backslashreplace"))[2:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        quote(value, safe=""),
        quote(value, safe="/:"),
    }
    parts = urlsplit(value) if "://" in value else None
    if parts is not None and parts.netloc:
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        if len(tail.strip("/")) >= MIN_LENGTH:  # a webhook's secret is its path (and query)
            forms |= {tail, quote(tail, safe="/?&=")}
    forms |= {json.dumps(form)[1:-1] for form in forms}  # quoted forms inside JSON text
    return {form for form in forms if len(form) >= MIN_LENGTH}


def _cut_tail(text: str, forms: tuple[str, ...]) -> str:
    """A value's start left at the end of a shortened excerpt (`…abc` cut at a limit)."""
    for ellipsis in _ELLIPSES:
        body = text.removesuffix(ellipsis)
        if body == text:
            continue
        for form in forms:
            for size in range(min(len(form) - 1, len(body)), _PREFIX - 1, -1):
                if body.endswith(form[:size]):
                    return body[: len(body) - size] + REDACTED + ellipsis
    return text


_process = Redactor()


def process_redactor() -> Redactor:
    """The redactor of this process: what credential resolution registers with."""
    return _process


def redact(text: str) -> str:
    """`text` without any credential value this process has resolved."""
    return _process.redact(text)
