"""The reporting currency over HTTP: `?quote=EUR` and the user's own currency on the portfolio,
a token and the CSV export, with the worked example of tests/domain/test_currency.py stored
and rebuilt as a sync would (docs/currencies.md)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from exstrat_app.models import Balance, ExchangeAccount, PriceCandle, Trade, User
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.rebuild import recompute_positions
from tests.portfolio.conftest import NoMarkets, sign_in

D = Decimal
T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T3 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
T4 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


class Priced:
    def __init__(self, price: str) -> None:
        self.price = D(price)


# Last prices by market: ETH has an ETH/EUR market, SOL does not (USDT / EURUSDT then).
MARKETS = {("ETH", "USDT"): "2500", ("ETH", "EUR"): "2000", ("SOL", "USDT"): "150",
           ("EUR", "USDT"): "1.25"}  # fmt: skip


def market_prices(assets: list[str], quote: str) -> dict[str, Priced]:
    return {a: Priced(MARKETS[(a, quote)]) for a in assets if (a, quote) in MARKETS}


@pytest.fixture
def eur_client(db: Any, redis: Any) -> Any:
    from fastapi.testclient import TestClient

    from exstrat_app.api import create_api
    from exstrat_app.api.portfolio import last_prices
    from tests.portfolio.conftest import BASE_URL

    app = create_api()
    app.dependency_overrides[last_prices] = lambda: market_prices
    with TestClient(app, base_url=BASE_URL, headers={"Origin": BASE_URL}) as c:
        yield c


def _trade(account: str, tid: str, ts: datetime, symbol: str, side: str, amount: str,
           cost: str, fee: str | None = None, kind: str = "trade") -> Trade:  # fmt: skip
    base, quote = symbol.split("/")
    q, c = D(amount), D(cost)
    return Trade(
        exchange_account_id=account, exchange_trade_id=tid, symbol=symbol, base=base,
        quote=quote, side=side, amount=q, price=c / q, cost=c, ts=ts, kind=kind,
        fee_asset=quote if fee else None, fee_cost=D(fee) if fee else None,
    )  # fmt: skip


def _seed(db: Any, currency: str) -> User:
    user = User(email=f"{currency.lower()}@example.com", password_hash="x", currency=currency)
    db.add(user)
    db.commit()
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.commit()
    db.add_all([
        _trade(account.id, "1", T1, "ETH/USDT", "buy", "1", "2000", fee="2"),
        _trade(account.id, "2", T2, "ETH/EUR", "buy", "1", "1800"),
        _trade(account.id, "3", T3, "ETH/EUR", "buy", "0.5", "1000", kind="card"),
        _trade(account.id, "4", T4, "ETH/USDT", "sell", "1.5", "4800", fee="4.8"),
        Balance(exchange_account_id=account.id, asset="ETH", free=D(1), locked=D(0)),
        Balance(exchange_account_id=account.id, asset="EUR", free=D(100), locked=D(0)),
        Balance(exchange_account_id=account.id, asset="USDT", free=D(50), locked=D(0)),
    ])  # fmt: skip
    # The EURUSDT 1-minute closes at each trade's minute (cached: no exchange is asked).
    for ts, rate in ((T1, "1.25"), (T2, "1.20"), (T3, "1.10"), (T4, "1.60")):
        db.merge(PriceCandle(symbol="EUR/USDT", minute=ts, close=D(rate)))
    db.commit()
    recompute_positions(db, user_id=user.id, closes=MinuteCloses(db, exchange_factory=NoMarkets))
    db.commit()
    return user


def test_portfolio_in_the_users_currency_and_by_query(eur_client: Any, db: Any) -> None:
    user = _seed(db, "EUR")
    sign_in(eur_client, user.id)

    summary = eur_client.get("/api/portfolio/summary").json()  # no ?quote: the user's EUR
    assert summary["quote"] == "EUR"
    rows = {r["asset"]: r for r in summary["rows"]}
    # ETH: 1 left at 1,760.64 EUR (tests/domain/test_currency.py), priced on ETH/EUR: 2,000.
    assert rows["ETH"]["avgPrice"] == "1760.64"
    assert rows["ETH"]["price"] == "2000"
    assert rows["ETH"]["value"] == "2000"
    assert rows["ETH"]["pnl"] == "239.36"  # (2,000 - 1,760.64) * 1
    assert rows["ETH"]["realizedPnl"] == "356.04"
    # 100 EUR are 100 EUR; 50 USDT are 50 / 1.25 = 40 EUR.
    assert rows["EUR"]["value"] == "100"
    assert rows["USDT"]["value"] == "40"
    assert summary["totals"]["value"] == "2140"

    usd = eur_client.get("/api/portfolio/summary?quote=USDT").json()
    assert usd["quote"] == "USDT"
    usd_rows = {r["asset"]: r for r in usd["rows"]}
    assert usd_rows["ETH"]["avgPrice"] == "2104.8"
    assert usd_rows["ETH"]["realizedPnl"] == "1638"
    assert usd_rows["EUR"]["value"] == "125"  # 100 EUR at the last EURUSDT 1.25
    plain = eur_client.get("/api/portfolio?quote=eur").json()
    assert {r["asset"]: r["value"] for r in plain}["ETH"] == "2000"


def test_a_usd_user_gets_dollars_and_can_ask_for_euros(eur_client: Any, db: Any) -> None:
    user = _seed(db, "USD")
    sign_in(eur_client, user.id)
    assert eur_client.get("/api/portfolio/summary").json()["quote"] == "USDT"
    token = eur_client.get("/api/tokens/ETH").json()
    assert token["quote"] == "USDT"
    assert token["position"]["avgPrice"] == "2104.8"
    token = eur_client.get("/api/tokens/ETH?quote=EUR").json()
    assert token["quote"] == "EUR"
    assert token["position"]["avgPrice"] == "1760.64"
    assert token["pnl"]["realized"] == "356.04"
    assert eur_client.get("/api/portfolio?quote=GBP").status_code == 422


def test_positions_csv_in_euros(eur_client: Any, db: Any) -> None:
    user = _seed(db, "EUR")
    sign_in(eur_client, user.id)
    text = eur_client.get("/api/export/positions.csv").text
    rows = {r["asset"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["ETH"]["quote"] == "EUR"
    assert rows["ETH"]["avg_price"] == "1760.64"
    assert rows["ETH"]["cost_basis"] == "1760.64"
    assert rows["ETH"]["realized_pnl"] == "356.04"
    assert rows["EUR"]["cost_basis"] == "100"  # euros held are their own cost
    usd = eur_client.get("/api/export/positions.csv?quote=USDT").text
    usd_rows = {r["asset"]: r for r in csv.DictReader(io.StringIO(usd))}
    assert usd_rows["ETH"]["quote"] == "USDT"
    assert usd_rows["ETH"]["realized_pnl"] == "1638"


def test_a_usd_user_with_no_cached_rates_has_no_euro_costs(eur_client: Any, db: Any) -> None:
    from sqlmodel import delete

    user = _seed(db, "USD")
    db.execute(delete(PriceCandle))
    db.commit()
    recompute_positions(db, user_id=user.id, closes=MinuteCloses(db, exchange_factory=NoMarkets))
    db.commit()
    sign_in(eur_client, user.id)
    rows = {r["asset"]: r for r in eur_client.get("/api/portfolio?quote=EUR").json()}
    # Valued now (ETH/EUR 2,000), but no euro cost is made up of legs valued at 0.
    assert rows["ETH"]["value"] == "2000" and rows["ETH"]["avgPrice"] is None
    # The dollar book as ever: with no EURUSDT close, its two euro legs are unvalued (0):
    # 2,002 / 2.5 = 800.8.
    assert eur_client.get("/api/portfolio").json()[0]["avgPrice"] == "800.8"
