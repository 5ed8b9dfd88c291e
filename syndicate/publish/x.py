"""X (Twitter): posts through tweepy's API v2 client, signed with OAuth 1.0a user context.

X has no idempotency key. Its guard against a second post is the duplicate-content 403: a resend
of text the account already posted is refused, which is DuplicateError here, and find() reads
the account's recent posts back to recover the first one's id.

tweepy sends every request to its own built-in host; an adapter mounted on its session sends
them to the account's `server` instead (X's current host by default, or a local peer in tests),
signed again for the URL they really go to, within the account's timeout.

The post's image goes up first through API v2's media upload (`POST /2/media/upload`, at most
5 MB), its alt text through `POST /2/media/metadata` (at most 1,000 characters), and the post
names it in `media.media_ids`. A refused image (4xx) is logged and the post goes without it;
a failure that may pass fails the send, to be retried whole (an unused upload expires).
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import tweepy  # type: ignore[import-untyped]
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth1
from urllib3.exceptions import MaxRetryError, NewConnectionError

from syndicate import __version__
from syndicate.errors import (
    AmbiguousError,
    AuthError,
    DuplicateError,
    PublishError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from syndicate.publish.base import Context, Message, Publisher, Receipt, TextRules
from syndicate.publish.handles import x_handle
from syndicate.publish.media import ImageLimits, ImageSource
from syndicate.publish.network import Network

DEFAULT_SERVER = "https://api.x.com"
TWEEPY_HOST = "https://api.twitter.com"  # tweepy.Client.request's fixed host
CREDENTIALS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
RATE_WINDOW = timedelta(minutes=15)  # X's rate-limit window, for a 429 that names no reset
RECENT = 100  # posts find() reads back: the most one page of X's user timeline holds
USER_ID = "x.user_id"  # state keys: the account's numeric id and its user name
USERNAME = "x.username"
DAILY_LIMITS = ("x-user-limit-24hour", "x-app-limit-24hour")  # caps a 429 may have exhausted
# X's media upload: images to 5 MB, JPEG, PNG, GIF or WEBP; alt text to 1,000 characters.
IMAGE_LIMITS = ImageLimits(max_bytes=5 * 1024 * 1024, alt_limit=1000)
log = logging.getLogger(__name__)
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_LINK = "https://link"  # what every URL becomes before two texts are compared


def make(context: Context) -> Publisher:
    """The factory for `network = "x"` accounts."""
    return XPublisher(context)


class XPublisher:
    """One X account."""

    def __init__(self, context: Context) -> None:
        self._context = context
        keys = _credentials(context.account.name, context.secrets)
        self._client = tweepy.Client(**keys)
        self._client.user_agent = f"syndicate/{__version__} {self._client.user_agent}"
        server = (context.account.server or DEFAULT_SERVER).rstrip("/")
        auth = OAuth1(
            keys["consumer_key"],
            keys["consumer_secret"],
            keys["access_token"],
            keys["access_token_secret"],
        )
        self._client.session.mount(TWEEPY_HOST + "/", _Rebase(server, auth, context.timeout))
        self._images = ImageSource(context, "x")

    def rules(self) -> TextRules:
        return NETWORK.rules

    def send(self, message: Message, key: str) -> Receipt:
        # `key` has nowhere to go: X's duplicate-content check is what stops a second post.
        answering = message.reply_to.remote_id if message.reply_to else None  # a thread's part
        media = self._upload(message)
        response = self._call(
            lambda: self._client.create_tweet(
                text=message.text,
                in_reply_to_tweet_id=answering,
                media_ids=[media] if media else None,
            )
        )
        return self._receipt(str(response.data["id"]))

    def find(self, message: Message, key: str) -> Receipt | None:
        user_id = self._user_id()
        # A thread's later parts are replies (to the account's own posts): such a part is
        # the reply to the part before with its text, as two threads may share a part's text.
        answering = message.reply_to.remote_id if message.reply_to else None
        exclude = ["retweets"] if answering else ["retweets", "replies"]
        response = self._call(
            lambda: self._client.get_users_tweets(
                user_id,
                max_results=RECENT,
                exclude=exclude,
                tweet_fields=["referenced_tweets"],
                user_auth=True,
            )
        )
        wanted = comparable(message_text_with_links(message))
        # X shows a post's media as a t.co link after its text: one more link at the end.
        pictured = f"{wanted} {_LINK}".strip()
        for tweet in response.data or ():
            shown = comparable(html.unescape(str(tweet.text)))
            if shown in (wanted, pictured) and _replied_to(tweet) == answering:
                return self._receipt(str(tweet.id))
        return None

    def close(self) -> None:
        self._client.session.close()
        self._images.close()

    def _upload(self, message: Message) -> str | None:
        """The media id of the message's image, with its alt text; None when there is none
        to send or X refuses it."""
        account = self._context.account
        image = self._images.image(message, IMAGE_LIMITS) if account.images else None
        if image is None:
            return None
        files = {"media": (f"image.{image.extension}", image.data, image.media_type)}
        try:
            uploaded = self._media_call(
                "upload", files=files, data={"media_category": "tweet_image"}
            )
            media_id = str(uploaded["data"]["id"])
            if image.alt:
                alt = {"id": media_id, "metadata": {"alt_text": {"text": image.alt}}}
                self._media_call("metadata", json=alt)
        except RejectedError as refused:
            log.warning("x: the image goes without: %s", refused.reason)
            return None
        except (KeyError, TypeError, ValueError) as unreadable:
            raise TransientError(f"X answered the upload unreadably: {unreadable!r}") from None
        return media_id

    def _media_call(self, endpoint: str, **options: Any) -> Any:
        """One media request through tweepy's session (so signed and re-aimed like the rest)."""
        url = f"{TWEEPY_HOST}/2/media/{endpoint}"
        try:
            response = self._client.session.post(url, **options)
        except requests.RequestException as error:
            raise classify(error, self._context.clock.now()) from error
        if response.status_code >= 400:
            raise _media_error(response, self._context.clock.now())
        return response.json()

    def _user_id(self) -> str:
        """The account's numeric id, asked of X once and kept in the account's state."""
        state = self._context.state
        cached = state.get(USER_ID)
        if cached:
            return cached
        me = self._call(lambda: self._client.get_me(user_auth=True)).data
        state.put(USERNAME, str(me.username))
        state.put(USER_ID, str(me.id))
        return str(me.id)

    def _receipt(self, tweet_id: str) -> Receipt:
        handle = self._context.account.handle or self._context.state.get(USERNAME)
        if handle:
            return Receipt(tweet_id, f"https://x.com/{handle.lstrip('@')}/status/{tweet_id}")
        return Receipt(tweet_id, f"https://x.com/i/web/status/{tweet_id}")

    def _call(self, request: Callable[[], Any]) -> Any:
        try:
            return request()
        except (tweepy.TweepyException, requests.RequestException) as error:
            raise classify(error, self._context.clock.now()) from error


