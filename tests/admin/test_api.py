"""The JSON API over HTTP against the live daemon (see conftest.py): every operation of its
OpenAPI document answers 200 with the token and a body its model and its documented schema
accept; each refusal has its status and stable code; the actions reach the real Mastodon
server; and no credential ever shows in an answer, a page, the log or the database.

The endpoint tests are parametrized from the document itself, so an endpoint added without a
way to reach it here (`_ready`) fails. The daemon is shared by the module: a test that consumes
a failed delivery or pauses an account arranges that itself and puts the account back.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import httpx
import jsonschema_rs
import pytest

from syndicate.admin import schemas as out
from syndicate.admin.api import api_document, operations
from syndicate.admin.dashboard import PAUSED_HERE
from syndicate.config import load_settings
from syndicate.model import QUEUED, DeliveryStatus
from tests.admin.conftest import SECRET_SIGNING_VALUE, SECRET_TOKEN_VALUE, Site, as_json

DOCUMENT: dict[str, Any] = json.loads(api_document())
ENDPOINTS = [(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item]
POSTS = [(method, path) for method, path in ENDPOINTS if method == "POST"]
WITH_IDS = [(m, p) for m, p in ENDPOINTS if "{" in p]
QUERY_PARAMS = [
    (method, path, param)
    for method, path in ENDPOINTS
    for param in DOCUMENT["paths"][path][method.lower()]["parameters"]
    if param["in"] == "query"
]
MODELS = {(method, path): answer for method, path, answer in operations()}
DELIVERY_ACTIONS = {"retry", "cancel", "send-now"}  # spelled out: a new one must be taught here
ACCOUNT_ACTIONS = {"pause", "resume"}
STEERED = "team-hook"  # the account the generic tests pause: never the one made to fail
PAGES = ["/admin/", "/admin/posts", "/admin/outbox", "/admin/feeds", "/admin/preview"]
WAITING = {*QUEUED, DeliveryStatus.SENDING}

SEEN: list[str] = []  # every answer read in this module, for the credential test at the end


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [f"{method} {path}" for method, path in cases]


def _keep(response: httpx.Response) -> None:
    response.read()
    SEEN.append(f"{response.headers}\n{response.text}")


def _client(site: Site, headers: Mapping[str, str] | None = None) -> httpx.Client:
    """The token as Bearer unless `headers` says otherwise; every answer is kept in SEEN."""
    sent = {"Authorization": f"Bearer {site.token}"} if headers is None else dict(headers)
    return httpx.Client(
        base_url=site.base, headers=sent, timeout=30, event_hooks={"response": [_keep]}
    )


# -- what an answer must be ----------------------------------------------------------------


def _api_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "application/json", response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def _documented(body: Any, method: str, path: str, status: int) -> None:
    """The body fits the schema the document gives for this status (its $refs resolved)."""
    responses = DOCUMENT["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{status} is not documented for {method} {path}"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    document = {**schema, "components": DOCUMENT["components"]}
    jsonschema_rs.validate(document, body, validate_formats=True)


def _ok(response: httpx.Response, method: str, path: str) -> Any:
    """A 200 whose body both its pydantic model and the document's schema accept."""
    assert response.status_code == 200, response.text
    _api_headers(response)
    MODELS[(method, path)].model_validate_json(response.content, strict=True)
    body = as_json(response)
    _documented(body, method, path, 200)
    return body


def _refused(
    response: httpx.Response, status: int, code: str, endpoint: tuple[str, str] | None = None
) -> None:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    _api_headers(response)
    problem = out.Problem.model_validate_json(response.content, strict=True)
    assert problem.error == code, problem
    if endpoint is not None:
        _documented(as_json(response), *endpoint, status)


# -- reaching each operation -------------------------------------------------------------------


