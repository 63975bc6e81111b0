"""The trading key on the Exchanges page (issue 15): a key that may withdraw is refused with
the service's message naming the box to untick; a trade-only key is accepted and its status
shows ok; Remove removes it. Both ask for the password again. The key is checked on the
simulated Binance (its apiRestrictions, as `GET /sapi/v1/account/apiRestrictions` answers
them), the same use case as `PUT /api/exchanges/{id}/trading-key`; the secret appears in
neither the log nor the page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session, select

from exstrat_app.models import ExchangeAccount, TradingKey, User
from exstrat_app.services.auth import hash_password
from simexchange import BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET
from tests.browser.helpers import PASSWORD, new_page, sign_in, unique_email, wait_hydrated


def _seed(app: Any, email: str) -> str:
    with Session(app.engine) as s:
        user = User(email=email, password_hash=hash_password(PASSWORD))
        s.add(user)
        s.flush()
        account = ExchangeAccount(
            user_id=user.id, exchange="binance", nickname="trading", api_key_enc=b"-",
            api_secret_enc=b"-", key_id="seed", status="connected",
        )  # fmt: skip
        s.add(account)
        s.commit()
        return account.id


def _keys(app: Any, account_id: str) -> list[TradingKey]:
    with Session(app.engine) as s:
        return list(s.exec(select(TradingKey).where(TradingKey.exchange_account_id == account_id)))


def _submit(card: Any, key: str, secret: str, password: str = PASSWORD) -> None:
    card.locator(".trading-key-input input").fill(key)
    card.locator(".trading-secret-input input").fill(secret)
    card.locator(".trading-key-password input").fill(password)
    card.locator(".trading-key-save").click()


def test_trading_key_refused_then_accepted_then_removed(browser: Any, app: Any) -> None:
    permissions = app.sim.dataset.accounts[BINANCE_TRADING_KEY].permissions
    before = dict(permissions)
    page = new_page(browser)
    email = unique_email("tradingkey")
    account_id = _seed(app, email)
    try:
        sign_in(page, app.url, email)
        page.goto(f"{app.url}/exchanges")
        wait_hydrated(page)
        card = page.locator(".account-card", has_text="trading")
        section = card.locator(".trading-key")
        expect(section).to_contain_text("Trading key (optional)")
        expect(section).to_contain_text("IP address")
        expect(section).to_contain_text("never withdraw or transfer")
        expect(section.locator(".trading-key-status")).to_have_text("none")

        # The person left "Enable Withdrawals" ticked on Binance: refused, the box named.
        permissions["enableWithdrawals"] = True
        _submit(section, BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET)
        error = section.locator(".trading-key-error")
        expect(error).to_contain_text("can withdraw or transfer funds", timeout=30_000)
        expect(error).to_contain_text("untick 'Enable Withdrawals'")
        expect(section.locator(".trading-key-status")).to_have_text("none")
        expect(section.locator(".trading-secret-input input")).to_have_value("")  # form reset
        assert _keys(app, account_id) == []

        # Unticked, but the wrong password: nothing is checked or stored, the form is reset.
        permissions["enableWithdrawals"] = False
        _submit(section, BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET, "not my password")
        expect(error).to_contain_text("That is not your password")
        expect(section.locator(".trading-key-password input")).to_have_value("")
        assert _keys(app, account_id) == []

        # The right password: the same key now trades spot only and is accepted.
        _submit(section, BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET)
        expect(section.locator(".trading-key-status")).to_have_text("ok", timeout=30_000)
        expect(section.locator(".trading-key-detail")).to_contain_text("checked at")
        expect(section.locator(".trading-key-error")).to_have_count(0)
        stored = _keys(app, account_id)
        assert len(stored) == 1 and stored[0].status == "ok"
        assert BINANCE_TRADING_SECRET.encode() not in (stored[0].api_secret_enc or b"")
        assert BINANCE_TRADING_SECRET not in page.content()

        # The status survives a reload (read from the database).
        page.reload()
        wait_hydrated(page)
        expect(section.locator(".trading-key-status")).to_have_text("ok")

        section.locator(".trading-key-remove-password input").fill(PASSWORD)
        section.locator(".trading-key-remove").click()
        expect(section.locator(".trading-key-status")).to_have_text("none")
        expect(section.locator(".trading-key-remove")).to_have_count(0)
        assert _keys(app, account_id) == []
        assert BINANCE_TRADING_SECRET not in app.log_path.read_text(errors="replace")
    except AssertionError:
        print(app.log_tail(60))
        raise
    finally:
        permissions.clear()
        permissions.update(before)
        page.context.close()
