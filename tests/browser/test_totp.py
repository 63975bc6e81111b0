"""Two-factor sign-in in the browser: set it up on /security (after the password) with a code
from pyotp (as an authenticator app would make it), sign out, then sign in with the password
and a code; the session cookie only arrives after the code."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pyotp
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.helpers import new_page, sign_up, unique_email, wait_hydrated

SESSION_COOKIE = "exstrat_session"


def _wrong(secret: str) -> str:
    now = time.time()
    window = {pyotp.TOTP(secret).at(now + d * 30) for d in (-1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in window)


def test_enrol_then_sign_in_with_password_and_code(browser: Any, app: Any) -> None:
    email, password = unique_email("totp"), f"Totp {uuid.uuid4().hex} lantern"
    page = new_page(browser)
    try:
        sign_up(page, app.url, email, password)

        # Set up on the security page (reached from the account menu).
        page.get_by_role("button", name="Menu").click()
        page.locator("#menu-security").click()
        page.wait_for_url(re.compile(r".*/security/?$"))
        wait_hydrated(page)
        page.locator("#totp-start-password").fill("not my password")
        page.locator("#totp-start").click()
        expect(page.locator("#totp-start-password")).to_have_value("")  # cleared after submit
        expect(page.get_by_text("That is not your password").first).to_be_visible()
        expect(page.locator("#totp-secret")).to_have_count(0)
        page.locator("#totp-start-password").fill(password)
        page.locator("#totp-start").click()
        secret = page.locator("#totp-secret").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
        expect(page.locator("#totp-qr")).to_be_visible()
        page.locator("#totp-confirm-code").fill(pyotp.TOTP(secret).now())
        page.locator("#totp-confirm").click()
        expect(page.locator("#totp-on")).to_be_visible()
        codes = page.locator("#recovery-codes .recovery-code")
        expect(codes).to_have_count(10)
        page.locator("#recovery-saved").click()
        expect(page.locator("#recovery-codes")).to_have_count(0)
        expect(page.locator("#recovery-left")).to_contain_text("10")
        with app.engine.connect() as conn:
            row = conn.execute(
                text("SELECT totp_enabled_at, totp_secret_enc FROM users WHERE email = :e"),
                {"e": email},
            ).one()
        assert row.totp_enabled_at is not None
        assert secret.encode() not in bytes(row.totp_secret_enc)  # sealed, not plain

        # Sign out.
        page.get_by_role("button", name="Menu").click()
        page.locator("#logout").click()
        page.wait_for_url(re.compile(r".*/login/?$"))
        assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}

        # The password alone is not enough: the form asks for the code, no cookie yet.
        wait_hydrated(page)
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        page.locator("#submit").click()
        expect(page.locator("#totp-code")).to_be_visible()
        assert re.search(r"/login/?$", page.url)
        assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}

        page.locator("#totp-code").fill(_wrong(secret))
        page.locator("#totp-submit").click()
        expect(page.get_by_role("alert").first).to_contain_text("not right")
        assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}

        # The next step's code: inside the ±1 window, later than the one used at set-up.
        page.locator("#totp-code").fill(pyotp.TOTP(secret).at(time.time() + 30))
        page.locator("#totp-submit").click()
        page.wait_for_url(re.compile(r".*/portfolio/?$"), timeout=30_000)
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies[SESSION_COOKIE]["httpOnly"] is True
    finally:
        page.context.close()
