"""The dashboard in a real browser: headless Chromium driven by Playwright, over the real daemon,
mastodon-mock and the webhook receiver (tests/admin/conftest.py); nothing is mocked.

What a person does with it is what is tested: log in, find a post, read what each account got,
retry, pause and resume, log out; and that no page lets a post's title run as markup, no form
works without its CSRF token, and every page fits a laptop and a phone (screenshots of each are
left in test-artifacts/dashboard/ to look at).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    expect,
    sync_playwright,
)

from syndicate.admin.auth import SESSION_COOKIE
from syndicate.content.text import plain_title
from syndicate.model import Delivery, DeliveryStatus
from tests.admin.conftest import DEADLINE, HTML_TITLE, Site
from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
# No GPU, no network of its own (updates, sync, QUIC): only the pages under test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = REPO / "test-artifacts" / "dashboard"
MASTODON, HOOK = "blog-mastodon", "team-hook"
# Assertions retry up to this long: pages answer at once, but the machine may be loaded.
expect.set_options(timeout=15_000)


@dataclass(frozen=True)
class Device:
    name: str
    width: int
    height: int
    phone: bool = False


LAPTOP = Device("laptop", 1280, 800)
PHONE = Device("phone", 390, 844, phone=True)
DEVICES = [LAPTOP, PHONE]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing: run tests/peers/chromium/install.sh as root"
        if "CI" in os.environ:
            pytest.fail(reason)  # CI must run these, never pass by skipping them
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def refused(live_site: Site) -> Delivery:
    """The delivery the Mastodon server refused, as it was before any test touched it."""
    return next(d for d in live_site.deliveries() if d.status is DeliveryStatus.FAILED)


@contextmanager
def browsing(browser: Browser, device: Device = LAPTOP) -> Iterator[Page]:
    """A page in a fresh context (no cookies); fails if a script ran or the CSP refused anything."""
    context = browser.new_context(
        viewport={"width": device.width, "height": device.height},
        is_mobile=device.phone,
        has_touch=device.phone,
        device_scale_factor=2 if device.phone else 1,
    )
    trouble: list[str] = []
    page = context.new_page()

    def on_dialog(dialog: Dialog) -> None:
        trouble.append(f"a script opened a dialog: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            trouble.append(f"{message.location.get('url')}: {message.text}")

    page.on("dialog", on_dialog)  # a dialog would mean a post's markup ran as script
    page.on("pageerror", lambda error: trouble.append(f"script error: {error}"))
    page.on("console", on_console)
    try:
        yield page
    finally:
        context.close()
    assert trouble == []


def log_in(page: Page, site: Site) -> None:
    page.goto(site.base + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login\?"))
    page.get_by_label("Token").fill(site.token)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(site.base + "/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")


def shoot(page: Page, name: str, device: Device) -> None:
    """A full-page screenshot (kept even when the check fails), then: no sideways scroll."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}-{device.name}.png", full_page=True)
    wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1] + 1, f"{name} scrolls sideways on a {device.name}: {wide}"


def reload_until(page: Page, shown: Locator, what: str) -> None:
    """Reload until `shown` is on the page: the dashboard has no script to update itself."""
    deadline = time.monotonic() + DEADLINE
    while shown.count() == 0:
        assert time.monotonic() < deadline, f"{what} within {DEADLINE:.0f} s"
        time.sleep(0.3)
        page.reload()


def item(page: Page, section: str, delivery_id: int) -> Locator:
    """A delivery in one section of the Outbox page (`section` is its heading's id)."""
    return page.locator(f"section[aria-labelledby={section}] #delivery-{delivery_id}")


def delivery(site: Site, delivery_id: int) -> Delivery:
    return next(d for d in site.deliveries() if d.id == delivery_id)


def flash(page: Page) -> Locator:
    return page.locator("main > p.flash[role=status]")


def wait_for_new(site: Site, before: set[int], done: Callable[[dict[str, Delivery]], bool]) -> None:
    def met() -> bool:
        new = {d.account: d for d in site.deliveries() if d.id not in before}
        return len(new) == 2 and done(new)

    site.wait(met, "the new post's deliveries")


# -- without a session ---------------------------------------------------------------------


