"""A LinkedIn Posts API server on 127.0.0.1 for the LinkedIn publisher's tests, written from
LinkedIn's Marketing API reference ("Posts API", "Images API", "Little Text Format"): the
bearer token (401 otherwise), `LinkedIn-Version` (YYYYMM; 426 without it) and
`X-Restli-Protocol-Version: 2.0.0`, the author it may post as (403 otherwise), the required
fields, commentary of at most 3,000 characters with its reserved characters escaped (422
otherwise), one content (an article or an uploaded image's urn), the image upload flow
(`initializeUpload`, then a PUT of the bytes to its upload URL), `x-restli-id` on a 201, and
the author's posts listed by `q=author`. Faults are injected as for every Receiver."""

from __future__ import annotations

import re
from typing import Any

from tests.peers.webhooks import Answer, Receiver, Request

TOKEN = "AQV-linkedin-token-for-tests"
AUTHOR = "urn:li:organization:2414183"
_UNESCAPED = re.compile(r"(?<!\\)[|{}@\[\]()<>#*_~]")


class LinkedInApi(Receiver):
    """`posts` holds what was created, `images` what was uploaded (urn -> bytes)."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[dict[str, Any]] = []
        self.images: dict[str, bytes | None] = {}

    def respond(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "Invalid access token", "REVOKED_ACCESS_TOKEN")
        if request.method == "PUT" and request.path.startswith("/upload/"):
            return self._store(request.path.removeprefix("/upload/"), request.body)
        if not re.fullmatch(r"\d{6}", request.headers.get("linkedin-version", "")):
            return _error(426, "A version must be present. Please specify a version by adding "
                          "the LinkedIn-Version header.", "VERSION_MISSING")  # fmt: skip
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return _error(400, "Invalid Rest.li protocol version", "INVALID_PROTOCOL_VERSION")
        if request.path == "/rest/images" and request.query.get("action") == "initializeUpload":
            return self._initialize(request.json())
        if request.path == "/rest/posts" and request.method == "POST":
            return self._create(request.json())
        if request.path == "/rest/posts" and request.method == "GET":
            if request.query.get("q") != "author" or request.query.get("author") != AUTHOR:
                return _error(403, "Not enough permissions to access posts", "ACCESS_DENIED")
            return Answer.of_json(200, {"elements": list(reversed(self.posts))})
        return _error(404, "Resource not found", "NOT_FOUND")

    def _initialize(self, body: dict[str, Any]) -> Answer:
        owner = body.get("initializeUploadRequest", {}).get("owner")
        if owner != AUTHOR:
            return _error(403, "Not enough permissions to upload for this owner", "ACCESS_DENIED")
        with self._lock:
            urn = f"urn:li:image:C4D{len(self.images):05d}"
            self.images[urn] = None
        value = {"uploadUrl": f"{self.base}/upload/{urn}", "image": urn,
                 "uploadUrlExpiresAt": 1717243200000}  # fmt: skip
        return Answer.of_json(200, {"value": value})

    def _store(self, urn: str, data: bytes) -> Answer:
        if urn not in self.images:
            return _error(404, "Upload URL not found", "NOT_FOUND")
        if not data.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8")):
            return _error(400, "Unsupported image format", "INVALID_IMAGE")
        with self._lock:
            self.images[urn] = data
        return Answer(201)

    def _create(self, body: dict[str, Any]) -> Answer:
        missing = [k for k in ("author", "commentary", "visibility", "distribution",
                               "lifecycleState") if k not in body]  # fmt: skip
        if missing:
            return _error(422, f"/{missing[0]} :: field is required", "FIELD_REQUIRED")
        if body["author"] != AUTHOR:
            return _error(403, "Not enough permissions to post as this author", "ACCESS_DENIED")
        text = str(body["commentary"])
        if len(re.sub(r"\\(.)", r"\1", text)) > 3000:
            return _error(422, "/commentary :: length must be <= 3000", "INVALID_LENGTH")
        if _UNESCAPED.search(text):
            return _error(422, "/commentary :: unescaped reserved character", "INVALID_FORMAT")
        content = body.get("content") or {}
        media = content.get("media")
        if media is not None and self.images.get(media.get("id")) is None:
            return _error(422, "/content/media/id :: image not uploaded", "INVALID_URN")
        with self._lock:
            post_id = f"urn:li:share:{7_200_000_000_000_000_000 + len(self.posts)}"
            self.posts.append({"id": post_id, **body})
        return Answer(201, b"", {"x-restli-id": post_id})


def _error(status: int, message: str, code: str) -> Answer:
    return Answer.of_json(status, {"status": status, "code": code, "message": message})
