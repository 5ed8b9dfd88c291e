"""Credential values out of every text: the forms they take when quoted, and their starts
left at the end of an excerpt."""

from __future__ import annotations

import json
import logging
import socket
from io import StringIO
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate import logs
from syndicate.errors import AuthError
from syndicate.publish.httpcalls import excerpt
from syndicate.redaction import REDACTED, Redactor, process_redactor

secrets = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=8, max_size=60)


@given(secrets, st.text(max_size=40), st.text(max_size=40))
def test_a_value_is_taken_out_in_every_form_it_is_quoted_in(
    secret: str, before: str, after: str
) -> None:
    redactor = Redactor()
    redactor.add(secret)
    for form in (secret, repr(secret), repr(secret.encode()), json.dumps(secret), quote(secret)):
        cleaned = redactor.redact(before + form + after)
        assert secret not in cleaned
        assert quote(secret, safe="") not in cleaned


def test_an_illegal_header_message_is_cleaned() -> None:
    """httpx quotes a header value it refuses as bytes: the token with its line break."""
    token = "abc123-secret\nsecond-line-of-it"
    redactor = Redactor()
    redactor.add(token)
    with (
        socket.create_server(("127.0.0.1", 0)) as listening,
        httpx.Client() as client,
        pytest.raises(httpx.LocalProtocolError) as refused,
    ):
        port = listening.getsockname()[1]
        client.get(f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {token}"})
    message = f"{type(refused.value).__name__}: {refused.value}"
    assert "abc123-secret" in message
    assert "abc123-secret" not in redactor.redact(message)
    assert "second-line" not in redactor.redact(json.dumps(message))


def test_a_webhook_url_is_taken_out_whole_and_by_its_path() -> None:
    url = "https://hooks.chat.example/services/T0001/B0002/abcdefXYZ123"
    redactor = Redactor()
    redactor.add(url)
    said = f"POST {url} failed; path /services/T0001/B0002/abcdefXYZ123 refused"
    assert "abcdefXYZ123" not in redactor.redact(said)
    assert "hooks.chat.example" not in redactor.redact(said)


def test_a_value_cut_short_by_an_excerpt_is_taken_out() -> None:
    token = "tok_" + "Z9y8X7w6V5u4" * 20
    redactor = Redactor()
    redactor.add(token)
    body = "error: the token " + token + " is not valid here"
    cut = excerpt(httpx.Response(401, text=body), limit=60)
    assert cut.endswith("…") and token[:20] in cut
    assert token[:10] not in redactor.redact(cut)
    assert redactor.redact("paused from the dashboard") == "paused from the dashboard"


def test_short_values_are_not_taken_out_of_every_word() -> None:
    redactor = Redactor()
    redactor.add("abc")
    assert redactor.redact("abc abc") == "abc abc"


def test_publish_errors_and_log_lines_pass_through_the_process_redactor() -> None:
    secret = "process-wide-secret-value-42"
    process_redactor().add(secret)
    assert secret not in AuthError(f"refused {secret}").reason
    stream = StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        for style in ("json", "human"):
            logs.setup(style, stream=stream)
            logging.getLogger("syndicate.test").warning(
                "saw %s", secret, extra=logs.fields(detail=secret)
            )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert secret not in stream.getvalue() and REDACTED in stream.getvalue()
