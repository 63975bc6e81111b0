"""/portfolio with 300 assets: every row shows, and how long that takes (target < 1.5 s).

The positions and balances are seeded straight into the app's database for a user of their
own (no exchange has 300 assets to sync), then the page is loaded by a signed-in browser.

The time is printed, not asserted (our rule: speed is measured, not asserted; a timed assertion
on this shared 2-core VM failed at 9 s in CI while the same page took 3.5 s on a quiet run);
the test asserts what the user must see: all 300 rows, with their quantities.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session

from exstrat_app.models import Balance, ExchangeAccount, Position, User
from exstrat_app.services.auth import hash_password
from tests.browser.helpers import PASSWORD, new_page, sign_in, unique_email

ASSETS = 300
TARGET_SECONDS = 1.5


def _seed(app: Any, email: str) -> None:
    with Session(app.engine) as session:
        user = User(email=email, password_hash=hash_password(PASSWORD))
        session.add(user)
        session.flush()
        account = ExchangeAccount(
            user_id=user.id,
            exchange="binance",
            nickname="seeded",
            api_key_enc=b"-",
            api_secret_enc=b"-",
            key_id="seed",
            status="connected",
        )
        session.add(account)
        session.flush()
        for i in range(ASSETS):
            asset = f"X{i:03d}"
            qty = Decimal(i + 1) / Decimal(8)
            avg = Decimal(1000 + i) / Decimal(7)
            session.add(Balance(exchange_account_id=account.id, asset=asset, free=qty, locked=0))
            session.add(
                Position(
                    user_id=user.id,
                    asset=asset,
                    quote="USDT",
                    quantity=qty,
                    computed_qty=qty,
                    cost_basis=qty * avg,
                    avg_price=avg.quantize(Decimal("0.00000001")),
                    realized_pnl=Decimal(0),
                    unknown_cost_qty=Decimal(0),
                )
            )
        session.commit()


def test_portfolio_with_300_assets_shows_quickly(browser: Any, app: Any) -> None:
    email = unique_email("whale")
    _seed(app, email)
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        page.wait_for_function(f"document.querySelectorAll('.position-row').length === {ASSETS}")
        timings = []
        for _ in range(3):  # a first load, then two more with warm caches
            page.goto(f"{app.url}/exchanges")
            page.wait_for_url(re.compile(r".*/exchanges/?$"))
            started = time.monotonic()
            page.goto(f"{app.url}/portfolio", wait_until="commit")
            page.wait_for_function(
                f"document.querySelectorAll('.position-row').length === {ASSETS}",
                polling=20,
                timeout=20_000,
            )
            timings.append(time.monotonic() - started)
        print(
            f"\n[browser] /portfolio with {ASSETS} assets: table shown in "
            + ", ".join(f"{t:.2f} s" for t in timings)
            + f" (full page loads; target < {TARGET_SECONDS} s)"
        )
        # The last and first rows, as seeded: X299 holds 300/8 = 37.5, X000 holds 1/8 = 0.125.
        expect(page.locator(".position-row[data-asset=X299]")).to_contain_text("37.5")
        expect(page.locator(".position-row[data-asset=X000]")).to_contain_text("0.125")
        assert page.locator(".position-row").count() == ASSETS
    finally:
        page.context.close()
