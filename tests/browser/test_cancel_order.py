"""Cancelling an open order from the strategy page: the execution card shows a Cancel button
next to the limit sell resting on the simulated Binance; a click cancels it there (with the
account's trading key), and the card shows it cancelled by you, the cancel in its audit trail
and no button any more. Nothing asks for the password: cancelling only lowers the risk.

The trading key goes in through the API (with the password, as its page sends it); the
resting order is placed on the simulator with that key, and its row written as placement
leaves it (`open`, the exchange's id), with the book below its limit so that it rests."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

import ccxt
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import Session, col, select

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Order, Strategy, StrategyStep
from simexchange import BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET
from tests.browser.helpers import PASSWORD, new_page, sign_in, unique_email
from tests.browser.order_seed import seed_binance_ladder
from tests.sim.conftest import make_binance


def _seed(app: Any, email: str) -> tuple[str, str, str]:
    """A user, a Binance account and a paused strategy (the watcher leaves it alone):
    (account id, strategy id, first step id)."""
    account_id, strategy_id = seed_binance_ladder(app, email)
    with Session(app.engine) as s:
        s.execute(
            update(Strategy)
            .where(col(Strategy.id) == strategy_id)
            .values(status="paused", execution_mode="auto")
        )
        s.commit()
        steps = s.exec(select(StrategyStep).where(StrategyStep.strategy_id == strategy_id))
        first = min(steps, key=lambda step: step.position)
        return account_id, strategy_id, first.id


def _order_row(app: Any, ids: tuple[str, str, str], exchange_order_id: str) -> str:
    """The first step's order as placement leaves it once the exchange took it: its id."""
    account_id, strategy_id, step_id = ids
    with Session(app.engine) as s:
        user_id = s.get(Strategy, strategy_id).user_id  # type: ignore[union-attr]
        order = Order(
            user_id=user_id, strategy_id=strategy_id, step_id=step_id,
            exchange_account_id=account_id, client_order_id=f"xs-{step_id}"[:36],
            exchange_order_id=exchange_order_id, symbol="ETH/USDT", status="open",
            price=Decimal("2200"), qty=Decimal("0.8"), trigger_price=Decimal("2200"),
            sent_at=utcnow(),
        )  # fmt: skip
        s.add(order)
        s.commit()
        return order.id


def test_the_cancel_button_cancels_a_resting_order(browser: Any, app: Any) -> None:
    sim = app.sim
    price_before = sim.price("ETH/USDT")  # the shared sim's price, which later tests read
    sim.set_price("ETH/USDT", "2000")  # below the 2,200 limit: the sell rests
    trader = make_binance(sim.url, key=BINANCE_TRADING_KEY, secret=BINANCE_TRADING_SECRET)
    trader.load_markets()
    page = new_page(browser)
    email = unique_email("cancel")
    ids = _seed(app, email)
    placed_id = ""
    try:
        sign_in(page, app.url, email)
        key = page.request.put(
            f"{app.url}/api/exchanges/{ids[0]}/trading-key",
            data={
                "apiKey": BINANCE_TRADING_KEY,
                "apiSecret": BINANCE_TRADING_SECRET,
                "password": PASSWORD,
            },
            headers={"Origin": app.url},  # the API's CSRF check: as the site's own pages
        )
        assert key.status == 201, key.text()
        placed = trader.create_order(
            "ETH/USDT", "limit", "sell", "0.8", "2200", {"clientOrderId": f"xs-{ids[2]}"[:36]}
        )
        placed_id = str(placed["id"])
        order_id = _order_row(app, ids, placed_id)

        page.goto(f"{app.url}/strategies/{ids[1]}")
        row = page.locator(".order-row").first
        expect(row.locator(".order-state")).to_have_text("open")
        expect(row.locator(".order-exchange-id")).to_have_text(placed_id)
        row.locator(".order-cancel").click()

        expect(row.locator(".order-state")).to_have_text(
            "cancelled: Cancelled by you before anything filled.", timeout=30_000
        )
        expect(row.locator(".order-cancel")).to_have_count(0)
        expect(page.locator("#order-audit")).to_contain_text("cancel")
        assert trader.fetch_order(placed_id, "ETH/USDT")["status"] == "canceled"
        with Session(app.engine) as s:
            stored = s.get(Order, order_id)
            assert stored is not None and stored.status == "cancelled"
    except AssertionError:
        print(app.log_tail(80))
        raise
    finally:
        page.context.close()
        if placed_id:  # never leave a sell resting on the shared simulator
            with contextlib.suppress(ccxt.BaseError):
                trader.cancel_order(placed_id, "ETH/USDT")
        sim.set_price("ETH/USDT", price_before if price_before is not None else "2000")
