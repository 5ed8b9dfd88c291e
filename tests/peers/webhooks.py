"""Webhook receivers on 127.0.0.1 for the publisher tests, and a real Matrix homeserver.

Slack and Discord cannot run here, so `SlackHook` and `DiscordHook` answer as they do and check
what they check (the hook's path and token, the JSON, Discord's limits and `?wait=true`);
`SigningReceiver` is what a careful receiver of the generic webhook does (checks the HMAC,
drops resends by Idempotency-Key). Matrix is the real thing: Synapse, reached through a
`Proxy` so the same faults can be injected in front of it.

Every receiver records what arrived, may answer after a `latency` (a network's round trip: a
client killed in it was served but never hears so), and takes injected faults, one per request,
in order: an `Answer` given instead of the service's own, `DROP_BEFORE` / `DROP_AFTER` (the
connection is closed without an answer, before or after the service handled the request) and
`STALL` (handled, but the answer waits until the client has given up).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import itertools
import json
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

DEADLINE = 60.0  # seconds: generous, for a loaded machine; only ever waited on a condition


@dataclass(frozen=True)
class Request:
    """One request as it arrived."""

    method: str
    path: str  # without the query
    query: Mapping[str, str]
    headers: Mapping[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(cls, status: int, data: object, headers: Mapping[str, str] | None = None) -> Answer:
        return cls(
            status,
            json.dumps(data).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )

    @classmethod
    def of_text(cls, status: int, text: str, headers: Mapping[str, str] | None = None) -> Answer:
        kind = {"Content-Type": "text/html"}
        return cls(status, text.encode(), {**kind, **(headers or {})})


class Fault(enum.Enum):
    DROP_BEFORE = "drop before handling"
    DROP_AFTER = "drop after handling"
    STALL = "handle, then hold the answer"


class Receiver:
    """An HTTP server on a free port of 127.0.0.1; subclasses answer in `respond`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.answers: list[Answer] = []  # what the service answered, faults or not
        self._faults: deque[Fault | Answer] = deque()
        self.latency = 0.0  # seconds each answer waits after the request was handled
        self._lock = threading.Lock()
        self._released = threading.Event()  # lets stalled answers go, at stop
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,))
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def respond(self, request: Request) -> Answer:
        raise NotImplementedError

    def inject(self, *faults: Fault | Answer) -> None:
        """Faults for the next requests, one each, in order."""
        with self._lock:
            self._faults.extend(faults)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(DEADLINE)

    def _handle(self, request: Request) -> Answer | None:
        """The answer to send, or None to drop the connection."""
        with self._lock:
            self.requests.append(request)
            fault = self._faults.popleft() if self._faults else None
        if isinstance(fault, Answer):
            return fault
        if fault is Fault.DROP_BEFORE:
            return None
        answer = self.respond(request)
        with self._lock:
            self.answers.append(answer)
        time.sleep(self.latency)
        if fault is Fault.DROP_AFTER:
            return None
        if fault is Fault.STALL:
            self._released.wait(DEADLINE)
        return answer


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query)),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length),
            )
            answer = receiver._handle(request)
            if answer is None:
                self.close_connection = True
                return
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except ConnectionError:  # the client gave up on a stalled answer
                self.close_connection = True

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet tests

    return Handler


class SlackHook(Receiver):
    """A Slack incoming webhook at `url`: plain `ok`, Slack's error strings otherwise."""

    PATH = "/services/T0001/B0001/hooksecret"

    def __init__(self) -> None:
        super().__init__()
        self.url = self.base + self.PATH
        self.posted: list[dict[str, Any]] = []

    def respond(self, request: Request) -> Answer:
        if request.path != self.PATH:
            return Answer.of_text(404, "no_service")
        if request.method != "POST":
            return Answer.of_text(405, "invalid_method")
        try:
            payload = request.json()
        except ValueError:
            return Answer.of_text(400, "invalid_payload")
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return Answer.of_text(400, "no_text")
        self.posted.append(payload)
        return Answer.of_text(200, "ok")


class DiscordHook(Receiver):
    """A Discord webhook at `url`: checks the token, the form's limits and `?wait=true`."""

    ID, TOKEN, CHANNEL = "1100000000000000001", "hook-token", "1200000000000000001"

    def __init__(self) -> None:
        super().__init__()
        self.url = f"{self.base}/api/webhooks/{self.ID}/{self.TOKEN}"
        self.posted: list[dict[str, Any]] = []
        self._ids = itertools.count(1300000000000000001)

    def respond(self, request: Request) -> Answer:
        parts = request.path.strip("/").split("/")
        if parts[:2] != ["api", "webhooks"] or len(parts) != 4 or parts[2] != self.ID:
            return Answer.of_json(404, {"message": "Unknown Webhook", "code": 10015})
        if parts[3] != self.TOKEN:
            return Answer.of_json(401, {"message": "Invalid Webhook Token", "code": 50027})
        try:
            payload = request.json()
        except ValueError:
            return Answer.of_json(400, {"message": "Cannot send an empty message", "code": 50006})
        problem = _discord_form_problem(payload)
        if problem:
            return Answer.of_json(
                400, {"message": "Invalid Form Body", "code": 50035, "errors": problem}
            )
        self.posted.append(payload)
        if request.query.get("wait") != "true":
            return Answer(204)
        return Answer.of_json(200, self._message(payload))

    def _message(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "type": 0,
            "channel_id": self.CHANNEL,
            "webhook_id": self.ID,
            "content": payload.get("content", ""),
            "embeds": [{"type": "rich", **embed} for embed in payload.get("embeds", [])],
            "author": {"id": self.ID, "username": "Blog", "bot": True},
            "timestamp": datetime.now(UTC).isoformat(),
        }


