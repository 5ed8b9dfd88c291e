"""The JSON API under /api/: the dashboard's data and actions for scripts, on FastAPI.

Each operation is declared once below, with its parameters' limits and its answer's model;
FastAPI validates the parameters and writes the OpenAPI 3.1 description (/api/openapi.json)
from the same declarations (adjusted to how the API is reached by api_description.py).

Every answer is JSON; every refusal is a `Problem` with a stable `error` code: `disabled`
(404: no token is configured), `unauthorized` (401), `csrf` (403), `not_found` (404: also an id
that cannot exist), `conflict` (409: the action does not apply now), `invalid` (422: a bad
parameter), `method` (405: a known path asked with another method; `Allow` names the right
ones). The token is checked before anything else is read from the request. An empty query
value (`?page=`, from a form) means the default, as if left out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syndicate import __version__
from syndicate.admin import schemas as out
from syndicate.admin.api_description import PREFIX, describe
from syndicate.admin.auth import CSRF_HEADER
from syndicate.admin.dashboard import Dashboard
from syndicate.admin.guard import Guard
from syndicate.admin.params import ACCOUNT_ACTIONS, DELIVERY_ACTIONS, MAX_ID, MAX_TEXT
from syndicate.errors import ConflictError, NotFoundError, RefusedError
from syndicate.model import DeliveryStatus

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_NO_NUL = r"^[^\u0000]*$"  # text parameters refuse a NUL character (both regex dialects)
_GET = ["GET", "HEAD"]
_DESCRIPTION = (
    "The status dashboard's data and actions. Send the admin token (`syndicate token`) as "
    "`Authorization: Bearer TOKEN`."
)


# -- who may call --------------------------------------------------------------------------


def _guard(request: Request) -> Guard:
    guard: Guard = request.app.state.guard
    return guard


def _dashboard(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


def _reader(request: Request) -> None:
    _guard(request).caller(request)


def _changer(
    request: Request,
    csrf: Annotated[
        str | None,
        Header(
            alias=CSRF_HEADER,
            description="required when calling with the session cookie (not with a Bearer token)",
        ),
    ] = None,
) -> None:
    guard = _guard(request)
    guard.allow_change(guard.caller(request), csrf)


def _exact_id(name: str, what: str) -> Callable[[Request], None]:
    """A path id written as plain ASCII digits, or no such thing (404): `1e3`, `0x10`, ` 1`
    and `²` name nothing, whatever a lenient parser would make of them."""

    def check(request: Request) -> None:
        raw = str(request.path_params.get(name, ""))
        if not (raw.isascii() and raw.isdigit()):
            raise RefusedError(404, "not_found", f"no {what} {raw!r}")

    return check


Endpoint = Callable[..., BaseModel]
Dashboards = Annotated[Dashboard, Depends(_dashboard)]
AccountName = Annotated[
    str, Path(min_length=1, pattern="^[^/]+$", description="the account's name in the config")
]
PostId = Annotated[int, Path(ge=1, le=MAX_ID, description="the post's id")]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID, description="the delivery's id")]
Page = Annotated[int, Query(ge=1, le=100_000, description="which page, from 1")]


def _text(about: str) -> Any:
    return Query(max_length=MAX_TEXT, pattern=_NO_NUL, description=about)


# -- the operations --------------------------------------------------------------------------


def overview(dashboard: Dashboards) -> out.Overview:
    return dashboard.overview()


def accounts(dashboard: Dashboards) -> out.AccountList:
    return out.AccountList(items=dashboard.accounts())


def account(dashboard: Dashboards, name: AccountName) -> out.Account:
    return dashboard.account(name)


def posts(
    dashboard: Dashboards,
    q: Annotated[str, _text("words that must all be in the title")] = "",
    tag: Annotated[str, _text("a tag's slug or name")] = "",
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=200, description="posts per page")] = 30,
) -> out.PostPage:
    return dashboard.posts(query=q.strip(), tag=tag.strip(), page=page, per_page=per_page)


def post(dashboard: Dashboards, post_id: PostId) -> out.PostDetail:
    return dashboard.post(post_id)


def preview(dashboard: Dashboards, post_id: PostId) -> out.Preview:
    return dashboard.preview(post_id)


def deliveries(
    dashboard: Dashboards,
    status: Annotated[
        DeliveryStatus | None, Query(description="only deliveries in this status")
    ] = None,
    account: Annotated[str, _text("only this account's deliveries")] = "",
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many")] = 200,
) -> out.DeliveryList:
    chosen = str(status) if status is not None else None
    return dashboard.deliveries(status=chosen, account=account.strip() or None, limit=limit)


def delivery(dashboard: Dashboards, delivery_id: DeliveryId) -> out.Delivery:
    return dashboard.delivery(delivery_id)


def feeds(
    dashboard: Dashboards,
    q: Annotated[str, _text("part of the path or name")] = "",
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=500, description="feeds per page")] = 100,
) -> out.FeedPage:
    return dashboard.feeds(query=q.strip(), page=page, per_page=per_page)


def chart(
    dashboard: Dashboards,
    days: Annotated[int, Query(ge=1, le=366, description="how many days, ending today")] = 28,
) -> out.Chart:
    return dashboard.chart(days)


_POST_ID = (Depends(_exact_id("post_id", "post")),)
_DELIVERY_ID = (Depends(_exact_id("delivery_id", "delivery")),)
# path, endpoint, operation id, summary, checks of the path's id
_READS: tuple[tuple[str, Endpoint, str, str, tuple[Any, ...]], ...] = (
    ("/overview", overview, "getOverview", "Health, counts, sources and accounts", ()),
    ("/accounts", accounts, "listAccounts", "Accounts with their state", ()),
    ("/accounts/{name}", account, "getAccount", "One account", ()),
    ("/posts", posts, "listPosts", "Posts, newest first, with their deliveries", ()),
    ("/posts/{post_id}", post, "getPost", "A post, its feeds and deliveries", _POST_ID),
    (
        "/posts/{post_id}/preview",
        preview,
        "previewPost",
        "What each account would receive, with counted length",
        _POST_ID,
    ),
    (
        "/deliveries",
        deliveries,
        "listDeliveries",
        "The outbox: waiting deliveries soonest first, then failed, then finished newest first",
        (),
    ),
    ("/deliveries/{delivery_id}", delivery, "getDelivery", "One delivery", _DELIVERY_ID),
    (
        "/feeds",
        feeds,
        "listFeeds",
        "Feed files with entries, size, last change and a structural check",
        (),
    ),
    ("/chart", chart, "getChart", "Deliveries sent per day per account", ()),
)


def _reads(api: FastAPI) -> None:
    for path, endpoint, operation_id, summary, checks in _READS:
        api.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            operation_id=operation_id,
            summary=summary,
            dependencies=[Depends(_reader), *checks],
            responses=_refusals(),
        )


_DELIVERY_SUMMARIES = {
    "retry": "Queue a failed delivery again, its attempts reset",
    "cancel": "Never send a waiting or failed delivery",
    "send-now": "Make a waiting or failed delivery due at once",
}


def _changes(api: FastAPI) -> None:
    changer = Depends(_changer)
    for action in DELIVERY_ACTIONS:
        path = f"/deliveries/{{delivery_id}}/{action}"
        api.post(
            path,
            operation_id=f"{action.replace('-', '_')}Delivery",
            summary=_DELIVERY_SUMMARIES[action],
            response_model=out.Delivery,
            dependencies=[changer, Depends(_exact_id("delivery_id", "delivery"))],
            responses=_refusals(change=True),
        )(_delivery_action(action))
    for action in ACCOUNT_ACTIONS:
        path = f"/accounts/{{name}}/{action}"
        api.post(
            path,
            operation_id=f"{action}Account",
            summary=f"{action.capitalize()} an account's deliveries",
            response_model=out.Account,
            dependencies=[changer],
            responses=_refusals(change=True),
        )(_account_action(action))


def _delivery_action(action: str) -> Callable[..., out.Delivery]:
    def act(dashboard: Dashboards, delivery_id: DeliveryId) -> out.Delivery:
        return dashboard.act(delivery_id, action)

    return act


def _account_action(action: str) -> Callable[..., out.Account]:
    def steer(dashboard: Dashboards, name: AccountName) -> out.Account:
        return dashboard.steer_account(name, action)

    return steer


def _refusals(*, change: bool = False) -> dict[int | str, Any]:
    """The refusals an operation documents, each a Problem (422 is dropped from the
    description where no query parameter can be refused)."""
    refusals: dict[int | str, Any] = {
        401: {
            "model": out.Problem,
            "description": "no token, a wrong token or an expired session",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        },
        404: {
            "model": out.Problem,
            "description": "no such thing, or the API is off (no token configured)",
        },
        422: {"model": out.Problem, "description": "a parameter out of range"},
    }
    if change:
        refusals[403] = {
            "model": out.Problem,
            "description": "a session call without its CSRF token",
        }
        refusals[409] = {
            "model": out.Problem,
            "description": "the action does not apply to it as it is now",
        }
    return refusals


# -- refusals ----------------------------------------------------------------------------------


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


async def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, RefusedError)
    return problem(error)


async def _not_found(request: Request, error: Exception) -> Response:
    return problem(RefusedError(404, "not_found", str(error)))


async def _conflict(request: Request, error: Exception) -> Response:
    return problem(RefusedError(409, "conflict", str(error)))


async def _invalid(request: Request, error: Exception) -> Response:
    """A bad query value is a 422 naming the parameter; a bad path id names nothing (404)."""
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0]
    where, name = first["loc"][0], str(first["loc"][-1])
    if where == "path":
        raw = request.path_params.get(name, "")
        return problem(
            RefusedError(404, "not_found", f"no such {name.removesuffix('_id')} {raw!r}")
        )
    return problem(RefusedError(422, "invalid", f"{name}: {first['msg']}"))


async def _http(request: Request, error: Exception) -> Response:
    """The router's own refusals: no such path (404), or another method (405)."""
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        allowed = (error.headers or {}).get("Allow", "")
        response = problem(RefusedError(405, "method", f"use {allowed}"))
        response.headers["Allow"] = allowed
        return response
    return problem(RefusedError(404, "not_found", f"no such endpoint: {request.url.path}"))