def test_off_without_a_token_then_only_the_right_token_logs_in(
    browser: Browser, site: Site
) -> None:
    site.start()
    for device in DEVICES:
        with browsing(browser, device) as page:
            answer = page.goto(site.base + "/admin/")
            assert answer is not None and answer.status == 404
            expect(page.get_by_role("heading", level=1)).to_have_text("The dashboard is off")
            expect(page.get_by_role("button", name="Log out")).to_have_count(0)
            shoot(page, "off", device)

    site.make_token()
    with browsing(browser) as page:
        page.goto(site.base + "/admin/outbox")
        expect(page).to_have_url(site.base + "/admin/login?next=%2Fadmin%2Foutbox")
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")

    with browsing(browser) as page:
        page.goto(site.base + "/admin/")
        page.get_by_label("Token").fill("not-the-admin-token")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_have_text("That is not the admin token.")
        expect(page).to_have_url(site.base + "/admin/login")
        page.goto(site.base + "/admin/")
        expect(page).to_have_url(re.compile(r"/admin/login\?next="))
        assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}

    with browsing(browser) as page:
        log_in(page, site)
        expect(page.get_by_role("button", name="Log out")).to_be_visible()


# -- every page, on a laptop and on a phone -----------------------------------------------


@pytest.mark.parametrize("device", DEVICES, ids=[d.name for d in DEVICES])
def test_every_page_fits_the_screen(
    browser: Browser, live_site: Site, refused: Delivery, device: Device
) -> None:
    with browsing(browser, device) as page:
        page.goto(live_site.base + "/admin/")
        shoot(page, "login", device)
        log_in(page, live_site)
        pages = {
            "overview": "/admin/",
            "posts": "/admin/posts",
            "post": f"/admin/posts/{refused.post_pk}",
            "outbox": "/admin/outbox",
            "feeds": "/admin/feeds",
            "preview": f"/admin/preview?post={refused.post_pk}",
        }
        for name, path in pages.items():
            answer = page.goto(live_site.base + path)
            assert answer is not None and answer.status == 200, name
            shoot(page, name, device)
        page.goto(live_site.base + "/admin/")
        expect(page.locator("figure.chart svg")).to_be_visible()


def test_the_overview_keeps_to_its_own_content_security_policy(
    browser: Browser, live_site: Site
) -> None:
    with browsing(browser) as page:
        log_in(page, live_site)


# -- logged in -----------------------------------------------------------------------------


def test_finds_a_post_by_its_title_and_by_a_tag_and_shows_what_each_account_got(
    browser: Browser, live_site: Site
) -> None:
    with browsing(browser) as page:
        log_in(page, live_site)
        page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Posts").click()
        titles = page.locator("ol.posts a.title")
        page.get_by_label("Title").fill("news FRESH")
        page.get_by_role("button", name="Search").click()
        expect(titles).to_have_text(["Fresh news"])

        page.get_by_role("link", name="Clear").click()
        expect(titles).not_to_have_count(1)
        page.locator("ol.posts li", has_text="Older post").get_by_role(
            "link", name="news", exact=True
        ).click()
        expect(page).to_have_url(re.compile(r"/admin/posts\?tag=news$"))
        expect(titles).to_have_text(["Fresh news", "Older post", "Existing post"])

        titles.first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Fresh news")
        post_pk = int(page.url.rsplit("/", 1)[1])
        sent = {d.account: d for d in live_site.deliveries() if d.post_pk == post_pk}
        assert {d.status for d in sent.values()} == {DeliveryStatus.SENT}
        mastodon_urls = {s["id"]: s["url"] for s in live_site.mastodon.statuses()}
        for account, remote in [
            (MASTODON, mastodon_urls[sent[MASTODON].remote_id]),
            (HOOK, sent[HOOK].remote_url),
        ]:
            shown = page.locator(f"article#account-{account}")
            expect(shown.locator("header .badge")).to_have_text("sent")
            assert shown.locator("pre.text").text_content() == sent[account].text
            expect(shown.get_by_role("link", name="view post")).to_have_attribute("href", remote)


def test_a_title_with_markup_is_shown_as_text_everywhere(
    browser: Browser, live_site: Site, refused: Delivery
) -> None:
    # The blog drops inline tags from titles (the <b>) and keeps other angle brackets as words.
    shown = plain_title(HTML_TITLE)
    assert shown == 'Release <script>alert("x")</script> & more'
    with browsing(browser) as page:  # fails on any dialog, script error or CSP report
        log_in(page, live_site)
        for path, title in [
            ("/admin/posts?tag=release", "ol.posts a.title"),
            (f"/admin/posts/{refused.post_pk}", "main h1"),
            ("/admin/outbox", f"#delivery-{refused.id} .head a"),
            (f"/admin/preview?post={refused.post_pk}", "main h2 a"),
        ]:
            page.goto(live_site.base + path)
            expect(page.locator(title)).to_have_text(shown)
            expect(page.locator(title).locator("b, script")).to_have_count(0)
            expect(page.locator("b", has_text="more")).to_have_count(0)
            expect(page.locator("script")).to_have_count(0)
        page.goto(f"{live_site.base}/admin/posts/{refused.post_pk}")
        assert page.title().startswith(shown + " · ")


