"""The dollar views: USDT, USDC and USD are one dollar book (docs/currencies.md). A USDC view
values every asset at the very prices of the USDT view (ASSET/USDT, never an ASSET/USDC
market), each stablecoin held at 1, and shows the same figures under its own label: the
portfolio, its totals, a token, the value history and the CSV exports, over the API too."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from exstrat_app.models import Balance, DailyCandle, ExchangeAccount, Trade, User
from exstrat_app.services.portfolio import prices as price_module
from exstrat_app.services.portfolio.daily_closes import DailyCloses
from exstrat_app.services.portfolio.history import build_history
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.rebuild import recompute_positions
from exstrat_app.services.portfolio.token import token_view
from exstrat_app.services.portfolio.usd_prices import usd_prices
from exstrat_app.services.portfolio.views import portfolio_view
from tests.portfolio.conftest import BASE_URL, NoMarkets, sign_in

D = Decimal
T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 3)
DOLLARS = ("USDT", "USDC", "USD")


class Priced:
    def __init__(self, price: str) -> None:
        self.price = D(price)


# Last prices by market, as the ticker lists them. ETH/USDC is listed at another price than
# ETH/USDT: a USDC view that read it would part from the USDT view. BTC has no USDC market.
MARKETS = {
    ("ETH", "USDT"): "2500", ("ETH", "USDC"): "2490", ("BTC", "USDT"): "60000",
    ("EUR", "USDT"): "1.25",
}  # fmt: skip


def market_prices(markets: dict[tuple[str, str], str]) -> Any:
    def prices(assets: list[str], quote: str) -> dict[str, Priced]:
        return {a: Priced(markets[(a, quote)]) for a in assets if (a, quote) in markets}

    return prices


def _trade(account: str, tid: str, ts: datetime, symbol: str, amount: str, cost: str,
           fee: str | None = None) -> Trade:  # fmt: skip
    base, quote = symbol.split("/")
    q, c = D(amount), D(cost)
    return Trade(
        exchange_account_id=account, exchange_trade_id=tid, symbol=symbol, base=base,
        quote=quote, side="buy", amount=q, price=c / q, cost=c, ts=ts,
        fee_asset=quote if fee else None, fee_cost=D(fee) if fee else None,
    )  # fmt: skip


def _seed(db: Any) -> User:
    """1 ETH bought for 2,000 USDT + 2 USDT fee, 0.1 BTC for 5,000 USDC; held now: those,
    500 USDT and 300 USDC."""
    user = User(email="dollars@example.com", password_hash="x", currency="USD")
    db.add(user)
    db.commit()
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.commit()
    db.add_all([
        _trade(account.id, "1", T1, "ETH/USDT", "1", "2000", fee="2"),
        _trade(account.id, "2", T2, "BTC/USDC", "0.1", "5000"),
        Balance(exchange_account_id=account.id, asset="ETH", free=D(1), locked=D(0)),
        Balance(exchange_account_id=account.id, asset="BTC", free=D("0.1"), locked=D(0)),
        Balance(exchange_account_id=account.id, asset="USDT", free=D(500), locked=D(0)),
        Balance(exchange_account_id=account.id, asset="USDC", free=D(300), locked=D(0)),
    ])  # fmt: skip
    db.commit()
    recompute_positions(db, user_id=user.id, closes=MinuteCloses(db, exchange_factory=NoMarkets))
    db.commit()
    return user


@pytest.fixture
def usd_client(db: Any, redis: Any) -> Any:
    from fastapi.testclient import TestClient

    from exstrat_app.api import create_api
    from exstrat_app.api.portfolio import last_prices

    app = create_api()
    app.dependency_overrides[last_prices] = lambda: market_prices(MARKETS)
    with TestClient(app, base_url=BASE_URL, headers={"Origin": BASE_URL}) as c:
        yield c


def _line(row: Any) -> tuple[Any, ...]:
    return (row.asset, row.quantity, row.price, row.value, row.avg_price, row.pnl)


@pytest.mark.parametrize("quote", DOLLARS)
def test_every_dollar_view_values_each_line_alike(db: Any, quote: str) -> None:
    user = _seed(db)
    view = portfolio_view(db, user_id=user.id, prices=market_prices(MARKETS), quote=quote)
    assert view.quote == quote
    lines = [_line(r) for r in view.rows]
    # ETH at ETH/USDT (never the 2,490 of ETH/USDC): 2,500 - 2,002 = 498 unrealized.
    assert lines[0] == ("BTC", D("0.1"), D(60000), D(6000), D(50000), D(1000))
    assert lines[1] == ("ETH", D(1), D(2500), D(2500), D(2002), D(498))
    # Each stablecoin held is worth its amount, whatever the dollar view.
    assert [line[:4] for line in lines[2:]] == [
        ("USDT", D(500), D(1), D(500)),
        ("USDC", D(300), D(1), D(300)),
    ]
    assert view.totals.value == D(9300)  # 6,000 + 2,500 + 500 + 300
    assert view.totals.pnl == D(1498)
    assert view.totals.unpriced == ()
    token = token_view(db, user_id=user.id, asset="BTC", prices=market_prices(MARKETS), quote=quote)
    assert token.quote == quote and _line(token.position) == lines[0]


def test_the_api_gives_the_usdt_figures_under_each_label(usd_client: Any, db: Any) -> None:
    user = _seed(db)
    sign_in(usd_client, user.id)
    usdt = usd_client.get("/api/portfolio/summary?quote=USDT").json()
    for quote in ("USDC", "usd"):
        summary = usd_client.get(f"/api/portfolio/summary?quote={quote}").json()
        assert summary["quote"] == quote.upper()
        assert summary["rows"] == usdt["rows"]
        assert summary["totals"] == usdt["totals"]
    rows = {r["asset"]: r for r in usd_client.get("/api/portfolio?quote=USDC").json()}
    assert (rows["ETH"]["price"], rows["ETH"]["value"], rows["ETH"]["pnl"]) == (
        "2500", "2500", "498",
    )  # fmt: skip
    assert (rows["BTC"]["price"], rows["BTC"]["value"], rows["BTC"]["pnl"]) == (
        "60000", "6000", "1000",
    )  # fmt: skip
    assert rows["USDT"]["value"] == "500" and rows["USDC"]["value"] == "300"
    assert usdt["totals"]["value"] == "9300" and usdt["totals"]["unpriced"] == []

    token_usdt = usd_client.get("/api/tokens/ETH?quote=USDT").json()
    token_usdc = usd_client.get("/api/tokens/ETH?quote=USDC").json()
    assert token_usdc["quote"] == "USDC"
    assert token_usdc["position"] == token_usdt["position"]
    assert token_usdc["position"]["value"] == "2500"
    assert token_usdc["pnl"] == token_usdt["pnl"]


def _build_history(db: Any, user_id: str) -> None:
    for day in range(1, 4):
        db.add(DailyCandle(symbol="ETH/USDT", day=date(2026, 3, day), close=D(2500)))
        db.add(DailyCandle(symbol="BTC/USDT", day=date(2026, 3, day), close=D(60000)))
    db.commit()
    closes = DailyCloses(db, exchange_factory=NoMarkets, today=TODAY)
    build_history(db, user_id, closes=closes, prices=MinuteCloses(db, exchange_factory=NoMarkets))
    db.commit()


def _csv_rows(client: Any, path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(client.get(f"/api/export/{path}").text)))


def test_history_and_csv_in_usdc_are_the_usdt_ones(usd_client: Any, db: Any) -> None:
    user = _seed(db)
    _build_history(db, user.id)
    sign_in(usd_client, user.id)
    usdt = usd_client.get("/api/portfolio/history?quote=USDT").json()
    usdc = usd_client.get("/api/portfolio/history?quote=USDC").json()
    assert usdc["quote"] == "USDC"
    assert usdc["points"] == usdt["points"] and usdc["points"]
    asset_usdt = usd_client.get("/api/tokens/BTC/history?quote=USDT").json()
    asset_usdc = usd_client.get("/api/tokens/BTC/history?quote=USDC").json()
    assert asset_usdc["quote"] == "USDC" and asset_usdc["points"] == asset_usdt["points"]
    # The asset's days run to the real today; the last cached close is on TODAY.
    [on_today] = [p for p in asset_usdc["points"] if p["day"] == TODAY.isoformat()]
    assert on_today["value"] == "6000" and on_today["avgPrice"] == "50000"

    history = {
        q: usd_client.get(f"/api/export/history.csv?quote={q}").text for q in ("USDT", "USDC")
    }
    assert history["USDC"] == history["USDT"] and history["USDT"].count("\n") > 1
    positions = {q: _csv_rows(usd_client, f"positions.csv?quote={q}") for q in ("USDT", "USDC")}
    assert [r["quote"] for r in positions["USDC"]] == ["USDC"] * len(positions["USDT"])
    strip = [{k: v for k, v in r.items() if k != "quote"} for r in positions["USDT"]]
    assert [{k: v for k, v in r.items() if k != "quote"} for r in positions["USDC"]] == strip
    btc = next(r for r in positions["USDC"] if r["asset"] == "BTC")
    assert (btc["cost_basis"], btc["avg_price"]) == ("5000", "50000")


def test_an_asset_priced_only_through_a_route_is_valued() -> None:
    markets = {
        ("BTC", "USDT"): "60000", ("XYZ", "BTC"): "0.0001",  # 6 dollars through BTC
        ("ABC", "USDC"): "2",  # no ABC/USDT: its USDC market, 1:1
        ("EUR", "USDT"): "1.25", ("DEF", "EUR"): "4",  # 5 dollars through EUR
        ("USDT", "TRY"): "40",  # the lira quoted the other way round: 0.025
    }  # fmt: skip
    found = usd_prices(market_prices(markets), ["XYZ", "ABC", "DEF", "TRY", "USDC", "NOPE"])
    assert found == {
        "XYZ": D(6), "ABC": D(2), "DEF": D(5), "TRY": D("0.025"), "USDC": D(1),
    }  # fmt: skip


def test_the_chart_of_a_usdc_view_reads_the_usdt_market(monkeypatch: Any) -> None:
    asked: list[str] = []

    def closes(symbol: str, *_args: Any) -> list[tuple[datetime, str]]:
        asked.append(symbol)
        return []

    monkeypatch.setattr(price_module, "_fetch_closes", closes)
    for quote in DOLLARS:
        price_module.daily_closes("ETH", quote=quote)
    price_module.daily_closes("ETH", quote="EUR")
    assert asked == ["ETH/USDT", "ETH/USDT", "ETH/USDT", "ETH/EUR"]
