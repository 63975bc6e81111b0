"""The portfolio context's boundaries: the rebuild leaves the commit to its caller, the views
are typed Decimals that the API alone turns into strings, and the token chart's numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from exstrat_app.api.schemas import PortfolioRowOut, TokenOut
from exstrat_app.models import Balance, ExchangeAccount, Position, Trade
from exstrat_app.services.portfolio.rebuild import recompute_for_user
from exstrat_app.services.portfolio.token import token_view
from exstrat_app.services.portfolio.views import PortfolioRow, portfolio_view
from exstrat_app.state.display import chart_number

D = Decimal
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


class Priced:
    def __init__(self, price: str) -> None:
        self.price = D(price)


def fixed_prices(table: dict[str, str]) -> Any:
    def prices(assets: list[str], quote: str) -> dict[str, Priced]:
        return {a: Priced(table[a]) for a in assets if a in table}

    return prices


def _account_with_eth(db: Session, user_id: str) -> str:
    account = ExchangeAccount(
        user_id=user_id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.flush()
    db.add(Balance(exchange_account_id=account.id, asset="ETH", free=D("1.5"), locked=D("0.5")))
    db.add(
        Trade(exchange_account_id=account.id, exchange_trade_id="1", symbol="ETH/USDT",
              base="ETH", quote="USDT", side="buy", price=D("2000"), amount=D("2"),
              cost=D("4000"), fee_asset="USDT", fee_cost=D("0"), ts=T0)
    )  # fmt: skip
    db.commit()
    return account.id


def _positions(engine: Any, user_id: str) -> list[Position]:
    with Session(engine) as fresh:
        return list(fresh.exec(select(Position).where(Position.user_id == user_id)))


def test_the_rebuild_leaves_the_commit_to_its_caller(db, engine, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    _account_with_eth(db, user.id)
    with Session(engine, expire_on_commit=False) as session:
        recompute_for_user(session, user.id)
        session.rollback()  # the caller gave up: nothing of the rebuild is stored
    assert _positions(engine, user.id) == []
    with Session(engine, expire_on_commit=False) as session:
        recompute_for_user(session, user.id)
        session.commit()
    [eth] = _positions(engine, user.id)
    assert (eth.asset, eth.quantity, eth.avg_price) == ("ETH", D(2), D(2000))


def test_views_are_decimals_and_the_api_sends_them_as_strings(db, engine, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    _account_with_eth(db, user.id)
    with Session(engine, expire_on_commit=False) as session:
        recompute_for_user(session, user.id)
        session.commit()
        prices = fixed_prices({"ETH": "2500.50"})
        view = portfolio_view(session, user_id=user.id, prices=prices)
        token = token_view(session, user_id=user.id, asset="eth", prices=prices, page_size=1)
    [row] = view.rows
    assert isinstance(row, PortfolioRow)
    assert (row.value, row.pnl) == (D("5001.00000000"), D("1001.00000000"))
    assert row.pnl_pct == D("25.02")  # 25.025, half to even
    assert view.totals.value == row.value and view.totals.unpriced == ()
    assert token.position == row and token.unrealized_pnl == row.pnl
    assert [t.price for t in token.trades] == [D(2000)] and token.trades_total == 1

    body = PortfolioRowOut.of(row).model_dump(mode="json", by_alias=True)
    assert body["value"] == "5001" and body["pnlPct"] == "25.02" and body["avgPrice"] == "2000"
    token_body = TokenOut.of(token).model_dump(mode="json", by_alias=True)
    assert token_body["pnl"] == {"realized": "0", "unrealized": "1001", "income": "0"}  # issue 13
    assert token_body["trades"][0]["feeCost"] == "0" and token_body["pageSize"] == 1


def test_the_openapi_schema_describes_the_portfolio_bodies(client) -> None:  # type: ignore[no-untyped-def]
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    row = schemas["PortfolioRowOut"]["properties"]
    assert row["avgPrice"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Avgprice"}
    assert row["quantity"]["type"] == "string"
    assert {"pnl", "tradesTotal", "pageSize"} <= set(schemas["TokenOut"]["properties"])


def test_chart_numbers_are_the_exact_decimal_without_trailing_zeros() -> None:
    assert chart_number(D("2200.000000000000000000")) == "2200"
    assert chart_number(D("2262.733333333333333333")) == "2262.733333333333333333"
    assert chart_number(D("3500.00000010")) == "3500.0000001"
    assert chart_number(D("0E-18")) == "0"
