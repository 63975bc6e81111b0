"""A French reader counting in euros: a ladder set in euros through the dialog, ETH/EUR moves on
the (simulated) exchange, and the toast and the email say so in French with euro amounts."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session, select

from exstrat_app.models import Strategy, User
from simexchange.datasets.model import SimMarket
from tests.browser.helpers import mails_to, shot, sign_in, unique_email, wait_for
from tests.browser.order_seed import seed_binance_ladder

EURO_MARKETS = {"ETH/EUR": "3000.00", "EUR/USDT": "1.10"}


def _open_euro_markets(sim: Any) -> dict[str, Any]:
    """ETH/EUR and EUR/USDT on the simulated Binance for this test; what was there before."""
    before = {s: sim.dataset.prices.get(s) for s in EURO_MARKETS}
    for symbol, price in EURO_MARKETS.items():
        base, quote = symbol.split("/")
        sim.dataset.binance_markets.setdefault(
            symbol,
            SimMarket(base, quote, Decimal("0.0001"), Decimal("0.01"), min_qty=Decimal("0.0001")),
        )
        sim.set_price(symbol, price)
    return before


def _close_euro_markets(sim: Any, before: dict[str, Any]) -> None:
    for symbol, history in before.items():
        if history is None:
            sim.dataset.prices.pop(symbol, None)
            sim.dataset.binance_markets.pop(symbol, None)
        else:
            sim.dataset.prices[symbol] = history


def test_a_ladder_in_euros_alerts_in_french(browser: Any, app: Any, screenshots: Any) -> None:
    email = unique_email("euros")
    seed_binance_ladder(app, email)  # 4 ETH and a USDT ladder; the euro one comes next
    with Session(app.engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        user.locale, user.currency = "fr", "EUR"
        session.add(user)
        session.commit()
        user_id = user.id
    before = _open_euro_markets(app.sim)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in(page, app.url, email)
        page.goto(f"{app.url}/strategies")
        page.locator("#new-strategy").click()
        dialog = page.locator("#strategy-dialog")
        expect(dialog).to_be_visible()
        # The reader's currency is the dialog's first choice.
        quote = page.get_by_test_id("strategy-quote")
        expect(quote.get_by_role("radio", name="EUR")).to_have_attribute("data-state", "on")
        page.locator("#strategy-asset").fill("ETH")
        page.locator("#ref-custom").click()
        page.locator("#custom-price").fill("3000")
        page.locator("#base-qty").fill("4")
        page.locator(".step-target input").nth(0).fill("10")
        page.locator(".step-sell input").nth(0).fill("20")
        page.locator(".step-target input").nth(1).fill("40")
        page.locator(".step-sell input").nth(1).fill("59")
        expect(page.locator(".step-price").first).to_contain_text("3\u202f300,00")
        shot(page, screenshots, "fr-strategy-dialog")
        page.locator("#save-strategy").click()
        expect(dialog).to_be_hidden()
        with Session(app.engine) as session:
            saved = session.exec(
                select(Strategy).where(Strategy.user_id == user_id, Strategy.quote == "EUR")
            ).one()
            assert saved.ref_price == Decimal("3000")

        app.sim.set_price("ETH/EUR", "3350")  # above the first step's 3 300,00 €
        toast = page.locator(".alert-toast")
        expect(toast).to_contain_text("a atteint le palier 1", timeout=30_000)
        expect(toast).to_contain_text("€")

        def french_mail() -> list[str]:
            return [m for m in mails_to(app.url, email) if "palier" in m and "€" in m]

        wait_for(french_mail, timeout=60)
        body = french_mail()[-1]
        assert re.search(r"3\u202f300,00\u00a0€", body), body
    finally:
        context.close()
        _close_euro_markets(app.sim, before)
