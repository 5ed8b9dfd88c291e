"""The API's OpenAPI 3.1 description as served at /api/openapi.json: FastAPI's, written from the
operations' declarations (api.py), adjusted to how the API is reached.

The adjustments: paths under /api/ (the API is mounted there); each parameter's schema one plain
schema (no title, no `null` alternative, an enum written out) and, for a number or a choice,
`allowEmptyValue` (an empty value means the default, as a form sends it); no validation-error
answer where no query parameter can be refused (a bad path id is a 404); the security schemes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

PREFIX = "/api"
_SECURITY_SCHEMES = {
    "token": {"type": "http", "scheme": "bearer"},
    "session": {"type": "apiKey", "in": "cookie", "name": "syndicate_session"},
}


def describe(document: dict[str, Any]) -> bytes:
    """The served description, from FastAPI's `openapi()` document."""
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):  # refusals are Problems here
        schemas.pop(name, None)
    document["paths"] = {
        PREFIX + path: {method: _operation(op, schemas) for method, op in item.items()}
        for path, item in document["paths"].items()
    }
    document["components"]["securitySchemes"] = _SECURITY_SCHEMES
    document["security"] = [{name: []} for name in _SECURITY_SCHEMES]
    return json.dumps(document, indent=1, sort_keys=True).encode()


def _operation(operation: dict[str, Any], schemas: Mapping[str, Any]) -> dict[str, Any]:
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        schema = _plain(parameter["schema"], schemas)
        parameter["schema"] = schema
        if parameter["in"] == "query" and ("enum" in schema or schema.get("type") == "integer"):
            parameter["allowEmptyValue"] = True
    operation["parameters"] = parameters
    if not any(p["in"] == "query" for p in parameters):
        operation["responses"].pop("422", None)
    return operation


def _plain(schema: dict[str, Any], schemas: Mapping[str, Any]) -> dict[str, Any]:
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    chosen = dict(options[0])
    if "$ref" in chosen:
        chosen = dict(schemas[chosen["$ref"].rsplit("/", 1)[-1]])
    for key in ("title", "description"):
        chosen.pop(key, None)
    if schema.get("default") is not None:
        chosen["default"] = schema["default"]
    return chosen
