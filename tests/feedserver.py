"""A small HTTP server for built feeds that answers conditional GETs, as a real host would.

It serves files from a directory on 127.0.0.1 with strong ETags and Last-Modified, answers
If-None-Match / If-Modified-Since with 304, and keeps a log of (path, status, request headers)
so tests can see what real clients asked for.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TYPES = {
    ".xml": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".json": "application/feed+json",
}


class FeedServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.log: list[tuple[str, int, dict[str, str]]] = []
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def statuses(self, path: str) -> list[int]:
        return [status for logged, status, _ in self.log if logged == "/" + path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = (server.root / self.path.lstrip("/").split("?")[0]).resolve()
            if not path.is_file() or not path.is_relative_to(server.root.resolve()):
                self._answer(404, {})
                return
            data = path.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            modified = path.stat().st_mtime
            headers = {
                "ETag": etag,
                "Last-Modified": formatdate(modified, usegmt=True),
                "Content-Type": TYPES.get(path.suffix, "application/octet-stream")
                + "; charset=utf-8",
            }
            if self._fresh(etag, modified):
                self._answer(304, headers)
                return
            self._answer(200, headers, data)

        def _fresh(self, etag: str, modified: float) -> bool:
            match = self.headers.get("If-None-Match")
            if match is not None:
                return etag in [tag.strip() for tag in match.split(",")]
            since = self.headers.get("If-Modified-Since")
            if since:
                try:
                    return int(modified) <= int(parsedate_to_datetime(since).timestamp())
                except (TypeError, ValueError):
                    return False
            return False

        def _answer(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            server.log.append((self.path, status, dict(self.headers.items())))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test reads server.log instead

    return Handler


@contextmanager
def serving(root: Path) -> Iterator[FeedServer]:
    server = FeedServer(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
