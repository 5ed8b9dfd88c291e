"""A Threads API server on 127.0.0.1 for the Threads publisher's tests, written from Meta's
Threads API reference ("Posts", "Reply management", "Rate limits"): the access token on every
call (OAuthException code 190 otherwise), a media container (`POST /v1.0/{user}/threads`:
media_type TEXT or IMAGE, text of at most 500 characters with an emoji counted as its UTF-8
bytes, `image_url` fetched by the server itself and refused unless JPEG or PNG of at most
8 MB, `alt_text`, `reply_to_id` naming a published post), then `threads_publish` with its
`creation_id` (each container published once), and the listing of posts and replies.
Errors come in the Graph API's shape `{"error": {"message", "type", "code"}}`.
Faults are injected as for every Receiver (tests/peers/webhooks.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import regex

from tests.peers.webhooks import Answer, Receiver, Request

TOKEN = "THQWJ-threads-token-for-tests"
USER = "me"
_GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(r"\p{Extended_Pictographic}")


class ThreadsApi(Receiver):
    """`posts` holds what was published, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.containers: dict[str, dict[str, Any]] = {}
        self.posts: list[dict[str, Any]] = []

    def respond(self, request: Request) -> Answer:
        if request.query.get("access_token") != TOKEN:
            return _error(400, "Invalid OAuth access token.", "OAuthException", 190)
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 2 and parts[0] == "v1.0":
            found = [p for p in self.posts if p["id"] == parts[1]]
            if not found:
                return _error(400, "Object does not exist", "GraphMethodException", 100)
            return Answer.of_json(200, {"id": parts[1], "permalink": found[0]["permalink"]})
        if len(parts) != 3 or parts[0] != "v1.0" or parts[1] != USER:
            return _error(404, "Unsupported request", "GraphMethodException", 100)
        action = parts[2]
        if request.method == "POST" and action == "threads":
            return self._contain(request.query)
        if request.method == "POST" and action == "threads_publish":
            return self._publish(request.query.get("creation_id", ""))
        if request.method == "GET" and action in {"threads", "replies"}:
            wanted = [p for p in self.posts if bool(p.get("replied_to")) == (action == "replies")]
            return Answer.of_json(200, {"data": list(reversed(wanted))})
        return _error(404, "Unsupported request", "GraphMethodException", 100)

    def _contain(self, query: Mapping[str, str]) -> Answer:
        kind = query.get("media_type")
        text = query.get("text", "")
        if kind not in {"TEXT", "IMAGE"}:
            return _error(400, "Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}")
        if kind == "TEXT" and not text:
            return _error(400, "Param text is required for TEXT posts")
        if length(text) > 500:
            return _error(400, "Param text must be at most 500 characters long.")
        reply = query.get("reply_to_id")
        if reply and all(p["id"] != reply for p in self.posts):
            return _error(400, "Param reply_to_id is not a valid post")
        image = None
        if kind == "IMAGE":
            image = _fetch(query.get("image_url", ""))
            if image is None:
                return _error(400, "The media could not be fetched from this uri.", code=9004)
        with self._lock:
            container = str(17_000_000 + len(self.containers))
            alt = query.get("alt_text")
            made = {"text": text, "image": image, "reply": reply, "alt": alt, "published": False}
            self.containers[container] = made
        return Answer.of_json(200, {"id": container})

    def _publish(self, container_id: str) -> Answer:
        with self._lock:
            container = self.containers.get(container_id)
            if container is None or container["published"]:
                return _error(400, "Param creation_id is not a valid container", code=24)
            container["published"] = True
            post_id = str(18_000_000 + len(self.posts))
            post: dict[str, Any] = {
                "id": post_id,
                "text": container["text"],
                "permalink": f"https://www.threads.net/@syndicate/post/{post_id}",
                "image": container["image"],
                "alt_text": container["alt"],
            }
            if container["reply"]:
                post["replied_to"] = {"id": container["reply"]}
            self.posts.append(post)
        return Answer.of_json(200, {"id": post_id})


def length(text: str) -> int:
    """Threads' count: characters, an emoji as its UTF-8 bytes."""
    return sum(len(g.encode()) if _EMOJI.search(g) else 1 for g in _GRAPHEME.findall(text))


def _fetch(url: str) -> bytes | None:
    try:
        answer = httpx.get(url, timeout=10)
    except httpx.HTTPError:
        return None
    data = answer.content
    if answer.status_code != 200 or len(data) > 8 * 1024 * 1024:
        return None
    return data if data.startswith((b"\xff\xd8\xff", b"\x89PNG")) else None


def _error(status: int, message: str, kind: str = "OAuthException", code: int = 100) -> Answer:
    return Answer.of_json(status, {"error": {"message": message, "type": kind, "code": code}})


def rate_limited() -> Answer:
    """The Graph API's answer to a profile past its posting limit, as a fault to inject."""
    return _error(400, "Application request limit reached", "OAuthException", 4)
