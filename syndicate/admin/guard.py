"""The token check as the HTTP side applies it: who is calling, and the cookies a login sets.

Wrong tokens (Bearer or the login form) are counted per client and overall (admin/throttle.py):
a client past its allowance is refused with 429 before its token is compared; each refusal is
logged with the client's address and never the token, and counted in /metrics. A session that
logged out stays refused (admin/sessions.py).
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

import msgspec
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
from syndicate.admin.sessions import EndedSessions
from syndicate.admin.throttle import Throttle
from syndicate.clock import Clock
from syndicate.errors import RefusedError
from syndicate.logs import fields
from syndicate.metrics import Metrics

log = logging.getLogger("syndicate.admin")


DISABLED = (
    "the dashboard and API are off: create a token with `syndicate token` "
    "(or set $SYNDICATE_ADMIN_TOKEN)"
)


class Guard(msgspec.Struct, frozen=True):
    tokens: TokenSource
    clock: Clock
    session_seconds: float
    throttle: Throttle = msgspec.field(default_factory=Throttle)
    metrics: Metrics | None = None
    ended: EndedSessions | None = None  # sessions logged out; None: a cookie holds till expiry

    def enabled(self) -> bool:
        return self.tokens.current() is not None

    def caller(self, request: Request) -> Caller:
        authorization = request.headers.get("authorization")
        if authorization:
            self.check_throttle(request, "bearer")
        verdict = identify(
            self.tokens.current(),
            authorization,
            request.cookies.get(SESSION_COOKIE),
            self.clock.now(),
            self.session_seconds,
        )
        if verdict == "disabled":
            raise RefusedError(404, "disabled", DISABLED)
        if verdict == "missing":
            raise RefusedError(401, "unauthorized", "send the admin token as a Bearer token")
        if verdict == "wrong" and authorization:
            self.wrong_token(request, "bearer")
        if verdict == "wrong" or (verdict.session and self._logged_out(verdict.session)):
            raise RefusedError(401, "unauthorized", "the token or session is not valid")
        return verdict

    def check_throttle(self, request: Request, via: str) -> None:
        """RefusedError 429 when this client (or everyone) has failed too often lately."""
        wait = self.throttle.wait(_client(request))
        if wait > 0:
            if self.metrics is not None:
                self.metrics.admin_throttled.labels(via=via).inc()
            seconds = math.ceil(wait)
            raise RefusedError(
                429, "throttled", f"too many wrong tokens: try again in {seconds} s", seconds
            )

    def wrong_token(self, request: Request, via: str) -> None:
        """Count, log (never the token) and meter a wrong admin token."""
        client = _client(request)
        exhausted = self.throttle.failed(client)
        if self.metrics is not None:
            self.metrics.admin_failures.labels(via=via).inc()
        values = fields(client=client, via=via, path=request.url.path)
        log.warning("wrong admin token", extra=values)
        if exhausted:
            log.warning("admin token attempts throttled", extra=values)

    def _logged_out(self, session: str) -> bool:
        return self.ended is not None and self.ended.ended(session.split(".")[1])

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

    def log_out(self, response: Response, caller: Caller) -> None:
        """End the caller's session here (the cookie alone is refused from now on) and in
        the browser."""
        if caller.session is not None and self.ended is not None:
            issued, nonce, _ = caller.session.split(".")
            expires = datetime.fromtimestamp(int(issued) + self.session_seconds, UTC)
            self.ended.end(nonce, expires, self.clock.now())
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