def _fill(path: str, values: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match[1] not in values:
            pytest.fail(f"no value for the path parameter {match[1]} of {path}: add one here")
        return values[match[1]]

    return re.sub(r"\{(\w+)\}", value, path)


def _concrete(site: Site, path: str) -> str:
    """The path with ids that exist: any delivery, its post, the steered account."""
    delivery = site.deliveries()[0]
    return _fill(
        path,
        {"delivery_id": str(delivery.id), "post_id": str(delivery.post_pk), "name": STEERED},
    )


def _failed(site: Site) -> int:
    """A failed delivery: one an earlier test left, else a new one (conftest's refused post;
    it is only asked for when none is failed, so the one it finds is the new one)."""
    for delivery in site.deliveries():
        if delivery.status is DeliveryStatus.FAILED:
            return delivery.id
    return site.failed_delivery().id


def _status(site: Site, delivery_id: int) -> DeliveryStatus:
    return next(d.status for d in site.deliveries() if d.id == delivery_id)


def _gone_out(site: Site, delivery_id: int) -> None:
    site.wait(lambda: _status(site, delivery_id) not in WAITING, f"#{delivery_id} to leave")


def _state(api: httpx.Client, name: str) -> str:
    return str(as_json(api.get(f"/api/accounts/{name}"))["state"])


def _steer(api: httpx.Client, name: str, action: str) -> None:
    answer = api.post(f"/api/accounts/{name}/{action}")
    assert answer.status_code == 200, answer.text


@contextmanager
def _active(api: httpx.Client, name: str) -> Iterator[None]:
    """Whatever the test does to the account, it is active again afterwards."""
    try:
        yield
    finally:
        if _state(api, name) == "paused":
            _steer(api, name, "resume")


@contextmanager
def _ready(site: Site, api: httpx.Client, method: str, path: str) -> Iterator[str]:
    """A URL at which the operation answers 200 now; what it changed is settled afterwards."""
    action = path.rsplit("/", 1)[-1]
    if method == "GET":
        yield _concrete(site, path)
    elif path.startswith("/api/deliveries/{delivery_id}/") and action in DELIVERY_ACTIONS:
        delivery = _failed(site)  # every delivery action applies to a failed delivery
        try:
            yield _fill(path, {"delivery_id": str(delivery)})
        finally:
            _gone_out(site, delivery)
    elif path.startswith("/api/accounts/{name}/") and action in ACCOUNT_ACTIONS:
        with _active(api, STEERED):
            if action == "resume":
                _steer(api, STEERED, "pause")
            yield _fill(path, {"name": STEERED})
    else:
        pytest.fail(f"no way to make {method} {path} answer 200: teach _ready")


@contextmanager
def _session(site: Site) -> Iterator[tuple[httpx.Client, str]]:
    """A browser logged in through /admin/login, and its session's CSRF token from a page."""
    with _client(site, {}) as browser:
        nonce = _hidden_csrf(browser.get("/admin/login").text)
        answer = browser.post("/admin/login", data={"token": site.token, "csrf": nonce})
        assert answer.status_code == 303, answer.text
        assert "syndicate_session" in browser.cookies
        csrf = _hidden_csrf(browser.get("/admin/outbox").text)
        assert csrf
        yield browser, csrf


def _hidden_csrf(page: str) -> str:
    """The value of the first input named csrf, whatever the order of its attributes."""
    tag = re.search(r'<input[^>]*\bname="csrf"[^>]*>', page)
    value = re.search(r'\bvalue="([^"]*)"', tag[0]) if tag else None
    assert value, page
    return value[1]


# -- the document ------------------------------------------------------------------------------


def test_the_served_document_is_the_one_the_tests_iterate(live_site: Site) -> None:
    with _client(live_site) as api:
        served = api.get("/api/openapi.json")
        assert served.status_code == 200
        assert as_json(served) == DOCUMENT
        assert served.headers["cache-control"] == "no-store"
        to_it = api.get("/api/")
        assert to_it.status_code == 307
        assert to_it.headers["location"] == "/api/openapi.json"
    assert len(ENDPOINTS) == len(operations())


# -- 200 with the token ------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=_ids(ENDPOINTS))
def test_every_operation_answers_200_with_the_token(
    live_site: Site, method: str, path: str
) -> None:
    with _client(live_site) as api, _ready(live_site, api, method, path) as url:
        # a Bearer POST needs no CSRF token: no browser adds an Authorization header itself
        _ok(api.request(method, url), method, path)


def test_reads_work_with_a_session_cookie_too(live_site: Site) -> None:
    with _session(live_site) as (browser, _):
        _ok(browser.get("/api/overview"), "GET", "/api/overview")


# -- 401 and 404 `disabled` --------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=_ids(ENDPOINTS))
def test_every_operation_is_401_without_the_right_token(
    live_site: Site, method: str, path: str
) -> None:
    wrong = "syn_" + "x" * (len(live_site.token) - 4)
    callers: dict[str, dict[str, str]] = {
        "no token": {},
        "a wrong token": {"Authorization": f"Bearer {wrong}"},
        "the token with another scheme": {"Authorization": f"Basic {live_site.token}"},
        "a forged session": {"Cookie": "syndicate_session=1700000000.nonce.mac"},
    }
    url = _concrete(live_site, path)
    for caller, headers in callers.items():
        with _client(live_site, headers) as anonymous:
            answer = anonymous.request(method, url)
        assert answer.status_code == 401, f"{caller}: {answer.text}"
        _refused(answer, 401, "unauthorized", (method, path))
        assert answer.headers["www-authenticate"].startswith("Bearer"), caller
    if method == "POST":  # and nothing was done
        with _client(live_site) as api:
            assert _state(api, STEERED) == "active"


def test_without_a_token_the_api_is_off_and_the_token_file_switches_it(site: Site) -> None:
    """No token: every operation is 404 `disabled`. Then `syndicate token`, `--rotate` and
    deleting the file take effect on the running daemon, no restart."""
    site.start()
    endpoints = [*ENDPOINTS, ("GET", "/api/openapi.json")]
    guess = {"Authorization": "Bearer syn_" + "g" * 43}
    with _client(site, {}) as anonymous, _client(site, guess) as guessing:
        for client in (anonymous, guessing):
            for method, path in endpoints:
                url = _fill(path, {"delivery_id": "1", "post_id": "1", "name": STEERED})
                _refused(client.request(method, url), 404, "disabled")
        for public in ("/", "/healthz", "/feed.xml"):  # the public part needs no token
            assert anonymous.get(public).status_code == 200, public

        first = site.make_token()
        with _client(site) as api:
            _ok(api.get("/api/overview"), "GET", "/api/overview")
        with _session(site) as (browser, _):
            _ok(browser.get("/api/overview"), "GET", "/api/overview")

            rotated = site.syndicate("token", "--rotate")
            assert rotated.returncode == 0, rotated.stderr
            second = rotated.stdout.strip()
            assert second and second != first
            with _client(site, {"Authorization": f"Bearer {first}"}) as old:
                _refused(old.get("/api/overview"), 401, "unauthorized")
            _refused(browser.get("/api/overview"), 401, "unauthorized")  # sessions end too
        with _client(site, {"Authorization": f"Bearer {second}"}) as new:
            _ok(new.get("/api/overview"), "GET", "/api/overview")
            load_settings(site.config).token_path.unlink()
            _refused(new.get("/api/overview"), 404, "disabled")
            _refused(new.get("/api/openapi.json"), 404, "disabled")


# -- 403 `csrf` --------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), POSTS, ids=_ids(POSTS))
def test_a_session_post_needs_its_own_csrf_token(live_site: Site, method: str, path: str) -> None:
    with (
        _client(live_site) as api,
        _session(live_site) as (browser, csrf),
        _session(live_site) as (_, other_csrf),
        _ready(live_site, api, method, path) as url,
    ):
        thing = url.rsplit("/", 1)[0]  # the delivery or account the action is about
        before = as_json(api.get(thing))
        for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": other_csrf}):
            _refused(browser.post(url, headers=headers), 403, "csrf", (method, path))
        assert as_json(api.get(thing)) == before  # refused means nothing was done
        _ok(browser.post(url, headers={"X-CSRF-Token": csrf}), method, path)


# -- 404 `not_found` ---------------------------------------------------------------------------

BAD_IDS = [
    "999999",
    "0",
    "-1",
    "abc",
    "1.5",
    "1e3",
    "0x10",
    "%C2%B2",  # a superscript two: a digit to str.isdigit, not a number
    "%201",
    str(2**63),
    str(2**64),
    "9" * 5000,  # int() refuses more than 4300 digits: this was a 500
]


@pytest.mark.parametrize(("method", "path"), WITH_IDS, ids=_ids(WITH_IDS))
def test_unknown_or_impossible_ids_are_404(live_site: Site, method: str, path: str) -> None:
    if "{name}" in path:
        urls = [_fill(path, {"name": name}) for name in ("nobody", "team", "%20")]
    else:
        urls = [re.sub(r"\{\w+\}", bad, path) for bad in BAD_IDS]
    with _client(live_site) as api:
        for url in urls:
            _refused(api.request(method, url), 404, "not_found", (method, path))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/nope"),
        ("POST", "/api/nope"),
        ("GET", "/api/posts/1/nope"),
        ("POST", "/api/deliveries/1/explode"),
        ("POST", "/api/accounts/team-hook/delete"),
        ("GET", "/api/accounts/a/b/c"),
        ("DELETE", "/api/everything"),
    ],
)
def test_an_unknown_api_path_is_a_json_404(live_site: Site, method: str, url: str) -> None:
    with _client(live_site) as api:
        _refused(api.request(method, url), 404, "not_found")


