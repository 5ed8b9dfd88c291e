"""XRPC calls to one Bluesky PDS as one account, and what their failures mean.

The session (access and refresh tokens, DID, handle) is kept in the account's state, so a
restart or a new publisher reuses it: an expired access token is refreshed with
`refreshSession`, and a password login (`createSession`, which the PDS rate-limits hard) happens
only when there is no session or its refresh token no longer works.

XRPC errors name themselves in the body (`{"error": "ExpiredToken", ...}`); a PDS answers a
stale or unverifiable token with 400 as well as 401, so both count as "refresh and retry once".
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
from msgspec.structs import asdict

from syndicate.clock import Clock
from syndicate.errors import (
    AmbiguousError,
    AuthError,
    PublishError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from syndicate.publish.base import StateStore
from syndicate.publish.httpcalls import excerpt, retry_after, transport_error, wait_until

SESSION = "bluesky.session"  # the state key of the stored session
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
EARLY = timedelta(seconds=60)  # refresh a token this long before it expires


class Session(msgspec.Struct, frozen=True):
    """A logged-in session, as stored in the account's state."""

    identifier: str  # what logged in (the configured handle): a new one means a new login
    did: str
    handle: str
    access_jwt: str
    refresh_jwt: str
    # When each token expires by our clock (ISO 8601), or "" when its lifetime is unknown.
    access_expires: str = ""
    refresh_expires: str = ""

    def dump(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def load(cls, text: str | None) -> Session | None:
        """The stored session, or None when there is none or it cannot be read."""
        try:
            return cls(**json.loads(text)) if text else None
        except (ValueError, TypeError):
            return None


class Login(msgspec.Struct, frozen=True):
    """Who the account logs in as, and where."""

    server: str  # the PDS, without a trailing slash
    identifier: str
    password: str | None  # the app password; None when the credential is missing


class Xrpc:
    """XRPC queries and procedures against one PDS, authenticated as one account."""

    def __init__(self, client: httpx.Client, login: Login, state: StateStore, clock: Clock) -> None:
        self._client = client
        self._login = login
        self._state = state
        self._clock = clock
        self._session: Session | None = None

    def session(self) -> Session:
        """A session whose access token has not expired by the clock."""
        if self._session is None:
            stored = Session.load(self._state.get(SESSION))
            if stored is not None and stored.identifier == self._login.identifier:
                self._session = stored
            else:
                self._session = self._create()
        if _past(self._session.access_expires, self._clock.now()):
            self._session = self._refresh(self._session)
        return self._session

    def query(self, nsid: str, params: Mapping[str, str]) -> httpx.Response:
        """GET `nsid` without authentication; the raw answer, for the caller to read."""
        try:
            return self._client.get(self._url(nsid), params=params)
        except httpx.HTTPError as exc:
            raise transport_error(nsid, exc, write=False) from exc

    def procedure(
        self,
        nsid: str,
        *,
        body: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        write: bool = False,
    ) -> Mapping[str, Any]:
        """POST `nsid` as the account; its JSON answer, or the PublishError a failure means.
        `write` marks a call that may have been applied when its answer is lost."""
        headers = {"Content-Type": content_type} if content_type else {}
        request = self._client.build_request(
            "POST", self._url(nsid), json=body, content=content, headers=headers
        )
        response = self._authorized(request, nsid, write)
        if not response.is_success:
            raise status_error(nsid, response, self._clock, write=write)
        return json_object(nsid, response)

    def _authorized(self, request: httpx.Request, nsid: str, write: bool) -> httpx.Response:
        session = self.session()
        response = self._send(request, session.access_jwt, nsid, write)
        if _token_rejected(response):
            self._session = self._refresh(session)
            response = self._send(request, self._session.access_jwt, nsid, write)
            if _token_rejected(response):
                raise AuthError(f"{nsid}: the PDS refuses a fresh session: {excerpt(response)}")
        return response

    def _send(self, request: httpx.Request, token: str, nsid: str, write: bool) -> httpx.Response:
        request.headers["Authorization"] = f"Bearer {token}"
        try:
            return self._client.send(request)
        except httpx.HTTPError as exc:
            raise transport_error(nsid, exc, write=write) from exc

    def _refresh(self, session: Session) -> Session:
        """A new session from the refresh token, or from the password when that fails."""
        nsid = "com.atproto.server.refreshSession"
        if not _past(session.refresh_expires, self._clock.now()):
            headers = {"Authorization": f"Bearer {session.refresh_jwt}"}
            try:
                response = self._client.post(self._url(nsid), headers=headers)
            except httpx.HTTPError as exc:
                raise transport_error(nsid, exc, write=False) from exc
            if response.is_success:
                return self._keep(json_object(nsid, response))
            if not _token_rejected(response):
                raise status_error(nsid, response, self._clock, write=False)
        return self._create()

    def _create(self) -> Session:
        nsid = "com.atproto.server.createSession"
        if not self._login.password:
            raise AuthError("bluesky: credentials.app_password is missing or empty")
        body = {"identifier": self._login.identifier, "password": self._login.password}
        try:
            response = self._client.post(self._url(nsid), json=body)
        except httpx.HTTPError as exc:
            raise transport_error(nsid, exc, write=False) from exc
        if response.is_success:
            return self._keep(json_object(nsid, response))
        error = status_error(nsid, response, self._clock, write=False)
        if isinstance(error, RejectedError | AuthError):  # a wrong password, a suspended account
            raise AuthError(f"bluesky cannot log in as {self._login.identifier}: {error.reason}")
        raise error

    def _keep(self, answer: Mapping[str, Any]) -> Session:
        now = self._clock.now()
        try:
            access, refresh = str(answer["accessJwt"]), str(answer["refreshJwt"])
            session = Session(
                identifier=self._login.identifier,
                did=str(answer["did"]),
                handle=str(answer["handle"]),
                access_jwt=access,
                refresh_jwt=refresh,
                access_expires=_expiry(access, now),
                refresh_expires=_expiry(refresh, now),
            )
        except KeyError as exc:
            raise TransientError(f"bluesky: the session answer lacks {exc}") from None
        self._state.put(SESSION, session.dump())
        self._session = session
        return session

    def _url(self, nsid: str) -> str:
        return f"{self._login.server}/xrpc/{nsid}"


def error_name(response: httpx.Response) -> str:
    """The XRPC error name of a failed answer (`RecordNotFound`...), or "" when it has none."""
    try:
        data = response.json()
    except ValueError:
        return ""
    name = data.get("error") if isinstance(data, dict) else None
    return name if isinstance(name, str) else ""


def json_object(nsid: str, response: httpx.Response) -> Mapping[str, Any]:
    """A successful answer's JSON object; a body that is not one is a transient fault."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise TransientError(f"{nsid}: the answer is not a JSON object: {excerpt(response)}")
    return data


def status_error(nsid: str, response: httpx.Response, clock: Clock, *, write: bool) -> PublishError:
    """The PublishError a non-2xx XRPC answer means."""
    status = response.status_code
    detail = f"{nsid} answered {status} {excerpt(response)}".rstrip()
    if status == 429:
        return RateLimitedError(detail, until=wait_until(response, clock, rate_limit_reset))
    if status >= 500:
        if write and status != 503:
            return AmbiguousError(f"{detail} (the record may have been created)")
        return TransientError(detail)
    if status in {401, 403} or error_name(response) in TOKEN_ERRORS:
        return AuthError(detail)
    if status == 408:
        return TransientError(detail)
    return RejectedError(detail)


def rate_limit_reset(response: httpx.Response, now: datetime) -> float | None:
    """Seconds until a rate-limited account may call again: `ratelimit-reset` (epoch
    seconds), else `Retry-After` (seconds or an HTTP date)."""
    try:
        reset = datetime.fromtimestamp(float(response.headers["ratelimit-reset"]), UTC)
    except (KeyError, ValueError, OverflowError):
        return retry_after(response, now)
    return (reset - now).total_seconds()


def _token_rejected(response: httpx.Response) -> bool:
    return response.status_code == 401 or (
        response.status_code == 400 and error_name(response) in TOKEN_ERRORS
    )


def _expiry(jwt: str, now: datetime) -> str:
    """When the token expires by our clock: now plus its lifetime (`exp` - `iat`), so a clock
    that differs from the PDS's does not make every token look expired. "" when unreadable."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        lifetime = timedelta(seconds=float(claims["exp"]) - float(claims["iat"]))
    except (IndexError, ValueError, TypeError, KeyError, OverflowError, binascii.Error):
        return ""
    return (now + lifetime).isoformat()


def _past(expires: str, now: datetime) -> bool:
    """Whether a token expiring at `expires` is expired (or nearly); a token whose expiry is
    unknown is left to the PDS to judge."""
    try:
        return datetime.fromisoformat(expires) - EARLY <= now
    except (ValueError, TypeError):  # none, or not a time we wrote
        return False
