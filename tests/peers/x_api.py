"""A local X API v2 server for tests, on 127.0.0.1 in a thread.

It checks what X checks before answering: every request must carry a valid OAuth 1.0a
signature for the URL it was really sent to (oauthlib's server endpoint verifies it, nonces and
timestamps included), from the one app and user it knows. It answers `POST /2/tweets`,
`GET /2/users/me` and `GET /2/users/:id/tweets` in X's shapes: posted text comes back with its
URLs rewritten to t.co and `&`, `<`, `>` as HTML entities, and posting the same text twice gets
X's duplicate-content 403. Tests can script faults for the next requests (a status, a 429 with
its reset, a dropped connection, an answer held back), slow every answer down (`latency`), and
read what it received.
"""

from __future__ import annotations

import email.policy
import hashlib
import json
import re
import secrets
import socket
import string
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from oauthlib.common import Request
from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint

from tests.peers.threads import serving

FIRST_ID = 1_800_000_000_000_000_000  # tweet ids are 19-digit snowflakes
MEDIA_FIRST_ID = 1_900_000_000_000_000_000
MEDIA_LIMIT = 5 * 1024 * 1024  # bytes of an image
ALT_LIMIT = 1000  # characters of alt text
HOLD_LIMIT = 120.0  # seconds a held answer waits for release, so a forgotten hold cannot hang
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class XCredentials:
    """One app's consumer key and secret and one user's access token and secret."""

    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str

    @classmethod
    def generate(cls, user_id: str) -> XCredentials:
        """Fresh credentials shaped like X's (an access token starts with the user's id)."""
        return cls(
            consumer_key=_random(25),
            consumer_secret=_random(50),
            access_token=f"{user_id}-{_random(40)}",
            access_token_secret=_random(45),
        )

    def secrets(self) -> dict[str, str]:
        """As a publisher's Context holds them."""
        return {
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "access_token": self.access_token,
            "access_token_secret": self.access_token_secret,
        }


@dataclass(frozen=True, slots=True)
class Fault:
    """What the peer does to one matching request instead of answering it normally.

    `status`: answer `code` with `body` (X's problem shape by default). `rate_limit`: 429 with
    `x-rate-limit-reset: reset`, plus `daily_reset` as the exhausted 24-hour user limit. `drop`:
    close the connection without answering. `hold`: the request takes effect, and its answer
    waits for `release()`. With `apply`, a `status`, `rate_limit` or `drop` fault lets the request
    take effect first (the post exists), as when X fails after doing the work. `none`: answer
    as usual (queued before another fault, it lets that one land on a later request)."""

    kind: Literal["status", "rate_limit", "drop", "hold", "none"]
    code: int = 503
    body: Mapping[str, Any] | None = None
    reset: int = 0
    daily_reset: int | None = None
    apply: bool = False


@dataclass(frozen=True, slots=True)
class Received:
    method: str
    path: str  # with its query
    body: bytes
    signed: bool  # the OAuth 1.0a signature was valid for this app and user


@dataclass(frozen=True, slots=True)
class Tweet:
    id: str
    text: str  # as X shows it: t.co links, HTML entities
    posted: str  # as it was sent
    in_reply_to: str | None = None  # the tweet it answers (a thread's later part)
    media_ids: tuple[str, ...] = ()


@dataclass(slots=True)
class Media:
    """An uploaded image as X keeps it until a post uses it."""

    id: str
    data: bytes
    media_type: str
    alt: str | None = None


@dataclass(slots=True)
class _State:
    tweets: list[Tweet] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    faults: list[tuple[str, str, Fault]] = field(default_factory=list)  # method, path prefix