# -- 405 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(DOCUMENT["paths"]))
def test_a_wrong_method_is_a_json_405_naming_the_right_ones(live_site: Site, path: str) -> None:
    documented = {method.upper() for method in DOCUMENT["paths"][path]}
    allowed = documented | ({"HEAD"} if "GET" in documented else set())
    wrong = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"} - allowed
    with _client(live_site) as api:
        for method in sorted(wrong):
            answer = api.request(method, _concrete(live_site, path))
            _refused(answer, 405, "method")
            assert set(answer.headers["allow"].split(", ")) == allowed, method


# -- 409 `conflict` ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(DELIVERY_ACTIONS))
def test_an_action_on_a_sent_delivery_is_409(live_site: Site, action: str) -> None:
    sent = next(d for d in live_site.deliveries() if d.status is DeliveryStatus.SENT)
    path = f"/api/deliveries/{{delivery_id}}/{action}"
    with _client(live_site) as api:
        _refused(api.post(f"/api/deliveries/{sent.id}/{action}"), 409, "conflict", ("POST", path))
        assert as_json(api.get(f"/api/deliveries/{sent.id}"))["status"] == "sent"


def test_resuming_an_active_or_pausing_a_paused_account_is_409(live_site: Site) -> None:
    resume, pause = "/api/accounts/{name}/resume", "/api/accounts/{name}/pause"
    with _client(live_site) as api, _active(api, STEERED):
        _refused(api.post(f"/api/accounts/{STEERED}/resume"), 409, "conflict", ("POST", resume))
        _steer(api, STEERED, "pause")
        _refused(api.post(f"/api/accounts/{STEERED}/pause"), 409, "conflict", ("POST", pause))
        assert _state(api, STEERED) == "paused"


