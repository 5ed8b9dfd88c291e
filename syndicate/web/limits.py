"""Bounds on what one client can make the server hold: connections, time, head and body.

uvicorn bounds none of these by itself: a connection that sends nothing, or half a request, is
kept for ever; with httptools a request head may grow without limit; and a body is read by
whatever route takes it. So, whichever parser runs (h11 or httptools):

- **Connections** (`max_connections`): past the limit, the connection that has waited longest
  for a request is closed to make room; when every connection is busy, the new one is closed.
- **Time** (`request_timeout`): a connection must deliver a request's head within this many
  seconds of opening or of its previous answer, and then its body within as many again;
  between requests a connection idles at most `keep_alive` seconds.
- **Head** (`max_header_bytes`, `max_headers`): counted as the bytes arrive, before any parser
  holds them: 431 and the connection closed.
- **Body** (`max_body`): only the dashboard's and API's POSTs take one; a request declaring a
  larger body is refused with 413 before anything is read (a multipart upload is never
  spooled), and one that sends more than it may is cut off at the limit.

`limited_protocol` makes the uvicorn protocol class (connections, time, head); `RequestLimits`
is the ASGI middleware (body, header count, and `nosniff` on every answer).
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, ClassVar

import anyio
import msgspec
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syndicate.config import ServerSettings

BODY_ROUTES = ("/admin/", "/api/")  # POSTs under these take a (small) body; nothing else does


class Limits(msgspec.Struct, frozen=True):
    max_connections: int = 1000
    request_timeout: float = 10.0
    keep_alive: int = 5
    max_header_bytes: int = 16384
    max_headers: int = 100
    max_body: int = 65536

    @classmethod
    def of(cls, server: ServerSettings) -> Limits:
        return cls(
            max_connections=server.max_connections,
            request_timeout=server.request_timeout,
            keep_alive=server.keep_alive,
            max_header_bytes=server.max_header_bytes,
            max_headers=server.max_headers,
            max_body=server.max_body,
        )


def parser_class(name: str) -> type[asyncio.Protocol]:
    """uvicorn's protocol class for `name` ("auto": httptools when installed, as uvicorn
    chooses, else h11)."""
    if name == "auto":
        name = "httptools" if importlib.util.find_spec("httptools") else "h11"
    if name == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    from uvicorn.protocols.http.h11_impl import H11Protocol

    return H11Protocol


def refusal(status: int, reason: str) -> bytes:
    """A complete answer that closes the connection, written straight to the socket."""
    body = (reason + "\n").encode()
    phrase = HTTPStatus(status).phrase
    return (
        f"HTTP/1.1 {status} {phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n"
        "x-content-type-options: nosniff\r\n\r\n"
    ).encode() + body


def limited_protocol(base: type[asyncio.Protocol], limits: Limits) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's protocol class `base` (H11Protocol or HttpToolsProtocol) that
    keeps to `limits`. Its hooks are the methods both classes share: connection_made,
    data_received, on_response_complete, connection_lost; and `cycle`, the request under way.
    Each class made has its own table of connections waiting for a request."""
    waiting: OrderedDict[Any, None] = OrderedDict()

    class Limited(base):  # type: ignore[valid-type,misc]
        _limits: ClassVar[Limits] = limits
        _waiting: ClassVar[OrderedDict[Any, None]] = waiting

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._head_bytes = 0
            self._timer: asyncio.TimerHandle | None = None
            self._armed: Any = None
            if len(self.connections) > self._limits.max_connections and not self._make_room():
                transport.close()
                return
            self._await_request()

        def data_received(self, data: bytes) -> None:
            if self._head_bytes > self._limits.max_header_bytes:
                return  # refused already; the connection is closing
            super().data_received(data)
            if not self._idle():
                self._head_bytes = 0  # a request is under way: its head was complete
                return
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_header_bytes:
                self._refuse(431, "request head too large")

        def on_response_complete(self) -> None:
            before = self.cycle
            super().on_response_complete()
            if self.cycle is before and not self.transport.is_closing():
                self._await_request()

        def connection_lost(self, exc: Exception | None) -> None:
            self._waiting.pop(self, None)
            if self._timer is not None:
                self._timer.cancel()
            super().connection_lost(exc)

        # -- ours ------------------------------------------------------------------------

        def _idle(self) -> bool:
            """No request under way: waiting for a head (or in the middle of one)."""
            return self.cycle is None or bool(self.cycle.response_complete)

        def _await_request(self) -> None:
            self._armed = self.cycle
            self._head_bytes = 0
            self._waiting[self] = None
            self._waiting.move_to_end(self)
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.loop.call_later(self._limits.request_timeout, self._expired)

        def _expired(self) -> None:
            if self.cycle is self._armed and self._idle() and not self.transport.is_closing():
                self.transport.close()  # nothing, or only part of a head, came in time

        def _make_room(self) -> bool:
            """Close the connection that has waited longest for a request; False if every
            other connection has one under way."""
            while self._waiting:
                other, _ = self._waiting.popitem(last=False)
                if other is not self and other._idle() and not other.transport.is_closing():
                    other.transport.close()
                    return True
            return False

        def _refuse(self, status: int, reason: str) -> None:
            self._head_bytes = self._limits.max_header_bytes + 1
            self.transport.write(refusal(status, reason))
            self.transport.close()

    Limited.__name__ = Limited.__qualname__ = f"Limited{base.__name__}"
    return Limited


class RequestLimits:
    """ASGI middleware: the body limit per route, the count of headers, and `nosniff` on
    every answer (plain-text errors, /healthz, /metrics and the style sheet included)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self._limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _nosniff(send)
        if len(scope["headers"]) > self._limits.max_headers:
            await _answer(send, 431, "too many request headers")
            return
        limit = self._body_limit(scope)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and not declared.strip().isdigit():
            await _answer(send, 400, "bad Content-Length")
            return
        if declared is not None and int(declared) > limit:
            await _answer(send, 413, f"a request body here may have at most {limit} bytes")
            return
        if declared is None and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        try:
            with anyio.fail_after(self._limits.request_timeout):
                body = await _read_body(receive, limit)
        except TimeoutError:
            await _answer(send, 408, "the request body came too slowly")
            return
        if body is None:
            await _answer(send, 413, f"a request body here may have at most {limit} bytes")
            return
        await self.app(scope, _replay(body, receive), send)

    def _body_limit(self, scope: Scope) -> int:
        if scope["method"] == "POST" and str(scope["path"]).startswith(BODY_ROUTES):
            return self._limits.max_body
        return 0


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client left; the app will see the disconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _nosniff(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(name.lower() == b"x-content-type-options" for name, _ in headers):
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
        await send(message)

    return sending


async def _answer(send: Send, status: int, reason: str) -> None:
    body = (reason + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
