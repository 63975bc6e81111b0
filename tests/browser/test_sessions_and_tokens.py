"""The Security page's sessions and tokens cards in the browser: this device is marked, a
second browser appears and is signed out from the first (its idle page is sent to /login at
once, and so is its next page load);
a personal token is shown once, works from a script over HTTP, and stops when revoked."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.helpers import new_page, sign_in, sign_up, unique_email, wait_hydrated

LOGIN = re.compile(r".*/login/?(\?.*)?$")


def open_security(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/security")
    wait_hydrated(page)
    expect(page.locator("#sessions-card")).to_be_visible()


def get_status(url: str, token: str) -> int:
    """A script's call: GET with the token, no cookie."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - localhost
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_sign_out_another_browser_from_the_sessions_list(browser: Any, app: Any) -> None:
    email = unique_email("sessions")
    first, second = new_page(browser), new_page(browser)
    try:
        sign_up(first, app.url, email)
        open_security(first, app.url)
        rows = first.locator(".session-row")
        expect(rows).to_have_count(1)
        expect(first.locator(".session-this-device")).to_have_count(1)
        expect(first.locator(".session-sign-out")).to_have_count(0)

        sign_in(second, app.url, email)
        first.reload()
        wait_hydrated(first)
        expect(rows).to_have_count(2)
        expect(first.locator(".session-this-device")).to_have_count(1)
        first.locator(".session-sign-out").click()
        expect(first.locator("#sessions-notice")).to_be_visible()
        expect(rows).to_have_count(1)
        expect(first.locator(".session-this-device")).to_have_count(1)

        # The other browser, idle on its portfolio, is sent to sign in at once (pushed by
        # the alert relay), and stays signed out on its next page load.
        second.wait_for_url(LOGIN, timeout=15_000)
        second.goto(f"{app.url}/portfolio")
        second.wait_for_url(LOGIN, timeout=30_000)
        # The first browser is still signed in.
        open_security(first, app.url)
        expect(rows).to_have_count(1)
    finally:
        first.context.close()
        second.context.close()


def test_a_token_is_shown_once_works_and_dies_when_revoked(browser: Any, app: Any) -> None:
    page = new_page(browser)
    portfolio = f"{app.url}/api/portfolio"
    try:
        sign_up(page, app.url, unique_email("tokens"))
        open_security(page, app.url)
        expect(page.locator("#api-token-none")).to_be_visible()

        page.locator("#api-token-name").fill("nightly export")
        page.locator("#api-token-create").click()
        value = page.locator("#api-token-value")
        expect(value).to_have_text(re.compile(r"^exs_"))
        token = value.inner_text().strip()
        assert re.fullmatch(r"exs_[A-Za-z0-9_-]{43}", token), token
        # Shown, yet kept nowhere on the server: not in the state store, the database or logs.
        for stored in (p for p in app.data_dir.rglob("*") if p.is_file()):
            assert token.encode() not in stored.read_bytes(), stored
        hints = page.locator(".api-token-hint")
        expect(hints).to_have_count(1)
        expect(hints.first).to_have_text(token[:8] + "…")

        page.locator("#api-token-done").click()
        expect(value).to_have_count(0)
        page.reload()
        wait_hydrated(page)
        expect(hints).to_have_count(1)
        assert token not in page.content()  # never shown again

        assert get_status(portfolio, token) == 200
        page.locator(".api-token-revoke").click()
        expect(page.locator("#api-token-none")).to_be_visible()
        assert get_status(portfolio, token) == 401
        assert token not in app.log_path.read_text(errors="replace")  # never logged
    finally:
        page.context.close()