def _discord_form_problem(payload: object) -> dict[str, str] | None:
    if not isinstance(payload, dict) or not (payload.get("content") or payload.get("embeds")):
        return {"content": "BASE_TYPE_REQUIRED"}
    if len(payload.get("content", "")) > 2000:
        return {"content": "BASE_TYPE_MAX_LENGTH"}
    for embed in payload.get("embeds", []):
        if len(embed.get("title", "")) > 256 or len(embed.get("description", "")) > 4096:
            return {"embeds": "BASE_TYPE_MAX_LENGTH"}
    mentions = payload.get("allowed_mentions", {"parse": []})
    if not set(mentions.get("parse", [])) <= {"roles", "users", "everyone"}:
        return {"allowed_mentions": "ENUM_TYPE_COERCE"}
    return None


class SigningReceiver(Receiver):
    """A receiver of the generic webhook that checks the signature and drops resends."""

    def __init__(self, signing_key: str | None) -> None:
        super().__init__()
        self.url = self.base + "/hooks/blog"
        self.signing_key = signing_key
        self.stored: dict[str, dict[str, Any]] = {}  # Idempotency-Key -> the body

    def respond(self, request: Request) -> Answer:
        if request.method != "POST" or request.path != "/hooks/blog":
            return Answer.of_json(404, {"error": "not found"})
        if self.signing_key is not None and not self._signed(request):
            return Answer.of_json(401, {"error": "bad signature"})
        key = request.headers.get("idempotency-key")
        if not key:
            return Answer.of_json(400, {"error": "Idempotency-Key required"})
        if key not in self.stored:
            self.stored[key] = request.json()
        number = list(self.stored).index(key) + 1
        return Answer.of_json(201, {"id": f"item-{number}", "url": f"{self.base}/items/{number}"})

    def _signed(self, request: Request) -> bool:
        assert self.signing_key is not None
        given = request.headers.get("x-syndicate-signature", "")
        digest = hmac.new(self.signing_key.encode(), request.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(given, f"sha256={digest}")


class Proxy(Receiver):
    """Forwards every request to `upstream`, so faults can be injected before a real server."""

    def __init__(self, upstream: str) -> None:
        super().__init__()
        self._client = httpx.Client(base_url=upstream, timeout=DEADLINE)

    def respond(self, request: Request) -> Answer:
        forwarded = {
            name: value
            for name, value in request.headers.items()
            if name in {"authorization", "content-type", "user-agent"}
        }
        response = self._client.request(
            request.method,
            request.path,
            params=request.query,
            content=request.body,
            headers=forwarded,
        )
        kept = {"Content-Type", "Retry-After"}
        headers = {name: value for name, value in response.headers.items() if name.title() in kept}
        return Answer(response.status_code, response.content, headers)

    def stop(self) -> None:
        super().stop()
        self._client.close()


_SYNAPSE_CONFIG = """\
server_name: "localhost"
pid_file: "{root}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{root}/homeserver.db"
media_store_path: "{root}/media"
signing_key_path: "{root}/localhost.signing.key"
trusted_key_servers: []
suppress_key_server_warning: true
report_stats: false
enable_registration: true
enable_registration_without_verification: true
bcrypt_rounds: 4
macaroon_secret_key: "tests-only-macaroon"
form_secret: "tests-only-form"
rc_registration: {{per_second: 1000, burst_count: 1000}}
rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
rc_message: {{per_second: 0.001, burst_count: {burst}}}
"""


class Synapse:
    """A real Matrix homeserver (Synapse, SQLite) on 127.0.0.1, for the lifetime of a `with`.

    Each user may send `burst` messages, then Synapse answers 429 M_LIMIT_EXCEEDED."""

    def __init__(self, root: Path, burst: int = 5) -> None:
        self.root = root
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._config = root / "homeserver.yaml"
        self._config.write_text(_SYNAPSE_CONFIG.format(root=root, port=self.port, burst=burst))
        self._log = root / "synapse.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._client = httpx.Client(base_url=self.base, timeout=DEADLINE)
        self._users = itertools.count(1)

    def __enter__(self) -> Synapse:
        command = [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self._config)]
        subprocess.run([*command, "--generate-keys"], check=True, capture_output=True)
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._client.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def register(self) -> tuple[str, str]:
        """A new user: (user id, access token)."""
        name = f"poster{next(self._users)}"
        form = {"username": name, "password": f"{name}-password", "auth": {"type": "m.login.dummy"}}
        answer = self._client.post("/_matrix/client/v3/register", json=form)
        answer.raise_for_status()
        return answer.json()["user_id"], answer.json()["access_token"]

    def create_room(self, token: str) -> str:
        answer = self._client.post(
            "/_matrix/client/v3/createRoom", json={"preset": "private_chat"}, headers=_bearer(token)
        )
        answer.raise_for_status()
        return str(answer.json()["room_id"])

    def messages(self, token: str, room: str) -> list[dict[str, Any]]:
        """The room's m.room.message events, oldest first, as the server stored them."""
        answer = self._client.get(
            f"/_matrix/client/v3/rooms/{quote(room, safe='')}/messages",
            params={"dir": "f", "limit": "100"},
            headers=_bearer(token),
        )
        answer.raise_for_status()
        return [event for event in answer.json()["chunk"] if event["type"] == "m.room.message"]

    def _wait_ready(self) -> None:
        assert self._process is not None
        give_up = time.monotonic() + DEADLINE * 2
        while time.monotonic() < give_up:
            if self._process.poll() is not None:
                raise RuntimeError(f"synapse exited:\n{self._log.read_text()[-3000:]}")
            try:
                if self._client.get("/_matrix/client/versions").is_success:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"synapse did not start:\n{self._log.read_text()[-3000:]}")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
