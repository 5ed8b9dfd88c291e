"""Mastodon: one account on one instance, over its REST API with the account's access token.

Exactly once rests on the instance: every send carries an `Idempotency-Key` derived from the
delivery, and Mastodon answers a repeat of that key with the status it already made (for an
hour, per account). Past that hour, `find()` reads the account's recent statuses for the one
that links to the post with the same text.

The post's image goes up first (`POST /api/v2/media` with its alt text as `description`) and
the status names it in `media_ids`. A send resumed after a crash uploads it again: the
unattached copy is harmless (Mastodon deletes unattached media itself), and the status is
still one, by its key. An image the instance refuses (4xx) is logged and the status goes
without it; a failure that may pass (5xx, the network) fails the send, to be retried whole.
Mastodon shows no link card beside media: that is its rule.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
from msgspec.structs import replace

from syndicate.accounts import AccountSettings
from syndicate.errors import AmbiguousError, PublishError, RejectedError, TransientError
from syndicate.publish.base import Context, Message, Publisher, Receipt, StateStore, TextRules
from syndicate.publish.handles import mastodon_handle
from syndicate.publish.httpcalls import (
    excerpt,
    json_object,
    make_client,
    number,
    require_http_url,
    require_secret,
    retry_after,
    status_error,
    transport_error,
)
from syndicate.publish.media import ImageLimits, ImageSource
from syndicate.publish.network import Network

# Mastodon's own limits, as the composer counts them: an instance that cannot say has these.
# A publisher replaces limit and url_length with its instance's values.
DEFAULTS = TextRules("mastodon", 500, "graphemes", 23, short_mentions=True)
RULES_FRESH = timedelta(days=1)  # instances rarely change their limits
RULES_RETRY = timedelta(hours=1)  # after a failed read, keep the fallback this long
PAGE = 40  # the most statuses Mastodon returns at once
PAGES = 3  # a delivery's status is among the account's newest: read this many pages at most
# `@name@host` (not inside an address): Mastodon shows a mention as `@name`.
_FULL_MENTION = re.compile(r"(?<![\w@])(@\w+(?:[.-]\w+)*)@\w+(?:[.-]\w+)+")
RULES_KEY = "mastodon.rules"
# Images every instance since Mastodon 3 takes (4.x allows 16 MB); alt text up to 1,500.
IMAGE_LIMITS = ImageLimits(max_bytes=8_000_000, max_pixels=8_294_400, alt_limit=1500)
log = logging.getLogger(__name__)
ACCOUNT_KEY = "mastodon.account"


def make(context: Context) -> Publisher:
    """The publisher for a Mastodon account: `server` is the instance, `token` its secret."""
    return MastodonPublisher(context, make_client(context))


def idempotency_key(key: str) -> str:
    """The header value for a delivery: stable for the key, and only characters a header
    carries whatever the key holds."""
    return "syndicate-" + hashlib.sha256(key.encode()).hexdigest()


class MastodonPublisher:
    """Posts statuses as one account; `client` is the HTTP client it owns and closes."""

    def __init__(self, context: Context, client: httpx.Client) -> None:
        self._account: AccountSettings = context.account
        self._clock = context.clock
        self._state: StateStore = context.state
        token = require_secret(context, "token")
        server = require_http_url(context.account.server or "", "server").rstrip("/")
        client.base_url = httpx.URL(server + "/")
        self._server = server
        client.headers["Authorization"] = f"Bearer {token}"
        self._client = client
        # The account id is cached per token: a new token may belong to another account.
        self._token_id = hashlib.sha256(token.encode()).hexdigest()[:16]
        self._images = ImageSource(context, "mastodon")
        self._rules: TextRules | None = None
        self._rules_until = datetime.min.replace(tzinfo=UTC)

    def rules(self) -> TextRules:
        """The instance's limits: from memory, else from state when read within a day, else
        from the instance; the last known (or Mastodon's defaults) when it cannot answer."""
        now = self._clock.now()
        if self._rules is not None and now < self._rules_until:
            return self._rules
        stored, read_at = _load_rules(self._state.get(RULES_KEY), self._server)
        if stored is not None and now - read_at < RULES_FRESH:
            return self._remember(stored, read_at + RULES_FRESH)
        fetched = self._fetch_rules()
        if fetched is not None:
            self._state.put(RULES_KEY, _dump_rules(fetched, now, self._server))
            return self._remember(fetched, now + RULES_FRESH)
        return self._remember(stored or DEFAULTS, now + RULES_RETRY)

    def send(self, message: Message, key: str) -> Receipt:
        """POST the status; a repeat of `key` within the instance's window is the same one."""
        fields: dict[str, Any] = {"status": message.text, "visibility": self._account.visibility}
        if message.language:
            fields["language"] = message.language  # Mastodon falls back from en-GB to en itself
        if message.reply_to is not None:  # a thread's next part
            fields["in_reply_to_id"] = message.reply_to.remote_id
        media = self._upload(message)
        if media is not None:
            fields["media_ids"] = [media]
        headers = {"Idempotency-Key": idempotency_key(key)}
        response = self._call("POST", "api/v1/statuses", json=fields, headers=headers)
        status = json_object(response)
        if not isinstance(status.get("id"), str):
            # A 2xx we cannot read may still be a status made: find() settles it.
            raise AmbiguousError(f"mastodon answered the post with {excerpt(response)!r}")
        return _receipt(status)

    def find(self, message: Message, key: str) -> Receipt | None:
        """The account's recent status that links to `message.url` with the same text."""
        path = f"api/v1/accounts/{self._account_id()}/statuses"
        params: dict[str, str | int] = {"limit": PAGE, "exclude_reblogs": "true"}
        for _ in range(PAGES):
            statuses = _statuses(self._call("GET", path, params=params))
            for status in statuses:
                if carries(status, message):
                    return _receipt(status)
            if len(statuses) < PAGE:
                return None
            params["max_id"] = str(statuses[-1]["id"])
        return None

    def close(self) -> None:
        self._client.close()
        self._images.close()

    def _upload(self, message: Message) -> str | None:
        """The media id of the message's image, uploaded with its alt text; None when there
        is none to send, or the instance refuses it."""
        image = self._images.image(message, IMAGE_LIMITS) if self._account.images else None
        if image is None:
            return None
        files = {"file": (f"image.{image.extension}", image.data, image.media_type)}
        data = {"description": image.alt} if image.alt else {}
        try:
            media = json_object(self._call("POST", "api/v2/media", files=files, data=data))
        except RejectedError as refused:
            log.warning("mastodon: the image goes without: %s", refused.reason)
            return None
        media_id = media.get("id")
        if not isinstance(media_id, str):
            raise TransientError(f"mastodon answered the upload with {media!r:.200}")
        return media_id

    def _remember(self, rules: TextRules, until: datetime) -> TextRules:
        self._rules, self._rules_until = rules, until
        return rules

    def _fetch_rules(self) -> TextRules | None:
        """The limits from /api/v2/instance, else /api/v1/instance; None when neither says."""
        for path in ("api/v2/instance", "api/v1/instance"):
            try:
                document = json_object(self._call("GET", path))
            except PublishError:  # limits are never worth a pause or a retry: fall back
                continue
            rules = _rules_from(document)
            if rules is not None:
                return rules
        return None

    def _account_id(self) -> str:
        """The token's account id, from state, else from verify_credentials."""
        remembered = self._state.get(ACCOUNT_KEY)
        if remembered and remembered.startswith(self._token_id + ":"):
            return remembered.partition(":")[2]
        account = json_object(self._call("GET", "api/v1/accounts/verify_credentials"))
        account_id = account.get("id")
        if not isinstance(account_id, str):
            raise TransientError("mastodon: verify_credentials did not name the account")
        self._state.put(ACCOUNT_KEY, f"{self._token_id}:{account_id}")
        return account_id

    def _call(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request; its 2xx response, or the PublishError its failure means."""
        try:
            response = self._client.request(method, path, **options)
        except httpx.HTTPError as exc:
            raise transport_error("mastodon", exc) from exc
        if response.is_success:
            return response
        error = status_error("mastodon", response, self._clock, _reset_hint)
        if isinstance(error, RejectedError):  # say what the instance said, not its JSON
            reason = json_object(response).get("error") or excerpt(response)
            error = RejectedError(f"mastodon refused it ({response.status_code}): {reason}")
        raise error


def _reset_hint(response: httpx.Response, now: datetime) -> float | None:
    """Seconds until Mastodon's X-RateLimit-Reset (ISO 8601; epoch seconds from some
    compatible servers), else Retry-After."""
    value = response.headers.get("X-RateLimit-Reset", "").strip()
    when: datetime | None = None
    if value.replace(".", "", 1).isdigit():
        when = datetime.fromtimestamp(float(value), UTC)
    elif value:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
    if when is not None and when.tzinfo is not None:
        return (when - now).total_seconds()
    return retry_after(response, now)


def _rules_from(document: Mapping[str, object]) -> TextRules | None:
    """The limits an instance document states (Mastodon's configuration, or the
    `max_toot_chars` of Pleroma-style servers); None when it states none."""
    configuration = document.get("configuration")
    statuses = configuration.get("statuses") if isinstance(configuration, dict) else None
    statuses = statuses if isinstance(statuses, dict) else {}
    limit = number(statuses.get("max_characters")) or number(document.get("max_toot_chars"))
    if limit is None or limit < 1:
        return None
    url_length = number(statuses.get("characters_reserved_per_url"))
    if url_length is None or url_length < 0:
        return replace(DEFAULTS, limit=int(limit))
    return replace(DEFAULTS, limit=int(limit), url_length=int(url_length))


def _load_rules(stored: str | None, server: str) -> tuple[TextRules | None, datetime]:
    """Rules kept in state with when they were read; (None, long ago) when there are none,
    or they are another server's (the account moved)."""
    never = datetime.min.replace(tzinfo=UTC)
    try:
        data = json.loads(stored or "")
        rules = replace(DEFAULTS, limit=int(data["limit"]), url_length=data["url_length"])
        read_at = datetime.fromisoformat(data["read_at"])
    except (ValueError, KeyError, TypeError):
        return None, never
    return (rules, read_at) if data.get("server") == server else (None, never)


def _dump_rules(rules: TextRules, read_at: datetime, server: str) -> str:
    document = {"limit": rules.limit, "url_length": rules.url_length, "server": server}
    return json.dumps(document | {"read_at": read_at.isoformat()})


def _statuses(response: httpx.Response) -> Sequence[Mapping[str, Any]]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, list):
        raise TransientError(f"mastodon listed statuses as {excerpt(response)!r}")
    return [status for status in data if isinstance(status, dict) and "id" in status]


