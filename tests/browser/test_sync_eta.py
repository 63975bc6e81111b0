"""During a sync the exchanges page shows the estimated time left beside the
progress. The sync is paced by holding one `myTrades` request of a later symbol (the
simulator's "timeout" fault): the trades step has finished symbols and has some left, so
the card shows "about ... left" until the request is answered and the sync goes on."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from simexchange import BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET
from tests.browser.helpers import new_page, sign_up, unique_email, wait_for


def test_the_exchanges_page_shows_the_time_left_during_a_sync(browser: Any, app: Any) -> None:
    sim = app.sim
    # ETH/USDT sorts after BNB/... and BTC/...: by then the step has an estimate. Every
    # symbol=ETHUSDT request is held until we clear the faults: the shared app's watcher also
    # asks ETHUSDT prices for earlier tests' strategies and took a single fault first (CI);
    # ccxt puts `timestamp` before `symbol` in myTrades' query, so no longer path matches.
    sim.inject_fault("timeout", count=1000, path_contains="symbol=ETHUSDT", delay=20)
    page = new_page(browser)
    try:
        sign_up(page, app.url, unique_email("eta"))
        page.goto(f"{app.url}/exchanges")
        page.locator("#api-key").fill(BINANCE_READONLY_KEY)
        page.locator("#api-secret").fill(BINANCE_READONLY_SECRET)
        page.locator("#connect").click()
        expect(page.locator("#add-result")).to_contain_text("read-only key works", timeout=30_000)
        card = page.locator(".account-card").first
        # The app's one main worker may first finish a watch cycle whose ETHUSDT price
        # requests are held by the same fault (20 s each): the sync then waits its turn.
        expect(card).to_contain_text(re.compile(r"about \d+ (s|min)"), timeout=150_000)
        assert "left" in card.inner_text()
        sim.clear_faults()
        wait_for(lambda: "Connected" in card.inner_text(), timeout=90)
        assert "left" not in card.inner_text()  # no estimate once the sync is done
    finally:
        sim.clear_faults()
        page.context.close()
