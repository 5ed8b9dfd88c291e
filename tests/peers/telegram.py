"""A Telegram Bot API server on 127.0.0.1 for the Telegram publisher's tests, written from the
Bot API reference (core.telegram.org/bots/api): the token in the path (`/bot<token>/METHOD`,
401 otherwise), the chat (400 "chat not found"; 403 when the bot may not post there),
HTML parse mode (400 "can't parse entities" for markup it cannot read), the limits
measured after the entities are parsed (message text 1-4096 characters, caption 0-1024),
`sendPhoto` as multipart with a photo of at most 10 MB, and its answers
`{"ok": true, "result": Message}` / `{"ok": false, "error_code", "description"}`.
Faults are injected as for every Receiver (tests/peers/webhooks.py)."""

from __future__ import annotations

import email.policy
import json
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

from tests.peers.webhooks import Answer, Receiver, Request

TOKEN = "123456:telegram-bot-token-for-tests"
CHANNEL = "@syndicatetests"
READ_ONLY = "@somebodyelses"
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "tg-spoiler", "span", "blockquote", "tg-emoji"}  # fmt: skip


class TelegramBotApi(Receiver):
    """Keeps each message it accepts; `sent` lists them in order."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.sent: list[dict[str, Any]] = []

    def respond(self, request: Request) -> Answer:
        _, bot, method = (
            request.path.split("/", 2) if request.path.count("/") == 2 else ("", "", "")
        )
        if bot != f"bot{self.token}":
            return _failed(401, "Unauthorized")
        if request.method != "POST" or method not in {"sendMessage", "sendPhoto"}:
            return _failed(404, "Not Found")
        fields = _fields(request)
        chat = str(fields.get("chat_id", ""))
        if chat == READ_ONLY:
            return _failed(403, "Forbidden: bot is not a member of the channel chat")
        if chat != CHANNEL:
            return _failed(400, "Bad Request: chat not found")
        if method == "sendMessage":
            return self._message(fields)
        return self._photo(fields)

    def _message(self, fields: dict[str, Any]) -> Answer:
        text = _parsed(str(fields.get("text", "")), fields.get("parse_mode"))
        if text is None:
            return _failed(400, "Bad Request: can't parse entities")
        if not text.strip():
            return _failed(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _failed(400, "Bad Request: message is too long")
        return self._keep({"text": text, "preview": fields.get("link_preview_options")})

    def _photo(self, fields: dict[str, Any]) -> Answer:
        photo = fields.get("photo")
        if not isinstance(photo, bytes) or not photo:
            return _failed(400, "Bad Request: there is no photo in the request")
        if len(photo) > 10_000_000:
            return _failed(400, "Bad Request: file is too big")
        if not photo.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF")):
            return _failed(400, "Bad Request: IMAGE_PROCESS_FAILED")
        caption = _parsed(str(fields.get("caption", "")), fields.get("parse_mode"))
        if caption is None:
            return _failed(400, "Bad Request: can't parse entities")
        if len(caption) > 1024:
            return _failed(400, "Bad Request: message caption is too long")
        return self._keep({"caption": caption, "photo": photo})

    def _keep(self, message: dict[str, Any]) -> Answer:
        with self._lock:
            message_id = len(self.sent) + 1
            self.sent.append({"message_id": message_id, **message})
        chat = {"id": -1001234567890, "type": "channel", "username": CHANNEL.lstrip("@")}
        result = {"message_id": message_id, "date": 1717236000, "chat": chat}
        return Answer.of_json(200, {"ok": True, "result": result})


def rate_limited(seconds: int) -> Answer:
    """Telegram's 429, as a fault to inject."""
    body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after "
            f"{seconds}", "parameters": {"retry_after": seconds}}  # fmt: skip
    return Answer.of_json(429, body)


def _failed(status: int, description: str) -> Answer:
    return Answer.of_json(status, {"ok": False, "error_code": status, "description": description})


def _fields(request: Request) -> dict[str, Any]:
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        found: dict[str, Any] = json.loads(request.body)
        return found
    if kind.startswith("multipart/form-data"):
        head = f"Content-Type: {kind}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
        parts: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                is_file = part.get_filename() is not None
                parts[name] = payload if is_file else payload.decode()
        return parts
    return {}


def _parsed(text: str, mode: object) -> str | None:
    """The text a reader sees once the entities are parsed; None when Telegram cannot parse
    them (an unknown tag, or a `<` that opens none)."""
    if mode != "HTML":
        return text
    reader = _Entities()
    try:
        reader.feed(text)
        reader.close()
    except ValueError:
        return None
    return None if reader.broken else "".join(reader.text)


class _Entities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.broken = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.broken |= tag not in ALLOWED_TAGS

    def handle_endtag(self, tag: str) -> None:
        self.broken |= tag not in ALLOWED_TAGS

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def unknown_decl(self, data: str) -> None:
        self.broken = True