# -- 422 `invalid` -----------------------------------------------------------------------------


def _bad_values(schema: Mapping[str, Any]) -> list[str]:
    if "enum" in schema:
        return ["bogus", str(schema["enum"][0]).upper(), " "]
    if schema["type"] == "integer":
        low, high = schema["minimum"], schema["maximum"]
        return [str(low - 1), str(high + 1), "abc", "1.5", "--5", "-", "²", "9" * 5000, " "]
    assert schema["type"] == "string", schema
    return ["x" * (schema["maxLength"] + 1), "a\x00b"]


def _good_values(schema: Mapping[str, Any]) -> list[str]:
    if "enum" in schema:
        return ["", *schema["enum"]]
    if schema["type"] == "integer":
        return ["", str(schema["minimum"]), str(schema["maximum"])]
    return ["", "x" * schema["maxLength"]]


@pytest.mark.parametrize(
    ("method", "path", "param"),
    QUERY_PARAMS,
    ids=[f"{m} {p} {param['name']}" for m, p, param in QUERY_PARAMS],
)
def test_every_query_parameter_refuses_what_its_schema_refuses(
    live_site: Site, method: str, path: str, param: dict[str, Any]
) -> None:
    name, schema = param["name"], param["schema"]
    with _client(live_site) as api:
        for bad in _bad_values(schema):
            answer = api.request(method, path, params={name: bad})
            _refused(answer, 422, "invalid", (method, path))
            assert name in as_json(answer)["message"]
        for good in _good_values(schema):  # the bounds are in, an empty value is the default
            _ok(api.request(method, path, params={name: good}), method, path)


