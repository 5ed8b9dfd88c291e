"""The API's OpenAPI 3.1 description, generated from the answer models (schemas.py) and the
table of operations below, served at /api/openapi.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from syndicate import __version__
from syndicate.admin import schemas as out
from syndicate.admin.params import ACCOUNT_ACTIONS, DELIVERY_ACTIONS, MAX_ID, MAX_TEXT
from syndicate.model import DeliveryStatus

_REF = "#/components/schemas/{model}"


@dataclass(frozen=True, slots=True)
class _Op:
    method: str
    path: str
    operation_id: str
    summary: str
    answer: type[BaseModel]
    params: tuple[dict[str, Any], ...] = ()


# `?page=` means the default, as if left out (int_param, status_param): a form's empty field
# must not be an error. allowEmptyValue says so, or a client could not know `page=` is accepted.
_EMPTY_IS_DEFAULT = {"allowEmptyValue": True}


def _query_int(name: str, default: int, low: int, high: int, about: str) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": low, "maximum": high, "default": default}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": about,
        "schema": schema,
        **_EMPTY_IS_DEFAULT,
    }


def _query_text(name: str, about: str) -> dict[str, Any]:
    # text_param refuses a NUL character (422): say so, or a schema-valid request is refused
    schema = {"type": "string", "maxLength": MAX_TEXT, "pattern": "^[^\\u0000]*$"}
    return {"name": name, "in": "query", "required": False, "description": about, "schema": schema}


def _path_id(name: str, what: str) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return {"name": name, "in": "path", "required": True, "description": what, "schema": schema}


_ACCOUNT = {
    "name": "name",
    "in": "path",
    "required": True,
    "description": "the account's name in the config",
    "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
}
_PAGE = _query_int("page", 1, 1, 100_000, "which page, from 1")
_STATUS = {
    "name": "status",
    "in": "query",
    "required": False,
    "description": "only deliveries in this status",
    "schema": {"type": "string", "enum": [str(s) for s in DeliveryStatus]},
    **_EMPTY_IS_DEFAULT,
}
_CSRF = {
    "name": "X-CSRF-Token",
    "in": "header",
    "required": False,
    "description": "required when calling with the session cookie (not with a Bearer token)",
    "schema": {"type": "string"},
}

_READS = (
    _Op(
        "get", "/api/overview", "getOverview", "Health, counts, sources and accounts", out.Overview
    ),
    _Op("get", "/api/accounts", "listAccounts", "Accounts with their state", out.AccountList),
    _Op("get", "/api/accounts/{name}", "getAccount", "One account", out.Account, (_ACCOUNT,)),
    _Op(
        "get",
        "/api/posts",
        "listPosts",
        "Posts, newest first, with their deliveries",
        out.PostPage,
        (
            _query_text("q", "words that must all be in the title"),
            _query_text("tag", "a tag's slug or name"),
            _PAGE,
            _query_int("per_page", 30, 1, 200, "posts per page"),
        ),
    ),
    _Op(
        "get",
        "/api/posts/{post_id}",
        "getPost",
        "A post, its feeds and deliveries",
        out.PostDetail,
        (_path_id("post_id", "the post's id"),),
    ),
    _Op(
        "get",
        "/api/posts/{post_id}/preview",
        "previewPost",
        "What each account would receive, with counted length",
        out.Preview,
        (_path_id("post_id", "the post's id"),),
    ),
    _Op(
        "get",
        "/api/deliveries",
        "listDeliveries",
        "The outbox: waiting deliveries soonest first, then failed, then finished newest first",
        out.DeliveryList,
        (
            _STATUS,
            _query_text("account", "only this account's deliveries"),
            _query_int("limit", 200, 1, 1000, "at most this many"),
        ),
    ),
    _Op(
        "get",
        "/api/deliveries/{delivery_id}",
        "getDelivery",
        "One delivery",
        out.Delivery,
        (_path_id("delivery_id", "the delivery's id"),),
    ),
    _Op(
        "get",
        "/api/feeds",
        "listFeeds",
        "Feed files with entries, size, last change and a structural check",
        out.FeedPage,
        (
            _query_text("q", "part of the path or name"),
            _PAGE,
            _query_int("per_page", 100, 1, 500, "feeds per page"),
        ),
    ),
    _Op(
        "get",
        "/api/chart",
        "getChart",
        "Deliveries sent per day per account",
        out.Chart,
        (_query_int("days", 28, 1, 366, "how many days, ending today"),),
    ),
)

_DELIVERY_SUMMARIES = {
    "retry": "Queue a failed delivery again, its attempts reset",
    "cancel": "Never send a waiting or failed delivery",
    "send-now": "Make a waiting or failed delivery due at once",
}
_CHANGES = tuple(
    _Op(
        "post",
        f"/api/deliveries/{{delivery_id}}/{action}",
        f"{action.replace('-', '_')}Delivery",
        _DELIVERY_SUMMARIES[action],
        out.Delivery,
        (_path_id("delivery_id", "the delivery's id"), _CSRF),
    )
    for action in DELIVERY_ACTIONS
) + tuple(
    _Op(
        "post",
        f"/api/accounts/{{name}}/{action}",
        f"{action}Account",
        f"{action.capitalize()} an account's deliveries",
        out.Account,
        (_ACCOUNT, _CSRF),
    )
    for action in ACCOUNT_ACTIONS
)
OPERATIONS = _READS + _CHANGES


def _problem(about: str) -> dict[str, Any]:
    return {
        "description": about,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="Problem")}}},
    }


def _responses(op: _Op) -> dict[str, Any]:
    unauthorized = _problem("no token, a wrong token or an expired session")
    unauthorized["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model=op.answer.__name__)}}
            },
        },
        "401": unauthorized,
        "404": _problem("no such thing, or the API is off (no token configured)"),
    }
    if any(p["in"] == "query" for p in op.params):
        responses["422"] = _problem("a parameter out of range")
    if op.method == "post":
        responses["403"] = _problem("a session call without its CSRF token")
        responses["409"] = _problem("the action does not apply to it as it is now")
    return responses


def openapi_document() -> bytes:
    models: list[type[BaseModel]] = [out.Problem, *{op.answer for op in OPERATIONS}]
    _, definitions = models_json_schema(
        [(model, "serialization") for model in models], ref_template=_REF
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "parameters": list(op.params),
            "responses": _responses(op),
        }
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "syndicate",
            "version": __version__,
            "description": "The status dashboard's data and actions. Send the admin token "
            "(`syndicate token`) as `Authorization: Bearer TOKEN`.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "syndicate_session"},
            },
        },
        "security": [{"token": []}, {"session": []}],
    }
    return json.dumps(document, indent=1, sort_keys=True).encode()
