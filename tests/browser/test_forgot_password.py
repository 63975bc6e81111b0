"""A forgotten password in a real browser (docs/account.md): /login -> "Forgot your password?"
-> /forgot (the same answer for any address) -> the emailed link, read from the outbox as a
self-hoster without SMTP would -> /reset -> /login says "Password changed" -> the new password
signs in. And the /account cards: change the password, move the sign-in email by its link."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    PASSWORD,
    mails_to,
    new_page,
    sign_in,
    sign_up,
    unique_email,
    wait_hydrated,
)

NEW_PASSWORD = "harbor quartz tangerine lantern"
RESET_LINK = re.compile(r"https?://\S+/reset\?token=[A-Za-z0-9_-]+")
EMAIL_LINK = re.compile(r"https?://\S+/api/auth/email/confirm\?token=[A-Za-z0-9_-]+")
SENT = "If an account exists for this address"


def mailed_link(base_url: str, email: str, link: re.Pattern[str], timeout: float = 15.0) -> str:
    """The newest link of this kind mailed to `email` (waits for the .eml to appear)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m.group(0) for text in mails_to(base_url, email) for m in link.finditer(text)]
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no such link mailed to {email}")
        time.sleep(0.2)


def ask_for_a_link(page: Page, base_url: str, email: str) -> str:
    page.goto(f"{base_url}/forgot")
    wait_hydrated(page)
    page.locator("#email").fill(email)
    page.locator("#submit").click()
    sent = page.locator("#forgot-sent")
    expect(sent).to_contain_text(SENT, timeout=30_000)
    return sent.inner_text()


def test_a_forgotten_password_is_reset_by_the_emailed_link(browser: Any, app: Any) -> None:
    page = new_page(browser)
    try:
        email = unique_email("forgot")
        sign_up(page, app.url, email)
        page.context.clear_cookies()

        page.goto(f"{app.url}/login")
        wait_hydrated(page)
        page.locator("#forgot-link").click()
        page.wait_for_url(re.compile(r".*/forgot/?$"), timeout=30_000)
        wait_hydrated(page)
        page.locator("#email").fill(email)
        page.locator("#submit").click()
        known_answer = page.locator("#forgot-sent")
        expect(known_answer).to_contain_text(SENT, timeout=30_000)
        assert ask_for_a_link(page, app.url, unique_email("nobody")) == known_answer.inner_text()

        page.goto(mailed_link(app.url, email, RESET_LINK))
        wait_hydrated(page)
        page.locator("#password").fill(NEW_PASSWORD)
        page.locator("#confirm").fill(NEW_PASSWORD)
        page.locator("#submit").click()
        page.wait_for_url(re.compile(r".*/login/?\?notice=password-changed$"), timeout=30_000)
        expect(page.locator("#reset-notice")).to_contain_text("Password changed: sign in")

        sign_in(page, app.url, email, NEW_PASSWORD)  # ends on /portfolio
    finally:
        page.context.close()


def test_the_account_cards_change_the_password_and_the_email(browser: Any, app: Any) -> None:
    page = new_page(browser)
    try:
        email, new_email = unique_email("cards"), unique_email("moved")
        sign_up(page, app.url, email)
        page.goto(f"{app.url}/account")
        wait_hydrated(page)
        expect(page.locator("#current-email")).to_have_text(email, timeout=30_000)

        page.locator("#current-password").fill(PASSWORD)
        page.locator("#new-password").fill(NEW_PASSWORD)
        page.locator("#new-password-again").fill(NEW_PASSWORD)
        page.locator("#password-submit").click()
        expect(page.locator("#password-notice")).to_contain_text("Password changed")

        page.locator("#new-email").fill(new_email)
        page.locator("#email-password").fill(NEW_PASSWORD)
        page.locator("#email-submit").click()
        expect(page.locator("#email-notice")).to_contain_text(f"We sent a link to {new_email}")
        expect(page.locator("#current-email")).to_have_text(email)

        page.goto(mailed_link(app.url, new_email, EMAIL_LINK))  # still signed in here
        page.wait_for_url(re.compile(r".*/account/?\?email_change=changed$"), timeout=30_000)
        wait_hydrated(page)
        expect(page.locator("#email-notice")).to_contain_text("this is your sign-in email now")
        expect(page.locator("#current-email")).to_have_text(new_email)

        page.context.clear_cookies()
        sign_in(page, app.url, new_email, NEW_PASSWORD)
    finally:
        page.context.close()