@pytest.mark.parametrize(
    "url",
    [
        "/api/posts?page=0",
        "/api/posts?per_page=9999",
        "/api/deliveries?status=bogus",
        "/api/chart?days=abc",
        "/api/feeds?per_page=-1",
        "/api/deliveries?limit=1001",
    ],
)
def test_bad_query_parameters_are_422(live_site: Site, url: str) -> None:
    with _client(live_site) as api:
        _refused(api.get(url), 422, "invalid")


# -- what the actions do -----------------------------------------------------------------------


def test_retry_queues_the_failed_delivery_and_mastodon_receives_it(live_site: Site) -> None:
    delivery = _failed(live_site)
    with _client(live_site) as api:
        before = as_json(api.get(f"/api/deliveries/{delivery}"))
        assert before["account"] == "blog-mastodon" and "retry" in before["actions"]
        retried = _ok(
            api.post(f"/api/deliveries/{delivery}/retry"),
            "POST",
            "/api/deliveries/{delivery_id}/retry",
        )
        # the publisher is woken at once and may already hold it
        assert retried["status"] in {"pending", "scheduled", "sending"}, retried
        assert retried["attempts"] == 0 and "retry" not in retried["actions"]
        live_site.wait(lambda: _status(live_site, delivery) is DeliveryStatus.SENT, "sent")
        sent = as_json(api.get(f"/api/deliveries/{delivery}"))
    assert sent["remote_id"] and sent["sent_at"] and sent["last_error"] is None
    on_mastodon = {status["id"]: status for status in live_site.mastodon.statuses()}
    assert sent["remote_id"] in on_mastodon
    assert live_site.mastodon.source(sent["remote_id"]) == sent["text"]


def test_send_now_makes_the_failed_delivery_go_out(live_site: Site) -> None:
    delivery = _failed(live_site)
    with _client(live_site) as api:
        due = _ok(
            api.post(f"/api/deliveries/{delivery}/send-now"),
            "POST",
            "/api/deliveries/{delivery_id}/send-now",
        )
        assert due["status"] in {"scheduled", "sending"}, due
        live_site.wait(lambda: _status(live_site, delivery) is DeliveryStatus.SENT, "sent")
        sent = as_json(api.get(f"/api/deliveries/{delivery}"))
    assert sent["remote_id"] in {status["id"] for status in live_site.mastodon.statuses()}


def test_cancel_means_it_never_goes_out(live_site: Site) -> None:
    delivery = _failed(live_site)
    with _client(live_site) as api:
        cancelled = _ok(
            api.post(f"/api/deliveries/{delivery}/cancel"),
            "POST",
            "/api/deliveries/{delivery_id}/cancel",
        )
        assert cancelled["status"] == "skipped" and cancelled["actions"] == []
        for action in sorted(DELIVERY_ACTIONS):
            _refused(api.post(f"/api/deliveries/{delivery}/{action}"), 409, "conflict")
        skipped = as_json(api.get("/api/deliveries", params={"status": "skipped"}))
    assert delivery in [d["id"] for d in skipped["items"]]