class _Rebase(HTTPAdapter):
    """Sends requests for tweepy's host to `base`, signed for that URL (X checks the signature
    against the URL it was sent to), within `timeout` (tweepy sets none)."""

    def __init__(self, base: str, auth: OAuth1, timeout: float) -> None:
        super().__init__()
        self._base = base
        self._auth = auth
        self._timeout = timeout

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        if url.startswith(TWEEPY_HOST + "/") and self._base != TWEEPY_HOST:
            request.url = self._base + url[len(TWEEPY_HOST) :]
            request.headers.pop("Authorization", None)
            self._auth(request)
            proxies = requests.utils.get_environ_proxies(request.url)
        return super().send(request, stream, self._timeout, verify, cert, proxies)


def classify(error: Exception, now: datetime) -> PublishError:
    """The PublishError for what tweepy or requests raised; when unsure whether X received the
    request, AmbiguousError, so the outbox looks before sending again."""
    if isinstance(error, tweepy.HTTPException):
        return _classify_answer(error, now)
    if isinstance(error, requests.exceptions.InvalidHeader | requests.exceptions.InvalidURL):
        # Refused before anything was sent: the account's settings cannot make a request.
        return AuthError(f"X: the request could not be made (check its settings): {error}")
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.SSLError):
        return TransientError(f"X could not be reached: {error}")
    if isinstance(error, requests.ConnectionError) and _never_connected(error):
        return TransientError(f"X could not be reached: {error}")
    if isinstance(error, requests.Timeout):
        return AmbiguousError(f"X did not answer in time; the post may exist: {error}")
    return AmbiguousError(f"the exchange with X broke off; the post may exist: {error}")