def test_a_post_without_the_csrf_token_is_refused(
    browser: Browser, live_site: Site, refused: Delivery
) -> None:
    with browsing(browser) as page:
        log_in(page, live_site)
        before = delivery(live_site, refused.id)
        # The same cookies as the page: the session is there, so only the token is missing.
        assert page.request.get(live_site.base + "/admin/outbox", max_redirects=0).status == 200
        cancel = f"{live_site.base}/admin/deliveries/{refused.id}/cancel"
        forms: list[dict[str, str | float | bool]] = [
            {"next": "/admin/outbox"},
            {"next": "/admin/outbox", "csrf": "forged"},
        ]
        for form in forms:
            answer = page.request.post(cancel, form=form, max_redirects=0)
            assert answer.status == 403, answer.text()
        assert delivery(live_site, refused.id) == before


def test_retrying_the_failed_delivery_sends_it_once(
    browser: Browser, live_site: Site, refused: Delivery
) -> None:
    assert delivery(live_site, refused.id).status is DeliveryStatus.FAILED
    with browsing(browser) as page:
        log_in(page, live_site)
        page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Outbox").click()
        failed = item(page, "failed-h", refused.id)
        expect(failed.locator(".badge")).to_have_text("failed")
        failed.get_by_role("button", name=f"Retry delivery #{refused.id}").click()
        expect(flash(page)).to_have_text(f"Delivery #{refused.id} to {MASTODON}: queued again.")

        finished = item(page, "finished-h", refused.id)
        reload_until(page, finished, "the retried delivery to be sent")
        page.reload()  # it may have been sent before the first page: reload at least once
        expect(flash(page)).to_have_count(0)  # shown once, not on every reload
        expect(finished.locator(".badge")).to_have_text("sent")
        sent = delivery(live_site, refused.id)
        assert sent.status is DeliveryStatus.SENT and sent.text and sent.remote_url
        link = finished.get_by_role("link", name="view post")
        expect(link).to_have_attribute("href", sent.remote_url)

    statuses = live_site.mastodon.statuses()
    [status] = [s for s in statuses if live_site.mastodon.source(s["id"]) == sent.text]
    assert status["id"] == sent.remote_id and status["url"] == sent.remote_url


def test_a_paused_account_holds_its_deliveries_until_resumed(
    browser: Browser, live_site: Site
) -> None:
    with browsing(browser) as page:
        log_in(page, live_site)
        row = page.locator("table.rows tr", has=page.get_by_text(HOOK, exact=True))
        row.get_by_role("button", name=f"Pause {HOOK}").click()
        expect(flash(page)).to_have_text(f"Account {HOOK} is paused.")
        expect(row.locator(".badge")).to_have_text("paused")

        before = {d.id for d in live_site.deliveries()}
        title = "Written while paused"
        live_site.write(title, "2024-06-04", tags="later")
        wait_for_new(
            live_site,
            before,
            lambda new: (
                new[MASTODON].status is DeliveryStatus.SENT
                and new[HOOK].status is DeliveryStatus.PAUSED
            ),
        )
        held = next(d for d in live_site.deliveries() if d.id not in before and d.account == HOOK)
        assert not [b for b in live_site.hook.stored.values() if b["title"] == title]

        page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Outbox").click()
        expect(page.locator("ul.accounts li", has_text=HOOK).locator(".badge")).to_have_text(
            "paused"
        )
        expect(item(page, "paused-h", held.id).locator(".badge")).to_have_text("paused")
        shoot(page, "outbox-paused", LAPTOP)
        page.get_by_role("button", name=f"Resume {HOOK}").click()
        expect(flash(page)).to_have_text(f"Account {HOOK} is active.")
        expect(page.get_by_role("button", name=f"Pause {HOOK}")).to_be_visible()

        finished = item(page, "finished-h", held.id)
        reload_until(page, finished, "the held delivery to be sent")
        expect(finished.locator(".badge")).to_have_text("sent")
        expect(page.locator("section[aria-labelledby=paused-h]")).to_have_count(0)

    assert delivery(live_site, held.id).status is DeliveryStatus.SENT
    bodies = [b for b in live_site.hook.stored.values() if b["title"] == title]
    assert len(bodies) == 1, json.dumps(bodies)


def test_logging_out_ends_the_session(browser: Browser, live_site: Site) -> None:
    with browsing(browser) as page:
        log_in(page, live_site)
        page.get_by_role("banner").get_by_role("button", name="Log out").click()
        expect(page).to_have_url(live_site.base + "/admin/login")
        assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}
        page.goto(live_site.base + "/admin/outbox")
        expect(page).to_have_url(re.compile(r"/admin/login\?next=%2Fadmin%2Foutbox$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
