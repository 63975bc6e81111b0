"""Confirm mode in the browser (issue 15): the mode change asks for the password again; the
price crosses the first target, the toast (and the bell) carry "Sell 0.8 ETH now" with a
Confirm button; the toast's click places the order on the simulated Binance, it fills and
the step shows done.

The account's trading key goes in through the API (the page for it belongs to the exchanges
page); everything else is the page. The order is marketable, so it fills when placed; the
periodic `track-orders` job runs in the app (jobs/schedule.py) for the slower cases."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import Session, col

from exstrat_app.models import Strategy
from simexchange import BINANCE_READONLY_KEY, BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET
from tests.browser.helpers import PASSWORD, new_page, sign_in, unique_email
from tests.browser.order_seed import seed_binance_ladder


def test_confirm_in_the_bell_places_the_order_and_the_step_is_done(browser: Any, app: Any) -> None:
    sim = app.sim
    balances = sim.dataset.accounts[BINANCE_READONLY_KEY].balances
    before = {asset: balances.get(asset) for asset in ("ETH", "USDT")}
    price_before = sim.price("ETH/USDT")  # the shared sim's price, which later tests read
    sim.set_price("ETH/USDT", "2000")  # below both targets (2,200 and 2,800)
    page = new_page(browser)
    email = unique_email("confirm")
    account_id, strategy_id = seed_binance_ladder(app, email)
    try:
        sign_in(page, app.url, email)
        key = page.request.put(
            f"{app.url}/api/exchanges/{account_id}/trading-key",
            data={
                "apiKey": BINANCE_TRADING_KEY,
                "apiSecret": BINANCE_TRADING_SECRET,
                "password": PASSWORD,
            },
            headers={"Origin": app.url},  # the API's CSRF check: as the site's own pages
        )
        assert key.status == 201, key.text()

        page.goto(f"{app.url}/strategies/{strategy_id}")
        expect(page.locator("#trading-key-status")).to_have_text("ok")
        expect(page.locator("#execution-mode")).to_contain_text("Alert only")
        page.locator("#change-mode").click()
        page.locator("#mode-choice").get_by_role("radio", name="confirm").click()
        page.locator("#mode-password").fill("not my password")
        page.locator("#save-mode").click()
        expect(page.locator("#mode-form")).to_contain_text("That is not your password")
        expect(page.locator("#execution-mode")).to_contain_text("Alert only")
        page.locator("#mode-password").fill(PASSWORD)
        page.locator("#save-mode").click()
        expect(page.locator("#execution-mode")).to_contain_text("Confirm")

        sim.set_price("ETH/USDT", "2205")  # over the first target: the watcher fires it
        toast = page.locator(".alert-toast", has_text="Sell 0.8 ETH now")
        expect(toast).to_be_visible(timeout=60_000)
        toast.get_by_role("button", name="Confirm").click()
        # The bell lists the same alert, confirmed now: its state in place of the button.
        page.locator("#alert-bell").click()
        item = page.locator(".alert-item", has_text="Sell 0.8 ETH now")
        acted = re.compile(r"^(confirmed|open|partially filled|filled)$")
        expect(item.locator(".confirm-status")).to_have_text(acted)
        expect(item.locator(".confirm-order")).to_have_count(0)
        page.keyboard.press("Escape")

        state = page.locator(".order-row .order-state").first
        expect(state).to_have_text("filled", timeout=90_000)
        expect(page.locator(".order-row .order-filled").first).to_have_text("0.8 / 0.8")
        expect(page.locator(".step-row .step-state").first).to_have_text("done", timeout=30_000)
        expect(page.locator("#order-audit")).to_contain_text("place")
    except AssertionError:
        print(app.log_tail(80))  # the worker's view of the order, for the failure report
        raise
    finally:
        page.context.close()
        # Paused first, so the restored price (3,500 in the small dataset, over this strategy's
        # 2,800 target) fires nothing; then the price later tests expect (test_journey: 3,500).
        with Session(app.engine) as session:
            session.execute(
                update(Strategy).where(col(Strategy.id) == strategy_id).values(status="paused")
            )
            session.commit()
        sim.set_price("ETH/USDT", price_before if price_before is not None else "2000")
        for asset, held in before.items():  # the sale changed the shared simulated account
            if held is not None:
                sim.set_balance(BINANCE_READONLY_KEY, asset, held[0], held[1])