def _receipt(status: Mapping[str, Any]) -> Receipt:
    url = status.get("url") or status.get("uri")
    return Receipt(str(status["id"]), url if isinstance(url, str) else None)


def carries(status: Mapping[str, Any], message: Message) -> bool:
    """Whether `status` is `message` as Mastodon rendered it: its HTML links to the post (a
    thread's later part answers the part before instead), and its visible text is the
    message's text."""
    content = status.get("content")
    if not isinstance(content, str):
        return False
    page = _Content()
    page.feed(content)
    page.close()
    if message.reply_to is not None:
        answers = status.get("in_reply_to_id") == message.reply_to.remote_id
        return answers and _comparable_text(page.text()) == _comparable_text(message.text)
    target = _comparable_url(message.url)
    if not any(_comparable_url(href) == target for href in page.hrefs):
        return False
    return _comparable_text(page.text()) == _comparable_text(message.text)


class _Content(HTMLParser):
    """A status's HTML as Mastodon renders it: link targets, and the text a reader sees
    (every span of a shortened link included; line and paragraph breaks as spaces)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)
        elif tag in {"br", "p"}:
            self._text.append("\n")

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def text(self) -> str:
        return "".join(self._text)


def _comparable_url(url: str) -> str:
    """A URL as the instance may rewrite it: escapes undone, scheme and host in lower case."""
    parts = urlsplit(url.strip())
    path, query = unquote(parts.path), unquote(parts.query)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, parts.fragment))


def _comparable_text(text: str) -> str:
    """Text with runs of white space made one space, and mentions shown as Mastodon shows
    them (`@name@host` as `@name`)."""
    return " ".join(_FULL_MENTION.sub(r"\1", text).split())


def _needs_server(account: AccountSettings) -> list[str]:
    if account.server:
        return []
    return [f"account {account.name!r}: a Mastodon account needs server = instance URL"]


NETWORK = Network(
    "mastodon",
    make,
    ("token",),
    DEFAULTS,
    handle=mastodon_handle,
    check=_needs_server,
    replies=True,
)