# -- the app and its description ---------------------------------------------------------------


def build_api() -> FastAPI:
    """The API's operations, with no dashboard yet (its description needs none)."""
    api = FastAPI(
        title="syndicate",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    api.router.redirect_slashes = False  # /api/posts/ is no endpoint, not a redirect
    _reads(api)
    _changes(api)
    api.add_exception_handler(RefusedError, _refused)
    api.add_exception_handler(NotFoundError, _not_found)
    api.add_exception_handler(ConflictError, _conflict)
    api.add_exception_handler(RequestValidationError, _invalid)
    api.add_exception_handler(HTTPException, _http)

    @api.api_route("/openapi.json", methods=_GET, include_in_schema=False)
    def description(request: Request) -> Response:
        _reader(request)  # the description too is for whoever holds the token
        return Response(api_document(), media_type="application/json")

    @api.api_route("/", methods=_GET, include_in_schema=False)
    def to_description() -> Response:
        return RedirectResponse(f"{PREFIX}/openapi.json", status_code=307)

    return api


def api_app(dashboard: Dashboard, guard: Guard) -> ASGIApp:
    """The API for the dashboard's HTTP app, mounted at /api."""
    api = build_api()
    for route in api.routes:  # HEAD as GET (left out of the description, which FastAPI
        if isinstance(route, APIRoute) and "GET" in (route.methods or ()):  # would write twice)
            route.methods = {*(route.methods or ()), "HEAD"}
    api.state.dashboard = dashboard
    api.state.guard = guard
    return _AsForms(api)


def operations() -> list[tuple[str, str, type[BaseModel]]]:
    """Each operation: method, path (under /api) and the model of its answer."""
    return [
        (method, PREFIX + route.path, route.response_model)
        for route in _documented_routes()
        for method in sorted(route.methods or ())
    ]


def _documented_routes() -> list[APIRoute]:
    return [r for r in build_api().routes if isinstance(r, APIRoute) and r.include_in_schema]


@cache
def api_document() -> bytes:
    """/api/openapi.json: FastAPI's description of the operations, as the API is reached."""
    return describe(build_api().openapi())


class _AsForms:
    """The API's ASGI wrapper: an empty query value is left out (a form's empty field means
    the default), and every answer says `no-store` and `nosniff`."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if query:
            kept = [pair for pair in query.split(b"&") if pair.partition(b"=")[2]]
            scope = {**scope, "query_string": b"&".join(kept)}

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _MARKS]
                message = {**message, "headers": [*headers, *_MARK_HEADERS]}
            await send(message)

        await self._app(scope, receive, send_marked)


_MARKS = {name.lower().encode() for name in NO_STORE}
_MARK_HEADERS = [(name.lower().encode(), value.encode()) for name, value in NO_STORE.items()]