def test_pausing_an_account_holds_its_deliveries_until_it_resumes(live_site: Site) -> None:
    name = "blog-mastodon"
    with _client(live_site) as api, _active(api, name):
        paused = _ok(api.post(f"/api/accounts/{name}/pause"), "POST", "/api/accounts/{name}/pause")
        assert paused["state"] == "paused" and paused["reason"] == PAUSED_HERE
        assert paused["since"] is not None
        listed = {a["name"]: a for a in as_json(api.get("/api/accounts"))["items"]}
        assert listed[name]["state"] == "paused" and listed["team-hook"]["state"] == "active"
        overview = as_json(api.get("/api/overview"))
        assert {a["name"]: a["state"] for a in overview["accounts"]}[name] == "paused"

        live_site.write("While paused", "2024-06-05", tags="news")

        def held() -> list[dict[str, Any]]:
            query = {"account": name, "status": "paused"}
            items = as_json(api.get("/api/deliveries", params=query))["items"]
            return [d for d in items if d["title"] == "While paused"]

        live_site.wait(lambda: bool(held()), "the new post to be held for the paused account")
        (waiting,) = held()
        assert waiting["actions"] == ["cancel"]
        page = api.get("/admin/outbox").text
        assert f'aria-label="Resume {name}"' in page and f'id="delivery-{waiting["id"]}"' in page

        resumed = _ok(
            api.post(f"/api/accounts/{name}/resume"), "POST", "/api/accounts/{name}/resume"
        )
        assert resumed["state"] == "active" and resumed["reason"] is None
        live_site.wait(
            lambda: _status(live_site, waiting["id"]) is DeliveryStatus.SENT,
            "the held delivery to go out once resumed",
        )


# -- what the reads say ------------------------------------------------------------------------


def _titles(page: Mapping[str, Any]) -> list[str]:
    return [post["title"] for post in page["items"]]


def test_posts_are_searched_by_title_words_and_tag(live_site: Site) -> None:
    with _client(live_site) as api:

        def search(**query: str) -> dict[str, Any]:
            return dict(_ok(api.get("/api/posts", params=query), "GET", "/api/posts"))

        assert _titles(search(q="fresh")) == ["Fresh news"]
        assert _titles(search(q="NEWS  Fresh")) == ["Fresh news"]  # any order, any case
        nothing = search(q="fresh older")
        assert (nothing["total"], nothing["pages"], nothing["items"]) == (0, 1, [])
        news = search(tag="news")
        assert {"Existing post", "Older post", "Fresh news"} <= set(_titles(news))
        assert all(any(t["slug"] == "news" for t in p["tags"]) for p in news["items"])
        released = search(tag="release")
        assert released["total"] >= 1
        assert all(any(t["slug"] == "release" for t in p["tags"]) for p in released["items"])
        assert set(_titles(search(q="post", tag="news"))) == {"Existing post", "Older post"}
        assert search(tag="nope")["total"] == 0