def _classify_answer(error: Any, now: datetime) -> PublishError:
    status = int(error.response.status_code)
    reason = f"X answered {status}: {'; '.join(map(str, error.api_messages)) or error}"
    if status == 429:
        return RateLimitedError(reason, until=rate_limit_reset(error.response.headers, now))
    if status >= 500:
        return TransientError(reason)
    if status == 403 and _is_duplicate(error):
        return DuplicateError(reason)
    if status in {401, 403}:
        return AuthError(reason)
    return RejectedError(reason)


def rate_limit_reset(headers: Mapping[str, str], now: datetime) -> datetime:
    """When posting may resume: the 15-minute window's reset, or a later one for a 24-hour cap
    this 429 exhausted; X gives epoch seconds."""
    exhausted = [limit for limit in DAILY_LIMITS if headers.get(f"{limit}-remaining") == "0"]
    resets = [headers.get("x-rate-limit-reset")]
    resets += [headers.get(f"{limit}-reset") for limit in exhausted]
    known = [epoch for epoch in map(_epoch, resets) if epoch is not None]
    if not known:
        return now + RATE_WINDOW
    return datetime.fromtimestamp(max(known), UTC)


def comparable(text: str) -> str:
    """`text` as two renderings of one post agree on it: X shows every URL as a t.co link and
    normalises to NFC; spacing may differ."""
    linked = _URL.sub(_LINK, unicodedata.normalize("NFC", text))
    return " ".join(linked.split())


def message_text_with_links(message: Message) -> str:
    """The message's text with each link span written as a URL, so a bare domain that X
    links (and shows as t.co) compares like one written with its scheme."""
    text = message.text
    for span in sorted(message.spans, key=lambda s: s.start, reverse=True):
        if span.kind == "link" and 0 <= span.start < span.end <= len(text):
            text = text[: span.start] + _LINK + text[span.end :]
    return text


def _media_error(response: requests.Response, now: datetime) -> PublishError:
    reason = f"X answered the media request {response.status_code}: {response.text[:200]}"
    if response.status_code == 429:
        return RateLimitedError(reason, until=rate_limit_reset(response.headers, now))
    if response.status_code >= 500:
        return TransientError(reason)
    if response.status_code in {401, 403}:
        return AuthError(reason)
    return RejectedError(reason)


def _replied_to(tweet: Any) -> str | None:
    """The id of the tweet `tweet` answers, if it is a reply."""
    for referenced in getattr(tweet, "referenced_tweets", None) or ():
        if referenced.type == "replied_to":
            return str(referenced.id)
    return None


def _credentials(account: str, secrets: Mapping[str, str]) -> dict[str, str]:
    missing = [name for name in CREDENTIALS if not secrets.get(name)]
    if missing:
        raise AuthError(f"account {account!r}: X needs credentials {', '.join(missing)}")
    return {name: secrets[name] for name in CREDENTIALS}


def _is_duplicate(error: Any) -> bool:
    # API v2 says so in its detail; v1.1 used code 187 ("Status is a duplicate.").
    messages = " ".join(map(str, error.api_messages)).casefold()
    return "duplicate" in messages or 187 in error.api_codes


def _never_connected(error: requests.ConnectionError) -> bool:
    """The connection was refused or never made, so nothing was sent. (urllib3 wraps a failed
    connect in MaxRetryError; a connection lost mid-exchange comes through bare.)"""
    cause = error.args[0] if error.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def _epoch(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


NETWORK = Network(
    "x", make, CREDENTIALS, TextRules("x", 280, "x", 23), handle=x_handle, replies=True
)
