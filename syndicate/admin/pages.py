"""The dashboard's pages under /admin/: server-rendered with Jinja2 (autoescaped), no script.

A browser logs in with the token and keeps a session cookie; every action is a form POST that
carries the session's CSRF token and answers with a redirect back (post/redirect/get), the
outcome shown once from a short-lived cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from syndicate.admin import schemas as out
from syndicate.admin.auth import LOGIN_COOKIE, Caller, same
from syndicate.admin.chart import render_chart
from syndicate.admin.dashboard import Dashboard
from syndicate.admin.guard import Guard
from syndicate.admin.params import (
    ACCOUNT_ACTIONS,
    DELIVERY_ACTIONS,
    id_param,
    int_param,
    text_param,
)
from syndicate.errors import ConflictError, NotFoundError, RefusedError

FLASH_COOKIE = "syndicate_flash"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_STYLE = resources.files("syndicate.admin").joinpath("static/admin.css").read_bytes()
STYLE_URL = "/admin/static/admin.css?v=" + hashlib.sha256(_STYLE).hexdigest()[:12]
CHART_DAYS = 28
OUTBOX_SHOWN = 100  # per section; the API lists them all

Handler = Callable[[Request], Awaitable[Response]]
Build = Callable[[Request], dict[str, Any]]


def page_routes(dashboard: Dashboard, guard: Guard) -> list[Route]:
    pages = _Pages(dashboard, guard)
    routes = [
        Route("/admin", _to_admin, methods=["GET"]),
        Route("/admin/", pages.page("overview.html", pages.overview), methods=["GET"]),
        Route("/admin/posts", pages.page("posts.html", pages.posts), methods=["GET"]),
        Route("/admin/posts/{post_id}", pages.page("post.html", pages.post), methods=["GET"]),
        Route("/admin/outbox", pages.page("outbox.html", pages.outbox), methods=["GET"]),
        Route("/admin/feeds", pages.page("feeds.html", pages.feeds), methods=["GET"]),
        Route("/admin/preview", pages.page("preview.html", pages.preview), methods=["GET"]),
        Route("/admin/login", pages.login_form, methods=["GET"]),
        Route("/admin/login", pages.log_in, methods=["POST"]),
        Route("/admin/logout", pages.log_out, methods=["POST"]),
        Route("/admin/static/admin.css", _style, methods=["GET"]),
        Route("/admin/deliveries/{delivery_id}/{action}", pages.delivery_action, methods=["POST"]),
        Route("/admin/accounts/{name}/{action}", pages.account_action, methods=["POST"]),
    ]
    routes.append(Route("/admin/{rest:path}", pages.not_found, methods=["GET", "POST"]))
    return routes


async def _to_admin(request: Request) -> Response:
    return RedirectResponse("/admin/", status_code=308)


async def _style(request: Request) -> Response:
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return Response(_STYLE, media_type="text/css; charset=utf-8", headers=headers)


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("syndicate.admin", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["size"] = _size
    env.filters["query"] = lambda params: urlencode({k: v for k, v in params.items() if v})
    env.filters["path"] = lambda value: quote(str(value), safe="")
    env.filters["web"] = _web
    return env


class _Pages:
    def __init__(self, dashboard: Dashboard, guard: Guard) -> None:
        self.dashboard = dashboard
        self.guard = guard
        self.env = environment()

    # -- reading pages ---------------------------------------------------------------------

    def page(self, template: str, build: Build) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                caller = self.guard.caller(request)
            except RefusedError as refusal:
                return self._refused(request, refusal)
            try:
                context = await run_in_threadpool(build, request)
            except NotFoundError as error:
                return self.render(request, "error.html", {"message": str(error)}, caller, 404)
            except RefusedError as refusal:
                status = 400 if refusal.status == 422 else refusal.status
                return self.render(
                    request, "error.html", {"message": refusal.message}, caller, status
                )
            return self.render(request, template, context, caller)

        return endpoint

    def overview(self, request: Request) -> dict[str, Any]:
        overview = self.dashboard.overview()
        daily = self.dashboard.daily(CHART_DAYS)
        chart = Markup(render_chart(daily, title=f"Deliveries per day, last {CHART_DAYS} days"))  # noqa: S704  # the chart escapes every value itself
        return {"o": overview, "chart": chart, "days": CHART_DAYS}

    def posts(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        q, tag = text_param(query, "q"), text_param(query, "tag")
        page = self.dashboard.posts(query=q, tag=tag, page=int_param(query, "page", 1, 1, 100_000))
        return {"page": page, "q": q, "tag": tag, "tags": self.dashboard.tags()[:40]}

    def post(self, request: Request) -> dict[str, Any]:
        pk = id_param(request, "post_id", "post")
        detail = self.dashboard.post(pk)
        return {
            "detail": detail,
            "preview": self.dashboard.preview(pk),
            "feeds": grouped(detail.feeds),
        }

    def outbox(self, request: Request) -> dict[str, Any]:
        sections = self.dashboard.outbox_sections(OUTBOX_SHOWN)
        finished, _ = sections["finished"]
        return {
            "accounts": self.dashboard.accounts(),
            "waiting": sections["waiting"],
            "paused": sections["paused"],
            "failed": sections["failed"],
            "finished": (finished[:30], min(len(finished), 30)),
            "dry_run": self.dashboard.settings.publish.dry_run,
        }

    def feeds(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        q = text_param(query, "q")
        page = self.dashboard.feeds(
            query=q, page=int_param(query, "page", 1, 1, 100_000), per_page=150
        )
        return {"page": page, "q": q, "feeds": grouped(page.items)}

    def preview(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        q = text_param(query, "q")
        chosen = text_param(query, "post")
        recent = self.dashboard.recent_posts(200)
        if q:
            words = q.casefold().split()
            recent = [r for r in recent if all(w in r.post.title.casefold() for w in words)]
        preview = None
        if chosen:
            if not chosen.isdigit():
                raise NotFoundError(f"no post {chosen!r}")
            preview = self.dashboard.preview(int(chosen))
        elif recent:
            preview = self.dashboard.preview(recent[0].pk)
        return {"recent": recent[:50], "q": q, "preview": preview}

    # -- actions ---------------------------------------------------------------------------

    async def delivery_action(self, request: Request) -> Response:
        action = request.path_params["action"]

        def act() -> str:
            if action not in DELIVERY_ACTIONS:
                raise NotFoundError(f"no action {action!r}")
            delivery = self.dashboard.act(id_param(request, "delivery_id", "delivery"), action)
            return f"Delivery #{delivery.id} to {delivery.account}: {_DONE[action]}."

        return await self._change(request, act)

    async def account_action(self, request: Request) -> Response:
        action = request.path_params["action"]

        def steer() -> str:
            if action not in ACCOUNT_ACTIONS:
                raise NotFoundError(f"no action {action!r}")
            account = self.dashboard.steer_account(request.path_params["name"], action)
            return f"Account {account.name} is {account.state}."

        return await self._change(request, steer)

    async def _change(self, request: Request, act: Callable[[], str]) -> Response:
        try:
            caller = self.guard.caller(request)
            form = await request.form()
            given = form.get("csrf")
            self.guard.allow_change(caller, given if isinstance(given, str) else None)
        except RefusedError as refusal:
            return self._refused(request, refusal)
        back = _local_path(form.get("next"), "/admin/outbox")
        try:
            message, kind = await run_in_threadpool(act), "done"
        except (NotFoundError, ConflictError, RefusedError) as error:
            message, kind = str(error), "error"
        response = RedirectResponse(back, status_code=303, headers=HEADERS)
        response.set_cookie(
            FLASH_COOKIE, f"{kind}:{message}"[:300], max_age=60, path="/admin", httponly=True,
            samesite="lax",
        )  # fmt: skip
        return response

    # -- logging in and out ------------------------------------------------------------------

    async def login_form(self, request: Request, error: str = "", status: int = 200) -> Response:
        if not self.guard.enabled():
            return self._off(request)
        nonce = secrets.token_urlsafe(16)
        context = {
            "nonce": nonce,
            "error": error,
            "next": _local_path(request.query_params.get("next"), "/admin/"),
        }
        response = self.render(request, "login.html", context, None, status)
        response.set_cookie(
            LOGIN_COOKIE, nonce, max_age=3600, path="/admin/login", httponly=True,
            samesite="strict", secure=request.url.scheme == "https",
        )  # fmt: skip
        return response

    async def log_in(self, request: Request) -> Response:
        token = self.guard.tokens.current()
        if token is None:
            return self._off(request)
        form = await request.form()
        given, csrf = form.get("token"), form.get("csrf")
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        if not (isinstance(csrf, str) and cookie and same(csrf, cookie)):
            return await self.login_form(request, "The form expired; please try again.", 403)
        try:
            self.guard.check_throttle(request, "login")
        except RefusedError as refusal:
            response = await self.login_form(request, f"Too many wrong tokens: {refusal}.", 429)
            response.headers["Retry-After"] = str(refusal.retry_after)
            return response
        if not (isinstance(given, str) and same(given.strip(), token)):
            self.guard.wrong_token(request, "login")
            return await self.login_form(request, "That is not the admin token.", 401)
        response = RedirectResponse(_local_path(form.get("next"), "/admin/"), 303, HEADERS)
        self.guard.log_in(response, request)
        response.delete_cookie(LOGIN_COOKIE, path="/admin/login")
        return response

    async def log_out(self, request: Request) -> Response:
        try:
            caller = self.guard.caller(request)
            form = await request.form()
            given = form.get("csrf")
            self.guard.allow_change(caller, given if isinstance(given, str) else None)
        except RefusedError as refusal:
            return self._refused(request, refusal)
        response = RedirectResponse("/admin/login", status_code=303, headers=HEADERS)
        self.guard.log_out(response, caller)
        return response

    async def not_found(self, request: Request) -> Response:
        try:
            caller = self.guard.caller(request)
        except RefusedError as refusal:
            return self._refused(request, refusal)
        return self.render(request, "error.html", {"message": "No such page."}, caller, 404)

    # -- rendering ---------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        caller: Caller | None,
        status: int = 200,
    ) -> Response:
        flash = request.cookies.get(FLASH_COOKIE, "")
        kind, _, message = flash.partition(":")
        now = self.dashboard.parts.clock.now()
        page = self.env.get_template(template).render(
            **context,
            site=self.dashboard.settings.site.title,
            here=request.url.path,
            caller=caller,
            csrf=(caller.csrf() or "") if caller else "",
            flash={"kind": kind, "message": message} if message else None,
            style_url=STYLE_URL,
            when=_When(self.dashboard.zone, now),
        )
        response = HTMLResponse(page, status_code=status, headers=HEADERS)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/admin")
        return response

    def _refused(self, request: Request, refusal: RefusedError) -> Response:
        if refusal.code == "disabled":
            return self._off(request)
        if refusal.status == 401 and "authorization" not in request.headers:
            if request.method == "GET":
                target = "/admin/login?" + urlencode({"next": _with_query(request)})
                return RedirectResponse(target, status_code=303, headers=HEADERS)
            return self.render(request, "error.html", {"message": _EXPIRED}, None, 401)
        response = self.render(
            request, "error.html", {"message": refusal.message}, None, refusal.status
        )
        if refusal.retry_after is not None:
            response.headers["Retry-After"] = str(refusal.retry_after)
        return response

    def _off(self, request: Request) -> Response:
        return self.render(request, "off.html", {}, None, 404)


_DONE = {"retry": "queued again", "cancel": "cancelled", "send-now": "due now"}
_EXPIRED = "Your session has expired or the token changed: log in again, then repeat the action."


class _When:
    """Dates as people read them: in the blog's time zone, and how far from now."""

    def __init__(self, zone: Any, now: datetime) -> None:
        self.zone = zone
        self.now = now

    def __call__(self, moment: datetime | None) -> Markup:
        if moment is None:
            return Markup("-")
        local = moment.astimezone(self.zone)
        text = local.strftime("%-d %b %Y, %H:%M")
        iso = moment.isoformat(timespec="seconds")
        return Markup('<time datetime="{}" title="{} ({})">{}</time>').format(
            iso, local.strftime("%Y-%m-%d %H:%M:%S %Z"), self.relative(moment), text
        )

    def relative(self, moment: datetime) -> str:
        seconds = (moment - self.now).total_seconds()
        span = abs(seconds)
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
            if span >= size:
                amount = f"{int(span // size)} {unit}"
                break
        else:
            return "now"
        return f"in {amount}" if seconds > 0 else f"{amount} ago"


F = TypeVar("F", out.Feed, out.FeedRef)


def grouped(files: Sequence[F]) -> list[tuple[str, str, list[F]]]:
    """Files of one feed (site, a tag, an author) together: (kind, name, files)."""
    groups: dict[tuple[str, str], list[F]] = {}
    for file in files:
        groups.setdefault((file.kind, file.name), []).append(file)
    return [(kind, name, members) for (kind, name), members in groups.items()]


def _size(value: int) -> str:
    amount = float(value)
    for unit in ("bytes", "KB", "MB"):
        if amount < 1024 or unit == "MB":
            return f"{amount:,.0f} {unit}" if unit == "bytes" else f"{amount:,.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} MB"


def _web(url: object) -> bool:
    """Whether a URL a network answered with may be a link: http(s) only, never javascript:."""
    return isinstance(url, str) and url.lower().startswith(("https://", "http://"))


def _local_path(value: object, default: str) -> str:
    """Only a path of this dashboard: never an open redirect to another site."""
    if not isinstance(value, str) or not value.startswith("/admin/"):
        return default
    return default if any(c in value for c in "\\\r\n") else value


def _with_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