def test_posts_pages_add_up_to_the_total(live_site: Site) -> None:
    with _client(live_site) as api:
        everything = as_json(api.get("/api/posts", params={"per_page": 200}))
        total = everything["total"]
        assert total == len(everything["items"]) >= 4
        dates = [post["date"] for post in everything["items"]]
        assert dates == sorted(dates, reverse=True)  # newest first
        one = as_json(api.get("/api/posts", params={"per_page": 1}))
        assert (one["total"], one["pages"], one["per_page"]) == (total, total, 1)
        paged = [
            as_json(api.get("/api/posts", params={"per_page": 1, "page": n}))["items"][0]["id"]
            for n in range(1, total + 1)
        ]
        assert paged == [post["id"] for post in everything["items"]]
        two = as_json(api.get("/api/posts", params={"per_page": 2, "page": 2}))
        assert two["pages"] == -(-total // 2) and len(two["items"]) == min(2, total - 2)
        beyond = as_json(api.get("/api/posts", params={"per_page": 2, "page": two["pages"] + 1}))
        assert beyond["total"] == total and beyond["items"] == []


def test_a_post_lists_its_feeds_and_deliveries(live_site: Site) -> None:
    with _client(live_site) as api:
        feeds = as_json(api.get("/api/feeds", params={"per_page": 500}))["items"]
        outbox = as_json(api.get("/api/deliveries", params={"limit": 1000}))["items"]
        for summary in as_json(api.get("/api/posts", params={"per_page": 200}))["items"]:
            detail = _ok(api.get(f"/api/posts/{summary['id']}"), "GET", "/api/posts/{post_id}")
            post = detail["post"]
            assert post["id"] == summary["id"] and post["title"] == summary["title"]
            tags = {t["name"] for t in post["tags"]}
            wanted = {
                f["path"]
                for f in feeds
                if f["kind"] == "site"
                or (f["kind"] == "tag" and f["name"] in tags)
                or (f["kind"] == "author" and f["name"] in post["authors"])
            }
            listed = {f["path"] for f in detail["feeds"]}
            assert listed == wanted, post["title"]
            kinds = Counter(f["kind"] for f in detail["feeds"])
            assert kinds["site"] == 3 and kinds["tag"] == 3 * len(tags)
            assert kinds["author"] == 3 * len(post["authors"])
            mine = sorted(d["id"] for d in outbox if d["post"] == post["id"])
            assert sorted(d["id"] for d in post["deliveries"]) == mine
            assert all(d["title"] == post["title"] for d in post["deliveries"])


def test_a_preview_lists_every_account_within_its_limit(live_site: Site) -> None:
    with _client(live_site) as api:
        for post in as_json(api.get("/api/posts", params={"per_page": 200}))["items"]:
            path = "/api/posts/{post_id}/preview"
            preview = _ok(api.get(f"/api/posts/{post['id']}/preview"), "GET", path)
            assert preview["post"] == post["id"] and preview["title"] == post["title"]
            assert [i["account"] for i in preview["items"]] == ["blog-mastodon", "team-hook"]
            for item in preview["items"]:
                assert item["text"], item
                assert item["length"] <= item["limit"], item
                assert item["length"] > 0, item


def test_a_preview_of_a_sent_delivery_counts_its_length(live_site: Site) -> None:
    with _client(live_site) as api:
        post = as_json(api.get("/api/posts", params={"q": "fresh"}))["items"][0]
        preview = as_json(api.get(f"/api/posts/{post['id']}/preview"))
    sent = [item for item in preview["items"] if item["status"] == "sent"]
    assert sent and all(item["length"] > 0 for item in sent)


def test_the_built_feeds_are_listed_valid_and_served(live_site: Site) -> None:
    with _client(live_site) as api, _client(live_site, {}) as public:
        posts = as_json(api.get("/api/posts", params={"per_page": 200}))["items"]
        tags = {tag["slug"] for post in posts for tag in post["tags"]}
        authors = {author for post in posts for author in post["authors"]}
        page = _ok(api.get("/api/feeds", params={"per_page": 500}), "GET", "/api/feeds")
        # the site's feed, one per tag and one per author, each in Atom, RSS and JSON
        assert page["total"] == len(page["items"]) == 3 * (1 + len(tags) + len(authors))
        for feed in page["items"]:
            assert feed["valid"] is True and feed["problems"] == [], feed
            assert feed["entries"] > 0 and feed["size"] > 0 and feed["modified"], feed
            served = public.get(f"/{feed['path']}")  # no token: feeds are public
            assert served.status_code == 200 and len(served.content) == feed["size"], feed
        found = as_json(api.get("/api/feeds", params={"q": "tag/"}))
        assert found["total"] == 3 * len(tags) and {f["kind"] for f in found["items"]} == {"tag"}


def test_the_chart_counts_every_sent_delivery(live_site: Site) -> None:
    with _client(live_site) as api:

        def matches() -> bool:
            chart = as_json(api.get("/api/chart"))
            sent = Counter(
                d["account"] for d in as_json(api.get("/api/deliveries?status=sent"))["items"]
            )
            totals = {s["account"]: s["total"] for s in chart["series"]}
            return all(sum(s["counts"]) == s["total"] for s in chart["series"]) and totals == {
                name: sent.get(name, 0) for name in ("blog-mastodon", "team-hook")
            }

        live_site.wait(matches, "the chart to count the sent deliveries")
        chart = _ok(api.get("/api/chart"), "GET", "/api/chart")
        assert len(chart["days"]) == 28
        one = as_json(api.get("/api/chart", params={"days": 1}))
    assert one["days"] == chart["days"][-1:]
    days = [date.fromisoformat(day) for day in chart["days"]]
    assert all(later - day == timedelta(days=1) for day, later in pairwise(days))


def test_the_overview_counts_what_the_outbox_holds(live_site: Site) -> None:
    with _client(live_site) as api:
        overview = _ok(api.get("/api/overview"), "GET", "/api/overview")
        outbox = as_json(api.get("/api/deliveries", params={"limit": 1000}))
    counted = Counter(d["status"] for d in outbox["items"])
    # a delivery may move between the two reads; the totals cannot
    assert sum(overview["deliveries"].values()) == outbox["total"] == sum(counted.values())
    assert overview["health"]["healthy"] is True
    assert [a["name"] for a in overview["accounts"]] == ["blog-mastodon", "team-hook"]


# -- pages and the public part -----------------------------------------------------------------


def test_admin_pages_send_the_security_headers(live_site: Site) -> None:
    with _client(live_site) as api, _client(live_site, {}) as anonymous:
        post = as_json(api.get("/api/posts"))["items"][0]["id"]
        answers = {url: api.get(url) for url in [*PAGES, f"/admin/posts/{post}", "/admin/nope"]}
        answers["login"] = anonymous.get("/admin/login")
        answers["to login"] = anonymous.get("/admin/outbox")
    for url, answer in answers.items():
        assert answer.status_code in {200, 303, 404}, url
        assert "default-src 'none'" in answer.headers["content-security-policy"], url
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], url
        assert answer.headers["cache-control"] == "no-store", url
        assert answer.headers["x-frame-options"] == "DENY", url


