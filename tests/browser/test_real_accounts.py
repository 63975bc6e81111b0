"""The token page of a retail account (issue 13): income, the movements by kind, where the
coins sit, what could not be valued; and an opening position entered from the portfolio's
"unexplained" badge makes that badge go away (the rebuild runs, the difference is gone).

The account's rows are seeded straight into the app's database (the retail dataset's sync
is tested at the wire elsewhere), with the candles the rebuild needs, then rebuilt as a sync
would.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session

from exstrat_app.models import Balance, ExchangeAccount, PriceCandle, Trade, Transfer, User
from exstrat_app.services.auth import hash_password
from exstrat_app.services.portfolio.history_views import NoMarkets
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.rebuild import recompute_positions
from tests.browser.helpers import PASSWORD, new_page, sign_in, unique_email

D = Decimal
T1 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _seed(app: Any, email: str) -> None:
    """ETH: card 0.5 (1,000 EUR x 1.08 = 1,080), Convert 1 (2,000 USDT), order book 0.5
    (1,050, fee 0.01 OLDX: no price), Earn interest 0.01 at 2,000 (income 20): 2.01 explained.
    Held: 1.5 spot + 0.5 Earn + 1.01 Funding = 3.01: 1 ETH unexplained."""
    with Session(app.engine) as s:
        user = User(email=email, password_hash=hash_password(PASSWORD))
        s.add(user)
        s.flush()
        account = ExchangeAccount(
            user_id=user.id, exchange="binance", nickname="retail", api_key_enc=b"-",
            api_secret_enc=b"-", key_id="seed", status="connected",
        )  # fmt: skip
        s.add(account)
        s.flush()
        a = account.id
        t2, t3, t4 = (T1 + timedelta(hours=h) for h in (1, 2, 3))
        s.add_all([
            Balance(exchange_account_id=a, wallet="spot", asset="ETH", free=D("1.5"), locked=0),
            Balance(exchange_account_id=a, wallet="earn_flexible", asset="ETH", free=D("0.5"),
                    locked=0),
            Balance(exchange_account_id=a, wallet="funding", asset="ETH", free=D("1.01"),
                    locked=0),
            Trade(exchange_account_id=a, exchange_trade_id="card:1", symbol="ETH/EUR",
                  base="ETH", quote="EUR", side="buy", price=D(2000), amount=D("0.5"),
                  cost=D(1000), ts=T1, kind="card"),
            Trade(exchange_account_id=a, exchange_trade_id="convert:1", symbol="ETH/USDT",
                  base="ETH", quote="USDT", side="buy", price=D(2000), amount=D(1),
                  cost=D(2000), ts=t2, kind="convert"),
            Trade(exchange_account_id=a, exchange_trade_id="9", symbol="ETH/USDT", base="ETH",
                  quote="USDT", side="buy", price=D(2100), amount=D("0.5"), cost=D(1050),
                  fee_asset="OLDX", fee_cost=D("0.01"), ts=t3),
            Transfer(exchange_account_id=a, exchange_transfer_id="earn:1", type="income",
                     source="earn_flexible", asset="ETH", amount=D("0.01"), ts=t4),
            PriceCandle(symbol="EUR/USDT", minute=T1, close=D("1.08")),
            PriceCandle(symbol="ETH/USDT", minute=t4, close=D(2000)),
        ])  # fmt: skip
        s.flush()
        recompute_positions(s, user_id=user.id, closes=MinuteCloses(s, exchange_factory=NoMarkets))
        s.commit()


def test_token_page_of_a_retail_account_and_an_opening_position(browser: Any, app: Any) -> None:
    email = unique_email("retail")
    _seed(app, email)
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        row = page.locator(".position-row[data-asset=ETH]")
        expect(row.locator(".unexplained")).to_contain_text("1 ETH")
        row.locator(".add-opening").click()
        page.wait_for_url(re.compile(r".*/tokens/ETH.*"))

        # The token page: income, movements by kind, wallets, the unvalued fee.
        expect(page.locator("#income-stat")).to_contain_text("20.00")  # 0.01 ETH x 2,000
        expect(page.locator("#movements")).to_contain_text("Income")
        for kind in ("Convert", "Card buy/sell", "Trade"):
            expect(page.locator("#movements")).to_contain_text(kind)
        for wallet in ("Spot", "Funding", "Earn (flexible)"):
            expect(page.locator("#holdings")).to_contain_text(wallet)
        expect(page.locator("#holdings")).to_contain_text("1.01")
        expect(page.locator("#unvalued")).to_contain_text("1 fee could not be valued: 0.01 OLDX")

        # The dialog opened from the badge, prefilled with the unexplained quantity.
        expect(page.locator("#opening-quantity")).to_have_value("1")
        page.locator("#opening-totalCost").fill("900")
        page.locator("#opening-at").fill("2019-06-01")
        page.locator("#save-opening").click()
        expect(page.locator("#movements")).to_contain_text("Opening position")
        expect(page.locator(".unexplained")).to_have_count(0)

        page.goto(f"{app.url}/portfolio")
        expect(page.locator(".position-row[data-asset=ETH]")).to_be_visible()
        expect(page.locator(".position-row[data-asset=ETH] .unexplained")).to_have_count(0)
    finally:
        page.context.close()
