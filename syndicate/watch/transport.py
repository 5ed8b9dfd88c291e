"""The HTTP transport a source is polled through: addresses checked where connections are
made, and one time limit for a whole poll.

httpx follows redirects itself and makes each hop's connection through its transport's network
backend. Ours resolves the host name once, checks each address it resolves to against the
source's AddressPolicy, and connects only to an address it allowed: a name that resolves to a
public address for a check and to an internal one a moment later (DNS rebinding) cannot slip
through, as nothing resolves it again. The initial address and every redirect target are
checked alike (a redirect to the source's own host passes because it is the same address, not
because it is a redirect), and no scheme but http and https is followed.

Every socket operation also waits no longer than what is left of the poll's time (a request
extension, `DEADLINE`), so a server that drips its headers or its body a byte at a time cannot
hold a poll, and the scheduler thread running it, for longer than the source's `timeout`.

Environment proxies are not used: with one, the proxy would connect, unchecked.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from syndicate.watch.addresses import AddressPolicy, IPAddress, normal_host

DEADLINE = "syndicate.deadline"  # request extension: time.monotonic() by which the poll ends

Resolver = Callable[[str, int], list[IPAddress]]


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order, once each."""
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


class PollTimeoutError(httpcore.ReadTimeout):
    """The poll's whole time ran out (httpx reports it as a ReadTimeout)."""


class _Deadline(threading.local):
    """The deadline of the poll this thread is making (a poll runs in one thread)."""

    at: float | None = None

    def timeout(self, timeout: float | None) -> float | None:
        """`timeout` shortened to what is left of the poll's time; raises when none is."""
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise PollTimeoutError("the poll ran out of time")
        return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.timeout(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.timeout(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        secured = self._stream.start_tls(
            ssl_context, server_hostname, self._deadline.timeout(timeout)
        )
        return _BoundedStream(secured, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses the policy allows, to the very address it checked."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver, deadline: _Deadline) -> None:
        self._policy = policy
        self._resolver = resolver
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        failure: Exception | None = None
        for address in self._policy.allowed(host, addresses, self._own(host, port, addresses)):
            try:
                stream = super().connect_tcp(
                    str(address), port, self._deadline.timeout(timeout), local_address,
                    socket_options,
                )  # fmt: skip
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _BoundedStream(stream, self._deadline)
        assert failure is not None
        raise failure

    def _own(self, host: str, port: int, addresses: list[IPAddress]) -> frozenset[IPAddress]:
        """The addresses of the source's own host: resolved only when it is a name other
        than `host` (`localhost`, when a redirect leads elsewhere)."""
        own = self._policy.own_host
        if own is None:
            return frozenset()
        if normal_host(host) == own:
            return self._policy.own_addresses(addresses)
        try:
            return self._policy.own_addresses(self._resolver(own, port))
        except (OSError, UnicodeError):
            return self._policy.own_addresses()


class SourceTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connections made by the guarded backend."""

    def __init__(self, policy: AddressPolicy, *, resolver: Resolver = resolve) -> None:
        super().__init__(trust_env=False)
        self._deadline = _Deadline()
        # httpx offers no way to name the network backend of the pool it builds: build the
        # same pool (no proxy) with ours. `_pool` is what HTTPTransport sends through.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=_GuardedBackend(policy, resolver, self._deadline),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(
                f"not following a redirect to a {request.url.scheme}: address", request=request
            )
        at = request.extensions.get(DEADLINE)
        self._deadline.at = float(at) if isinstance(at, int | float) else None
        return super().handle_request(request)


__all__ = ["DEADLINE", "PollTimeoutError", "SourceTransport", "resolve"]
