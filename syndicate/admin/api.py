"""The JSON API under /api/: the dashboard's data and actions for scripts (see openapi.py).

Every answer is JSON; every refusal is a `Problem` with a stable `error` code: `disabled`
(404: no token is configured), `unauthorized` (401), `csrf` (403), `not_found` (404),
`conflict` (409: the action does not apply now), `invalid` (422: a bad parameter), `method`
(405: a known path asked with another method; `Allow` names the right ones).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from syndicate.admin import schemas as out
from syndicate.admin.auth import CSRF_HEADER
from syndicate.admin.guard import Guard
from syndicate.admin.openapi import openapi_document
from syndicate.admin.params import (
    ACCOUNT_ACTIONS,
    DELIVERY_ACTIONS,
    id_param,
    int_param,
    status_param,
    text_param,
)
from syndicate.admin.service import Dashboard
from syndicate.errors import ConflictError, NotFoundError, RefusedError

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

Handler = Callable[[Request], Awaitable[Response]]


def api_routes(dashboard: Dashboard, guard: Guard) -> list[Route]:
    api = _Api(dashboard, guard)
    routes = [
        Route("/api/openapi.json", api.openapi, methods=["GET"]),
        Route("/api/", _to_description, methods=["GET"]),
        Route("/api/overview", api.read(lambda r: dashboard.overview()), methods=["GET"]),
        Route("/api/accounts", api.read(api.accounts), methods=["GET"]),
        Route("/api/accounts/{name}", api.read(api.account), methods=["GET"]),
        Route("/api/posts", api.read(api.posts), methods=["GET"]),
        Route("/api/posts/{post_id}", api.read(api.post), methods=["GET"]),
        Route("/api/posts/{post_id}/preview", api.read(api.preview), methods=["GET"]),
        Route("/api/deliveries", api.read(api.deliveries), methods=["GET"]),
        Route("/api/deliveries/{delivery_id}", api.read(api.delivery), methods=["GET"]),
        Route("/api/feeds", api.read(api.feeds), methods=["GET"]),
        Route("/api/chart", api.read(api.chart), methods=["GET"]),
    ]
    routes += [
        Route(
            f"/api/deliveries/{{delivery_id}}/{action}",
            api.change(api.delivery_action(action)),
            methods=["POST"],
        )
        for action in DELIVERY_ACTIONS
    ]
    routes += [
        Route(
            f"/api/accounts/{{name}}/{action}",
            api.change(api.account_action(action)),
            methods=["POST"],
        )
        for action in ACCOUNT_ACTIONS
    ]
    # An ASGI object, not a function, with no methods: Starlette then routes every method to
    # it (TRACE, PROPFIND...), where a fixed list left the others to its plain-text 405.
    routes.append(Route("/api/{rest:path}", _Fallback(routes)))
    return routes


class _Fallback:
    """Under /api/ every answer is JSON: a path no route knows is a 404, a known path asked
    with another method a 405 naming the allowed ones."""

    def __init__(self, routes: list[Route]) -> None:
        self._routes = list(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.answer(Request(scope, receive))
        await response(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        path = request.url.path
        allowed = sorted(
            {m for r in self._routes if r.path_regex.match(path) for m in r.methods or ()}
        )
        if allowed:
            response = problem(RefusedError(405, "method", f"use {', '.join(allowed)}"))
            response.headers["Allow"] = ", ".join(allowed)
            return response
        return problem(RefusedError(404, "not_found", f"no such endpoint: {path}"))


async def _to_description(request: Request) -> Response:
    return RedirectResponse("/api/openapi.json", status_code=307, headers=NO_STORE)


class _Api:
    def __init__(self, dashboard: Dashboard, guard: Guard) -> None:
        self.dashboard = dashboard
        self.guard = guard
        self._document: bytes | None = None

    async def openapi(self, request: Request) -> Response:
        try:
            self.guard.caller(request)  # the description too is for whoever holds the token
        except RefusedError as refusal:
            return problem(refusal)
        if self._document is None:
            self._document = openapi_document()
        return Response(self._document, media_type="application/json", headers=NO_STORE)

    def read(self, answer: Callable[[Request], BaseModel | list[Any]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                self.guard.caller(request)
                return _json(await run_in_threadpool(answer, request))
            except RefusedError as refusal:
                return problem(refusal)
            except NotFoundError as error:
                return problem(RefusedError(404, "not_found", str(error)))

        return endpoint

    def change(self, answer: Callable[[Request], BaseModel]) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                caller = self.guard.caller(request)
                self.guard.allow_change(caller, request.headers.get(CSRF_HEADER))
                return _json(await run_in_threadpool(answer, request))
            except RefusedError as refusal:
                return problem(refusal)
            except NotFoundError as error:
                return problem(RefusedError(404, "not_found", str(error)))
            except ConflictError as error:
                return problem(RefusedError(409, "conflict", str(error)))

        return endpoint

    # -- answers (run in a worker thread: they read the database) -----------------------

    def accounts(self, request: Request) -> out.AccountList:
        return out.AccountList(items=self.dashboard.accounts())

    def account(self, request: Request) -> out.Account:
        return self.dashboard.account(request.path_params["name"])

    def posts(self, request: Request) -> out.PostPage:
        query = request.query_params
        return self.dashboard.posts(
            query=text_param(query, "q"),
            tag=text_param(query, "tag"),
            page=int_param(query, "page", 1, 1, 100_000),
            per_page=int_param(query, "per_page", 30, 1, 200),
        )

    def post(self, request: Request) -> out.PostDetail:
        return self.dashboard.post(id_param(request, "post_id", "post"))

    def preview(self, request: Request) -> out.Preview:
        return self.dashboard.preview(id_param(request, "post_id", "post"))

    def deliveries(self, request: Request) -> out.DeliveryList:
        query = request.query_params
        account = text_param(query, "account") or None
        return self.dashboard.deliveries(
            status=status_param(query),
            account=account,
            limit=int_param(query, "limit", 200, 1, 1000),
        )

    def delivery(self, request: Request) -> out.Delivery:
        return self.dashboard.delivery(id_param(request, "delivery_id", "delivery"))

    def feeds(self, request: Request) -> out.FeedPage:
        query = request.query_params
        return self.dashboard.feeds(
            query=text_param(query, "q"),
            page=int_param(query, "page", 1, 1, 100_000),
            per_page=int_param(query, "per_page", 100, 1, 500),
        )

    def chart(self, request: Request) -> out.Chart:
        return self.dashboard.chart(int_param(request.query_params, "days", 28, 1, 366))

    def delivery_action(self, action: str) -> Callable[[Request], out.Delivery]:
        def act(request: Request) -> out.Delivery:
            return self.dashboard.act(id_param(request, "delivery_id", "delivery"), action)

        return act

    def account_action(self, action: str) -> Callable[[Request], out.Account]:
        def steer(request: Request) -> out.Account:
            return self.dashboard.steer_account(request.path_params["name"], action)

        return steer


def problem(refusal: RefusedError) -> Response:
    headers = dict(NO_STORE)
    if refusal.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="syndicate"'
    if refusal.retry_after is not None:
        headers["Retry-After"] = str(refusal.retry_after)
    body = out.Problem(error=refusal.code, message=refusal.message)
    return Response(
        body.model_dump_json(),
        status_code=refusal.status,
        media_type="application/json",
        headers=headers,
    )


def _json(value: BaseModel | list[Any]) -> Response:
    assert isinstance(value, BaseModel)
    return Response(value.model_dump_json(), media_type="application/json", headers=NO_STORE)
