"""CSV downloads from the pages (issue 16): each "Download CSV" button of /portfolio and the
token page's trades button hand the browser a file equal, byte for byte, to what
`GET /api/export/{kind}.csv` answers the same user (signed in over the API on its own, with
`POST /api/auth/login`, no browser cookie shared).

The user's account, trades, a transfer, a position and a few history days are seeded straight
into the app's database (the sync itself is tested elsewhere); the amounts have 18 decimals so
a lost digit shows.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import insert
from sqlmodel import Session

from exstrat_app.models import ExchangeAccount, Position, Trade, Transfer, User, new_id
from exstrat_app.models.history import ValueHistoryDay, ValueHistoryState
from exstrat_app.services.auth import hash_password
from tests.browser.helpers import PASSWORD, new_page, sign_in, unique_email

DAYS = 3
KINDS = ("positions", "history", "trades", "transfers")


def _seed(app: Any, email: str) -> str:
    """The user's data; the id of its second account."""
    today = datetime.now(UTC).date()
    first = today - timedelta(days=DAYS - 1)
    when = datetime.combine(today - timedelta(days=2), datetime.min.time(), UTC)
    with Session(app.engine) as s:
        user = User(email=email, password_hash=hash_password(PASSWORD))
        s.add(user)
        s.flush()
        account = ExchangeAccount(user_id=user.id, exchange="binance", nickname="csv",
                                  api_key_enc=b"-", api_secret_enc=b"-", key_id="seed",
                                  status="connected")  # fmt: skip
        s.add(account)
        s.flush()
        s.add(Position(user_id=user.id, asset="CSVA", quantity=Decimal("0.123456789012345678"),
                       computed_qty=Decimal("0.123456789012345678"),
                       cost_basis=Decimal("259.2592569259259238"), avg_price=Decimal(2100),
                       realized_pnl=Decimal(0), unknown_cost_qty=Decimal(0)))  # fmt: skip
        for i, (base, amount) in enumerate(
            [("CSVA", "0.123456789012345678"), ("CSVB", "5"), ("CSVA", "0.000000000000000001")]
        ):
            s.add(Trade(exchange_account_id=account.id, exchange_trade_id=f"c{i}",
                        symbol=f"{base}/USDT", base=base, quote="USDT", side="buy",
                        price=Decimal(2100), amount=Decimal(amount),
                        cost=Decimal(amount) * 2100, fee_asset="BNB",
                        fee_cost=Decimal("0.000012345678901234"),
                        ts=when + timedelta(hours=i)))  # fmt: skip
        s.add(Transfer(exchange_account_id=account.id, exchange_transfer_id="d1",
                       type="deposit", asset="USDT", amount=Decimal("1000.000000000000000001"),
                       ts=when - timedelta(hours=1), txid="0xabc"))  # fmt: skip
        other = ExchangeAccount(user_id=user.id, exchange="coinbase", nickname="Second",
                                api_key_enc=b"-", api_secret_enc=b"-", key_id="seed2",
                                status="connected")  # fmt: skip
        s.add(other)
        s.flush()
        s.add(Trade(exchange_account_id=other.id, exchange_trade_id="o1", symbol="CSVA/USDC",
                    base="CSVA", quote="USDC", side="sell", price=Decimal("2200.5"),
                    amount=Decimal("0.01"), cost=Decimal("22.005"),
                    ts=when + timedelta(hours=5)))  # fmt: skip
        s.add(Transfer(exchange_account_id=other.id, exchange_transfer_id="w1",
                       type="withdrawal", asset="USDC", amount=Decimal("1.5"),
                       ts=when + timedelta(hours=6)))  # fmt: skip
        s.execute(insert(ValueHistoryDay), [
            dict(id=new_id(), user_id=user.id, day=first + timedelta(days=i),
                 value=Decimal(f"1000.{i}1"), invested=Decimal(900), realized=Decimal(0),
                 unrealized=Decimal(f"100.{i}1"), income=Decimal(0), unpriced=0,
                 digest="seed", final=i < DAYS - 1)
            for i in range(DAYS)
        ])  # fmt: skip
        s.add(ValueHistoryState(user_id=user.id, fingerprint="seed", first_day=first,
                                last_day=today - timedelta(days=1), building=False))  # fmt: skip
        s.commit()
        return other.id


def _api_exports(url: str, email: str, account: str) -> dict[str, str]:
    """The API's CSV of every kind (and of `account`'s trades and transfers: "<kind>@"), for
    the user signed in over HTTP."""
    with httpx.Client(base_url=url, timeout=30) as client:
        login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        answers = {}
        for kind in KINDS:
            response = client.get(f"/api/export/{kind}.csv")
            assert response.status_code == 200, response.text
            answers[kind] = response.text
        for kind in KINDS[2:]:
            response = client.get(f"/api/export/{kind}.csv", params={"account": account})
            assert response.status_code == 200, response.text
            answers[f"{kind}@"] = response.text
    return answers


def _download(page: Page, button_id: str) -> tuple[str, str]:
    """Click a download button; the file's name and text."""
    button = page.locator(f"#{button_id}")
    expect(button).to_be_visible(timeout=20_000)
    with page.expect_download(timeout=20_000) as info:
        button.click()
    download = info.value
    path = download.path()
    return download.suggested_filename, path.read_bytes().decode("utf-8")


def test_the_pages_download_the_apis_csv(browser: Any, app: Any) -> None:
    email = unique_email("csv")
    second = _seed(app, email)
    api = _api_exports(app.url, email, second)
    # The seed is in the files: every digit, the other user's rows absent.
    trades = list(csv.DictReader(io.StringIO(api["trades"])))
    assert [t["amount"] for t in trades] == [
        "0.123456789012345678", "5", "0.000000000000000001", "0.01"
    ]  # fmt: skip
    assert "1000.000000000000000001" in api["transfers"]
    assert len(list(csv.DictReader(io.StringIO(api["history"])))) >= 1
    assert len(api["trades@"].splitlines()) == 2 and len(api["transfers@"].splitlines()) == 2
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        page.goto(f"{app.url}/portfolio")
        for kind in KINDS:
            name, text = _download(page, f"download-{kind}")
            assert name == f"exstrat-{kind}.csv"
            assert text == api[kind], kind
        # One account's trades and transfers.
        page.locator("#download-account").click()
        page.get_by_role("option", name="Second").click()
        expect(page.locator("#download-account")).to_contain_text("Second")
        for kind in KINDS[2:]:
            assert _download(page, f"download-{kind}")[1] == api[f"{kind}@"], kind
        # The token page: its trades only, the same rows as the API's, in the same order.
        page.goto(f"{app.url}/tokens/CSVA")
        name, text = _download(page, "download-token-trades")
        assert name == "exstrat-CSVA-trades.csv"
        lines = api["trades"].splitlines(keepends=True)
        expected = lines[0] + "".join(line for line in lines[1:] if ",CSVA," in line)
        assert text == expected
        assert len(text.splitlines()) == 4  # the header and the three CSVA trades
    finally:
        page.close()
