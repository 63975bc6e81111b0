"""Taking all one's data away and deleting the account, in the browser: sign up, download the
zip from /account (the API's file, fetched with the browser's own cookie), delete the account
with the password and the typed confirmation, land on /login with the notice; signing in
again fails, and the goodbye email is in the outbox (docs/account-data.md)."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from typing import Any

import pyotp
from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.browser.helpers import (
    PASSWORD,
    mails_to,
    new_page,
    sign_up,
    unique_email,
    wait_for,
    wait_hydrated,
)

SESSION_COOKIE = "exstrat_session"


def _download_zip(page: Page) -> tuple[str, zipfile.ZipFile]:
    button = page.locator("#download-all-data")
    expect(button).to_be_visible()
    with page.expect_download(timeout=30_000) as info:
        button.click()
    download = info.value
    data = download.path().read_bytes()
    return download.suggested_filename, zipfile.ZipFile(io.BytesIO(data))


def _users_with(app: Any, email: str) -> int:
    with app.engine.connect() as conn:
        return int(
            conn.execute(text("SELECT count(*) FROM users WHERE email = :e"), {"e": email}).scalar()
        )


def test_download_everything_then_delete_the_account(browser: Any, app: Any) -> None:
    email = unique_email("farewell")
    page = new_page(browser)
    try:
        sign_up(page, app.url, email)
        page.goto(f"{app.url}/account")
        wait_hydrated(page)

        name, archive = _download_zip(page)
        assert re.fullmatch(r"exstrat-export-\d{4}-\d{2}-\d{2}\.zip", name), name
        assert {"user.json", "trades.json", "csv/trades.csv"} <= set(archive.namelist())
        user = json.loads(archive.read("user.json"))
        assert user["email"] == email and "password_hash" not in user

        # Without the typed confirmation nothing happens.
        page.locator("#delete-password").fill(PASSWORD)
        page.locator("#delete-confirm").fill("delete")
        page.locator("#delete-account").click()
        expect(page.get_by_text("Type DELETE (in capitals) to confirm.")).to_be_visible()
        assert _users_with(app, email) == 1

        page.locator("#delete-password").fill(PASSWORD)
        page.locator("#delete-confirm").fill("DELETE")
        page.locator("#delete-account").click()

        page.wait_for_url(re.compile(r".*/login/?\?notice=account-deleted$"), timeout=30_000)
        wait_hydrated(page)
        expect(page.locator("#login-notice")).to_contain_text("deleted")
        assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}
        assert _users_with(app, email) == 0
        wait_for(lambda: any("was deleted" in m for m in mails_to(app.url, email)), 15)

        # Signing in again fails: the account is gone.
        page.locator("#email").fill(email)
        page.locator("#password").fill(PASSWORD)
        page.locator("#submit").click()
        expect(page.get_by_role("alert").first).to_be_visible()
        assert re.search(r"/login", page.url)
        assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}
    finally:
        page.context.close()


def _wrong(secret: str) -> str:
    """A 6-digit code outside the window the server accepts."""
    window = {pyotp.TOTP(secret).at(time.time() + d * 30) for d in (-1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in window)


def _turn_on_two_factor(app: Any, email: str) -> str:
    """Two-factor on for the user, straight in the app's database (its set-up in the browser
    is tested in test_totp.py): the seed an authenticator app would hold."""
    from exstrat_app import bootstrap
    from exstrat_app.services.auth import totp

    box, secret = bootstrap.secret_box(), pyotp.random_base32(length=32)
    with app.engine.begin() as conn:
        user_id = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar()
        conn.execute(
            text("UPDATE users SET totp_secret_enc = :s, totp_key_id = :k, "
                 "totp_enabled_at = CURRENT_TIMESTAMP WHERE id = :i"),
            {"s": box.seal(secret, row_id=user_id, column=totp.SEALED_AS),
             "k": box.current_key_id, "i": user_id},
        )  # fmt: skip
    return secret


def test_with_two_factor_on_the_page_asks_for_a_code(browser: Any, app: Any) -> None:
    email = unique_email("farewell-2fa")
    page = new_page(browser)
    try:
        sign_up(page, app.url, email)
        secret = _turn_on_two_factor(app, email)
        page.goto(f"{app.url}/account")
        wait_hydrated(page)
        expect(page.locator("#delete-code")).to_be_visible()

        page.locator("#delete-password").fill(PASSWORD)
        page.locator("#delete-code").fill(_wrong(secret))
        page.locator("#delete-confirm").fill("DELETE")
        page.locator("#delete-account").click()
        expect(page.get_by_text("That code is not right").first).to_be_visible()
        assert _users_with(app, email) == 1

        page.locator("#delete-password").fill(PASSWORD)
        page.locator("#delete-code").fill(pyotp.TOTP(secret).now())
        page.locator("#delete-confirm").fill("DELETE")
        page.locator("#delete-account").click()
        page.wait_for_url(re.compile(r".*/login/?\?notice=account-deleted$"), timeout=30_000)
        assert _users_with(app, email) == 0
    finally:
        page.context.close()
