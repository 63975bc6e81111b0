"""The sign-up page tells nothing (issue 12): a new and a taken email get the same "check
your inbox"; the new account cannot sign in before its link; the link's page asks for the
password, then signs in. Links are read from the outbox, as a self-hoster without SMTP would."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from exstrat_app.services.auth import confirmation
from tests.browser.helpers import (
    PASSWORD,
    confirmation_link,
    mails_to,
    new_page,
    sign_up,
    unique_email,
    wait_hydrated,
)


def _submit_signup(page: Any, base_url: str, email: str) -> str:
    page.goto(f"{base_url}/signup")
    wait_hydrated(page)
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.locator("#submit").click()
    expect(page.locator("#signup-sent")).to_be_visible(timeout=30_000)
    return page.locator("#auth-card, body").first.inner_text()


def test_signup_answers_alike_and_the_link_signs_in_with_the_password(browser: Any, app: Any):
    page = new_page(browser)
    try:
        # Whoever signs up first on the instance is its owner (signed in at once); make sure
        # that is not the account under test.
        taken = unique_email("taken")
        sign_up(page, app.url, taken)
        page.context.clear_cookies()

        fresh = unique_email("fresh")
        new_answer = _submit_signup(page, app.url, fresh)
        taken_answer = _submit_signup(page, app.url, taken)
        assert new_answer == taken_answer and "Check your inbox" in new_answer
        assert "exstrat_session" not in {c["name"] for c in page.context.cookies()}
        assert any("tried to create" in m for m in mails_to(app.url, taken))

        # Not before the link, even with the right password.
        page.goto(f"{app.url}/login")
        wait_hydrated(page)
        page.locator("#email").fill(fresh)
        page.locator("#password").fill(PASSWORD)
        page.locator("#submit").click()
        expect(page.get_by_role("alert").first).to_contain_text("Confirm your email address")

        link = confirmation_link(app.url, fresh)
        page.goto(link)
        wait_hydrated(page)
        page.locator("#password").fill("not the password")
        page.locator("#submit").click()
        expect(page.get_by_text(confirmation.WRONG_PASSWORD).first).to_be_visible()
        page.locator("#password").fill(PASSWORD)
        page.locator("#submit").click()
        page.wait_for_url(re.compile(r".*/portfolio/?$"), timeout=30_000)
        expect(page.get_by_text("Connect your first exchange")).to_be_visible()

        # The link worked once.
        page.context.clear_cookies()
        page.goto(link)
        wait_hydrated(page)
        page.locator("#password").fill(PASSWORD)
        page.locator("#submit").click()
        expect(page.get_by_role("alert").first).to_contain_text("expired or was already used")
    finally:
        page.context.close()