class _Validator(RequestValidator):
    """Knows one app and one user; remembers every nonce, as X refuses a replayed request."""

    enforce_ssl = False  # the peer speaks plain HTTP on loopback; X itself only speaks HTTPS

    def __init__(self, credentials: XCredentials) -> None:
        super().__init__()
        self._credentials = credentials
        self._nonces: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    @property
    def dummy_client(self) -> str:
        return "dummy-client-key-000000"

    @property
    def dummy_access_token(self) -> str:
        return "dummy-access-token-000000"

    def validate_client_key(self, client_key: str, request: Request) -> bool:
        return client_key == self._credentials.consumer_key

    def get_client_secret(self, client_key: str, request: Request) -> str:
        if client_key == self._credentials.consumer_key:
            return self._credentials.consumer_secret
        return "dummy-secret"

    def get_access_token_secret(self, client_key: str, token: str, request: Request) -> str:
        if token == self._credentials.access_token:
            return self._credentials.access_token_secret
        return "dummy-secret"

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Request,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        with self._lock:
            seen = (client_key, timestamp, nonce)
            if seen in self._nonces:
                return False
            self._nonces.add(seen)
            return True


class XApiPeer:
    """The server; use `running()` to start and stop it around a test."""

    def __init__(self, credentials: XCredentials, user_id: str, username: str) -> None:
        self.credentials = credentials
        self.user_id = user_id
        self.username = username
        self._endpoint = SignatureOnlyEndpoint(_Validator(credentials))
        self._state = _State()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.latency = 0.0  # seconds each answer waits after the request took effect
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.peer = self
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    @contextmanager
    def running(self) -> Iterator[XApiPeer]:
        with serving(self._server):
            try:
                yield self
            finally:
                self._released.set()  # held answers go before the server waits for them

    def fail_next(self, fault: Fault, *, method: str = "POST", path: str = "/2/tweets") -> None:
        """Apply `fault` to the next request to `method` `path...` (queued in order). A hold
        holds until `release()`; arming one re-arms the release."""
        with self._lock:
            self._state.faults.append((method, path, fault))
            if fault.kind == "hold":
                self._released.clear()

    def release(self) -> None:
        """Let held answers go."""
        self._released.set()

    @property
    def tweets(self) -> list[Tweet]:
        with self._lock:
            return list(self._state.tweets)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._state.received)

    def requests_to(self, method: str, path: str) -> list[Received]:
        return [r for r in self.received if r.method == method and r.path.startswith(path)]

    def post_tweet(self, text: str) -> Tweet:
        """Post as the user, the way X stores it; for seeding a timeline."""
        with self._lock:
            return self._add(text)

    # -- used by the handler --------------------------------------------------------------

    def verify(self, method: str, uri: str, body: bytes, headers: Mapping[str, str]) -> bool:
        valid, request = self._endpoint.validate_request(
            uri, method, body.decode("utf-8", "replace"), dict(headers)
        )
        return (
            bool(valid)
            and request is not None
            and (request.resource_owner_key == self.credentials.access_token)
        )

    def record(self, received: Received) -> None:
        with self._lock:
            self._state.received.append(received)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for index, (want_method, prefix, fault) in enumerate(self._state.faults):
                if method == want_method and path.startswith(prefix):
                    del self._state.faults[index]
                    return fault
        return None

    def hold(self) -> None:
        self._released.wait(HOLD_LIMIT)

    def create(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        text = payload.get("text") if isinstance(payload, dict) else None
        if not isinstance(text, str) or not text.strip():
            return 400, _invalid("text", "The `text` field is required and may not be empty.")
        media = payload.get("media") if isinstance(payload, dict) else None
        media_ids = tuple(media.get("media_ids", ())) if isinstance(media, dict) else ()
        if any(m not in self._state.media for m in media_ids):
            return 400, _invalid("media.media_ids", "Your media IDs are invalid.")
        reply = payload.get("reply") if isinstance(payload, dict) else None
        answering = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        with self._lock:
            if answering is not None and all(t.id != answering for t in self._state.tweets):
                return 400, _invalid(
                    "reply.in_reply_to_tweet_id",
                    "The Tweet you are replying to does not exist or has been deleted.",
                )
            if any(tweet.posted == text for tweet in self._state.tweets):
                return 403, _problem(
                    403,
                    "Forbidden",
                    "You are not allowed to create a Tweet with duplicate content.",
                )
            tweet = self._add(text, answering, media_ids)
        return 201, {"data": _tweet_json(tweet)}

    def upload(self, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """POST /2/media/upload: one image, multipart, as X's reference describes it: the
        `media` part (at most 5 MB, JPEG, PNG, GIF or WEBP by its bytes), `media_category`."""
        fields = _multipart(content_type, body)
        data = fields.get("media")
        if data is None:
            return 400, _invalid("media", "The `media` field is required.")
        kind = _sniff(data)
        if kind is None:
            return 400, _invalid("media", "Unsupported media type.")
        if len(data) > MEDIA_LIMIT:
            return 400, _invalid("media", "File size exceeds 5242880 bytes.")
        with self._lock:
            media = Media(str(MEDIA_FIRST_ID + len(self._state.media)), data, kind)
            self._state.media[media.id] = media
        found = {"id": media.id, "media_key": f"3_{media.id}", "size": len(data),
                 "expires_after_secs": 86400}  # fmt: skip
        return 200, {"data": found}

    def metadata(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """POST /2/media/metadata: alt text (at most 1,000 characters) for an uploaded id."""
        payload = json.loads(body or b"{}")
        media_id = payload.get("id")
        alt = payload.get("metadata", {}).get("alt_text", {}).get("text")
        with self._lock:
            media = self._state.media.get(str(media_id))
            if media is None:
                return 400, _invalid("id", "The media id is invalid.")
            if not isinstance(alt, str) or len(alt) > ALT_LIMIT:
                return 400, _invalid("metadata.alt_text.text", "Alt text is too long.")
            media.alt = alt
        return 200, {"data": {"id": media.id, "associated_metadata": {"alt_text": {"text": alt}}}}

    @property
    def media(self) -> dict[str, Media]:
        with self._lock:
            return dict(self._state.media)

    def me(self) -> dict[str, Any]:
        return {"data": {"id": self.user_id, "name": "Syndicate Test", "username": self.username}}

    def timeline(self, user_id: str, query: Mapping[str, list[str]]) -> tuple[int, Any]:
        count = int(query.get("max_results", ["10"])[0])
        if not 5 <= count <= 100:
            return 400, _invalid("max_results", "max_results must be between 5 and 100.")
        with self._lock:
            own = user_id == self.user_id
            excluded = ",".join(query.get("exclude", [""])).split(",")
            shown = [t for t in self._state.tweets if not (t.in_reply_to and "replies" in excluded)]
            tweets = list(reversed(shown))[:count] if own else []
        if not tweets:
            return 200, {"meta": {"result_count": 0}}
        meta = {"result_count": len(tweets), "newest_id": tweets[0].id, "oldest_id": tweets[-1].id}
        fields = ",".join(query.get("tweet.fields", [""])).split(",")
        data = [_tweet_json(t, referenced="referenced_tweets" in fields) for t in tweets]
        return 200, {"data": data, "meta": meta}

    def _add(
        self, text: str, in_reply_to: str | None = None, media_ids: tuple[str, ...] = ()
    ) -> Tweet:
        tweet_id = str(FIRST_ID + len(self._state.tweets))
        shown = _as_shown(text)
        if media_ids:  # X shows the media as a t.co link after the text
            shown += " https://t.co/" + _short(f"media {media_ids[0]}")
        tweet = Tweet(tweet_id, shown, text, in_reply_to, media_ids)
        self._state.tweets.append(tweet)
        return tweet


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    peer: XApiPeer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client gone before a held answer is what the hold is for


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections close on their own
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        peer = self.server.peer
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        uri = f"http://{self.headers.get('Host', '')}{self.path}"
        signed = peer.verify(self.command, uri, body, dict(self.headers.items()))
        peer.record(Received(self.command, self.path, body, signed))
        if not signed:
            self._answer(401, _problem(401, "Unauthorized", "Unauthorized"))
            return
        fault = peer.take_fault(self.command, urlsplit(self.path).path)
        if fault is not None and fault.kind == "none":
            fault = None
        if fault is not None and fault.kind != "hold":
            self._fail(fault, body)
            return
        status, payload = self._route(body)
        time.sleep(peer.latency)
        if fault is not None:
            peer.hold()
        self._answer(status, payload)

    def _fail(self, fault: Fault, body: bytes) -> None:
        if fault.apply:
            self._route(body)
        if fault.kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif fault.kind == "rate_limit":
            headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0"}
            headers["x-rate-limit-reset"] = str(fault.reset)
            if fault.daily_reset is not None:
                headers |= {
                    "x-user-limit-24hour-limit": "17",
                    "x-user-limit-24hour-remaining": "0",
                    "x-user-limit-24hour-reset": str(fault.daily_reset),
                }
            self._answer(429, _problem(429, "Too Many Requests", "Too Many Requests"), headers)
        else:
            reason = self.responses.get(fault.code, ("Error",))[0]
            self._answer(fault.code, dict(fault.body or _problem(fault.code, reason, reason)))

    def _route(self, body: bytes) -> tuple[int, Any]:
        peer = self.server.peer
        parts = urlsplit(self.path)
        segments = parts.path.strip("/").split("/")
        if self.command == "POST" and segments == ["2", "tweets"]:
            return peer.create(body)
        if self.command == "POST" and segments == ["2", "media", "upload"]:
            return peer.upload(self.headers.get("Content-Type", ""), body)
        if self.command == "POST" and segments == ["2", "media", "metadata"]:
            return peer.metadata(body)
        if self.command == "GET" and segments == ["2", "users", "me"]:
            return 200, peer.me()
        if self.command == "GET" and len(segments) == 4 and segments[1:4:2] == ["users", "tweets"]:
            return peer.timeline(segments[2], parse_qs(parts.query))
        return 404, _problem(404, "Not Found Error", "Sorry, that page does not exist.")

    def _answer(self, status: int, payload: Any, headers: Mapping[str, str] = {}) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up waiting


def _multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    """The named parts of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    found: dict[str, bytes] = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            found[name] = payload
    return found


def _sniff(data: bytes) -> str | None:
    """The image type X would find in `data`'s first bytes."""
    signatures = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png",
                  b"GIF87a": "image/gif", b"GIF89a": "image/gif"}  # fmt: skip
    for start, kind in signatures.items():
        if data.startswith(start):
            return kind
    return "image/webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None


def free_port() -> int:
    """A port nothing listens on (for a refused connection)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_shown(text: str) -> str:
    """X's rendering of posted text: every URL a t.co link, and HTML's three entities."""
    linked = _URL.sub(lambda m: "https://t.co/" + _short(m.group()), text)
    return linked.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _short(url: str) -> str:
    digest = hashlib.sha256(url.encode()).digest()
    return "".join(_ALNUM[byte % len(_ALNUM)] for byte in digest[:10])


def _tweet_json(tweet: Tweet, *, referenced: bool = False) -> dict[str, Any]:
    """A tweet object; `referenced_tweets` (a reply's `replied_to`) only when asked for by
    `tweet.fields`, as X gives it."""
    found: dict[str, Any] = {"id": tweet.id, "text": tweet.text,
                             "edit_history_tweet_ids": [tweet.id]}  # fmt: skip
    if referenced and tweet.in_reply_to:
        found["referenced_tweets"] = [{"type": "replied_to", "id": tweet.in_reply_to}]
    return found


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def _invalid(parameter: str, message: str) -> dict[str, Any]:
    return {
        "errors": [{"parameters": {parameter: []}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))