def test_the_public_part_needs_no_token(live_site: Site) -> None:
    with _client(live_site, {}) as anonymous:
        for url in ("/", "/healthz", "/feed.xml", "/feed.json", "/tag/news.rss"):
            assert anonymous.get(url).status_code == 200, url


# -- credentials (last: it also reads what every test above read) --------------------------------


def test_no_credential_ever_shows(live_site: Site) -> None:
    with _client(live_site) as api:
        for method, path in ENDPOINTS:  # every read, of every delivery, post and account
            if method == "GET" and "{" not in path:
                api.get(path)
        posts = as_json(api.get("/api/posts", params={"per_page": 200}))["items"]
        for post in posts:
            api.get(f"/api/posts/{post['id']}")
            api.get(f"/api/posts/{post['id']}/preview")
            api.get(f"/admin/posts/{post['id']}")
            api.get("/admin/preview", params={"post": post["id"]})
        for delivery in live_site.deliveries():
            api.get(f"/api/deliveries/{delivery.id}")
        for account in ("blog-mastodon", "team-hook"):
            api.get(f"/api/accounts/{account}")
        for page in PAGES:
            api.get(page)
    with _session(live_site) as (browser, _):  # and what a logged-in browser sees
        for page in PAGES:
            browser.get(page)
    secrets = {
        "the Mastodon token": SECRET_TOKEN_VALUE,
        "the webhook's signing key": SECRET_SIGNING_VALUE,
        "the webhook's URL": live_site.hook.url,
        "the admin token": live_site.token,
    }
    answers = "\n".join(SEEN)
    log, database = live_site.log(), live_site.database_dump()
    assert len(SEEN) > 20 and log and database
    for what, secret in secrets.items():
        assert secret not in answers, f"{what} shows in an answer or page"
        assert secret not in log, f"{what} shows in the daemon's log"
        assert secret not in database, f"{what} is in the database"
