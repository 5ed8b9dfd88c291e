"""The token check as the HTTP side applies it: who is calling, and the cookies a login sets."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from syndicate.admin.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Caller,
    TokenSource,
    identify,
    new_session,
)
from syndicate.clock import Clock


class RefusedError(Exception):
    """A request the dashboard will not serve; `code` is the API's stable error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


DISABLED = (
    "the dashboard and API are off: create a token with `syndicate token` "
    "(or set $SYNDICATE_ADMIN_TOKEN)"
)


@dataclass(frozen=True, slots=True)
class Guard:
    tokens: TokenSource
    clock: Clock
    session_seconds: float

    def enabled(self) -> bool:
        return self.tokens.current() is not None

    def caller(self, request: Request) -> Caller:
        verdict = identify(
            self.tokens.current(),
            request.headers.get("authorization"),
            request.cookies.get(SESSION_COOKIE),
            self.clock.now(),
            self.session_seconds,
        )
        if verdict == "disabled":
            raise RefusedError(404, "disabled", DISABLED)
        if verdict == "missing":
            raise RefusedError(401, "unauthorized", "send the admin token as a Bearer token")
        if verdict == "wrong":
            raise RefusedError(401, "unauthorized", "the token or session is not valid")
        return verdict

    def allow_change(self, caller: Caller, given: str | None) -> None:
        """A POST made with a session must carry the session's CSRF token."""
        if not caller.csrf_ok(given):
            raise RefusedError(
                403, "csrf", f"a POST with a session cookie needs its CSRF token ({CSRF_HEADER})"
            )

    def log_in(self, response: Response, request: Request) -> None:
        token = self.tokens.current()
        assert token is not None  # the caller checked the token it was given
        response.set_cookie(
            SESSION_COOKIE,
            new_session(token, self.clock.now()),
            max_age=int(self.session_seconds),
            path="/",
            httponly=True,
            samesite="lax",  # never sent on another site's POST; CSRF tokens guard the rest
            secure=request.url.scheme == "https",
        )

    @staticmethod
    def log_out(response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
