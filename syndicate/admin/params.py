"""Reading the dashboard pages' query and path parameters strictly: a bad one is a 422 (or a
404 for an id that cannot exist), never a server error. (The JSON API declares its own in
api.py, where FastAPI reads them.)"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

from syndicate.errors import RefusedError

DELIVERY_ACTIONS = ("retry", "cancel", "send-now")
ACCOUNT_ACTIONS = ("pause", "resume")
MAX_ID = 2**63 - 1  # the database's integer range; a larger id cannot exist
MAX_TEXT = 200  # search words longer than this are a mistake, not a search


def int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    number = _whole_number(raw.strip())
    if number is None or not low <= number <= high:
        raise RefusedError(422, "invalid", f"{name} must be a whole number from {low} to {high}")
    return number


def text_param(query: Mapping[str, str], name: str) -> str:
    value = query.get(name, "")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise RefusedError(422, "invalid", f"{name} must be text of at most {MAX_TEXT} characters")
    return value.strip()


def id_param(request: Request, name: str, what: str) -> int:
    """A numeric id from the path; anything else names no such thing (404)."""
    raw = str(request.path_params[name])
    number = _whole_number(raw)
    if number is None or not 1 <= number <= MAX_ID:
        raise RefusedError(404, "not_found", f"no {what} {raw!r}")
    return number


def _whole_number(text: str) -> int | None:
    """ASCII digits after an optional minus sign, else None. Checked before int() so that a
    bad value is a refusal, never a ValueError (a 500): "--5" is not a number, and int() refuses
    more than 4300 digits."""
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        return None
    if len(digits.lstrip("0")) > len(str(MAX_ID)):
        return None  # beyond every bound: no parameter can take it
    return int(text)
