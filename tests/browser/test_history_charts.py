"""The history charts (issue 16): on /portfolio the value chart draws the stored history with
the right last point and the range selector changes what it shows; on the token page the
position's quantity and average over time.

The history rows are seeded straight into the app's database (the build itself is tested in
tests/portfolio/test_history*.py): 400 days ending today, value = 1,000 + day number,
invested 900 throughout.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import insert
from sqlmodel import Session, select

from exstrat_app.models import Balance, ExchangeAccount, Position, Trade, User, new_id
from exstrat_app.models.history import DailyCandle, ValueHistoryDay, ValueHistoryState
from exstrat_app.services.auth import hash_password
from tests.browser.helpers import PASSWORD, new_page, sign_in, unique_email

DAYS = 400


def _seed(app: Any, email: str) -> datetime:
    today = datetime.now(UTC).date()
    first = today - timedelta(days=DAYS - 1)
    with Session(app.engine) as s:
        user = User(email=email, password_hash=hash_password(PASSWORD))
        s.add(user)
        s.flush()
        account = ExchangeAccount(user_id=user.id, exchange="binance", nickname="h",
                                  api_key_enc=b"-", api_secret_enc=b"-", key_id="seed",
                                  status="connected")  # fmt: skip
        s.add(account)
        s.flush()
        s.add(Balance(exchange_account_id=account.id, asset="HST", free=Decimal(1), locked=0))
        s.add(Position(user_id=user.id, asset="HST", quantity=Decimal(1),
                       computed_qty=Decimal(1), cost_basis=Decimal(900),
                       avg_price=Decimal(900), realized_pnl=Decimal(0),
                       unknown_cost_qty=Decimal(0)))  # fmt: skip
        s.execute(insert(ValueHistoryDay), [
            dict(id=new_id(), user_id=user.id, day=first + timedelta(days=i),
                 value=Decimal(1000 + i), invested=Decimal(900), realized=Decimal(0),
                 unrealized=Decimal(100 + i), income=Decimal(0), unpriced=0,
                 digest="seed", final=i < DAYS - 1)
            for i in range(DAYS)
        ])  # fmt: skip
        # The token page's position: 1 HST bought at 900 five days ago, closes 1,000 + k.
        bought = datetime.combine(today - timedelta(days=5), datetime.min.time(), UTC)
        s.add(Trade(exchange_account_id=account.id, exchange_trade_id="h1", symbol="HST/USDT",
                    base="HST", quote="USDT", side="buy", price=Decimal(900), amount=Decimal(1),
                    cost=Decimal(900), ts=bought + timedelta(hours=12)))  # fmt: skip
        stored = {
            c.day for c in s.exec(select(DailyCandle).where(DailyCandle.symbol == "HST/USDT"))
        }
        for k in range(5, 0, -1):  # candles are shared by every user: once per test run
            if today - timedelta(days=k) not in stored:
                s.add(DailyCandle(symbol="HST/USDT", day=today - timedelta(days=k),
                                  close=Decimal(1000 + k)))  # fmt: skip
        s.add(ValueHistoryState(user_id=user.id, fingerprint="seed", first_day=first,
                                last_day=today - timedelta(days=1), building=False))  # fmt: skip
        s.commit()
    return datetime.combine(today, datetime.min.time())


def test_the_value_chart_shows_the_last_day_and_its_ranges(browser: Any, app: Any) -> None:
    email = unique_email("history")
    today = _seed(app, email).date()
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        page.goto(f"{app.url}/portfolio")  # a page of its own after the sign-in's redirect
        chart = page.locator("#value-history")
        # The chart's svg (a generous wait: the page loads its rows first, then the history).
        expect(chart.get_by_role("application")).to_be_visible(timeout=20_000)
        # The last point is today's: value 1,000 + 399, invested 900.
        expect(page.locator("#history-day")).to_have_text(today.isoformat())
        expect(page.locator("#history-value")).to_have_text("1,399.00")
        expect(page.locator("#history-invested")).to_have_text("900.00")
        expect(page.locator("#history-points")).to_have_text("365")  # the default: 1Y
        for label, shown in (("1M", "30"), ("3M", "91"), ("All", str(DAYS))):
            page.locator("#history-range").get_by_role("radio", name=label).click()
            expect(page.locator("#history-points")).to_have_text(shown)
        expect(chart.locator(".recharts-line").first).to_be_visible()
    finally:
        page.context.close()


def test_the_token_page_charts_the_position_over_time(browser: Any, app: Any) -> None:
    email = unique_email("history-token")
    today = _seed(app, email).date()
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        page.goto(f"{app.url}/tokens/HST")
        chart = page.locator("#position-history")
        # The chart's svg (a generous wait: the page loads its rows first, then the history).
        expect(chart.get_by_role("application")).to_be_visible(timeout=20_000)
        expect(page.locator("#position-day")).to_have_text(today.isoformat())
        expect(page.locator("#position-quantity")).to_have_text("1")
        expect(page.locator("#position-avg")).to_have_text("900.00")
        expect(page.locator("#price-chart")).to_be_visible()  # beside the price chart
    finally:
        page.context.close()
