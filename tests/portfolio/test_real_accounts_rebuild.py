"""The rebuild of a retail account (issue 13): every kind of trade, income valued at receipt
through a price route, a fee no route can price (unvalued, the sync's figures stay exact),
fiat cash left out, unclassified movements by sign, balances of every wallet summed, and
opening positions replayed. Figures are worked by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from exstrat_app.models import (
    Balance,
    ExchangeAccount,
    Position,
    PriceCandle,
    Trade,
    Transfer,
    UnvaluedItem,
)
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.rebuild import recompute_positions
from exstrat_app.services.portfolio.token import token_view
from exstrat_app.services.portfolio.views import portfolio_view
from tests.portfolio.conftest import NoMarkets, fixed_prices

D = Decimal
T1 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # card buy
T2 = T1 + timedelta(hours=1)  # convert USDT -> ETH
T3 = T1 + timedelta(hours=2)  # order-book buy, fee in OLDX
T4 = T1 + timedelta(hours=3)  # Earn interest
T5 = T1 + timedelta(hours=4)  # unclassified SOL in, then out


def closes(db: Session) -> MinuteCloses:
    return MinuteCloses(db, exchange_factory=NoMarkets)


def seed_retail(db: Session, user_id: str) -> str:
    account = ExchangeAccount(
        user_id=user_id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.flush()
    a = account.id
    db.add_all([
        # 1.00 spot + 0.50 Simple Earn + 0.51 Funding = 2.01 ETH shown
        Balance(exchange_account_id=a, wallet="spot", asset="ETH", free=D("0.9"), locked=D("0.1")),
        Balance(exchange_account_id=a, wallet="earn_flexible", asset="ETH", free=D("0.5"),
                locked=D(0)),
        Balance(exchange_account_id=a, wallet="funding", asset="ETH", free=D("0.51"), locked=D(0)),
        Balance(exchange_account_id=a, wallet="spot", asset="SOL", free=D("1.5"), locked=D(0)),
        # Card: 0.5 ETH for 1,000 EUR (fee included); EUR/USDT 1.08 -> cost 1,080 USDT
        Trade(exchange_account_id=a, exchange_trade_id="card:1", symbol="ETH/EUR", base="ETH",
              quote="EUR", side="buy", price=D(2000), amount=D("0.5"), cost=D(1000), ts=T1,
              kind="card"),
        # Convert 2,000 USDT -> 1 ETH: cost 2,000
        Trade(exchange_account_id=a, exchange_trade_id="convert:7", symbol="ETH/USDT",
              base="ETH", quote="USDT", side="buy", price=D(2000), amount=D(1), cost=D(2000),
              ts=T2, kind="convert"),
        # 0.5 ETH at 2,100 = 1,050, fee 0.01 OLDX (no market at all): cost 1,050, unvalued
        Trade(exchange_account_id=a, exchange_trade_id="99", symbol="ETH/USDT", base="ETH",
              quote="USDT", side="buy", price=D(2100), amount=D("0.5"), cost=D(1050),
              fee_asset="OLDX", fee_cost=D("0.01"), ts=T3),
        # 0.01 ETH of Earn interest; no ETH/USDT candle at T4, ETH/BTC 0.05 x BTC/USDT 40,000
        # = 2,000 -> income 20, cost +20
        Transfer(exchange_account_id=a, exchange_transfer_id="earn:1", type="income",
                 source="earn_flexible", asset="ETH", amount=D("0.01"), ts=T4),
        # 1,000 EUR by bank: fiat cash, no position
        Transfer(exchange_account_id=a, exchange_transfer_id="fiat:1", type="deposit",
                 source="fiat", asset="EUR", amount=D(1000), ts=T1 - timedelta(minutes=5)),
        # Coinbase kinds we do not know: +2 SOL (deposit, no average: cost unknown), -0.5 SOL
        Transfer(exchange_account_id=a, exchange_transfer_id="cb:u1", type="unclassified",
                 source="vault_withdrawal", asset="SOL", amount=D(2), ts=T5),
        Transfer(exchange_account_id=a, exchange_transfer_id="cb:u2", type="unclassified",
                 source="vault_deposit", asset="SOL", amount=D("-0.5"),
                 ts=T5 + timedelta(minutes=1)),
        PriceCandle(symbol="EUR/USDT", minute=T1, close=D("1.08")),
        PriceCandle(symbol="ETH/BTC", minute=T4, close=D("0.05")),
        PriceCandle(symbol="BTC/USDT", minute=T4, close=D(40000)),
    ])  # fmt: skip
    db.commit()
    return a


def positions(db: Session, user_id: str) -> dict[str, Position]:
    db.expire_all()
    rows = db.exec(select(Position).where(Position.user_id == user_id)).all()
    return {p.asset: p for p in rows}


def test_a_retail_account_adds_up(db: Any, make_user: Any) -> None:
    user = make_user()
    account_id = seed_retail(db, user.id)
    recompute_positions(db, user_id=user.id, closes=closes(db))
    db.commit()

    got = positions(db, user.id)
    # No EUR (fiat). OLDX: the fee's disposal, of a coin never held (0 left; not shown).
    assert set(got) == {"ETH", "SOL", "OLDX"} and got["OLDX"].computed_qty == 0
    eth = got["ETH"]
    # qty 0.5 + 1 + 0.5 + 0.01 = 2.01; cost 1,080 + 2,000 + 1,050 + 20 = 4,150
    assert (eth.quantity, eth.computed_qty) == (D("2.01"), D("2.01"))
    assert eth.cost_basis == D(4150) and eth.income == D(20)
    assert abs(eth.avg_price - D(4150) / D("2.01")) < D("1e-17")  # 2064.6766169...
    assert eth.realized_pnl == 0 and eth.unknown_cost_qty == 0
    sol = got["SOL"]
    # +2 unknown cost, -0.5: 1.5 held, all of unknown cost
    assert (sol.computed_qty, sol.unknown_cost_qty, sol.cost_basis) == (D("1.5"), D("1.5"), 0)

    [item] = db.exec(select(UnvaluedItem).where(UnvaluedItem.user_id == user.id)).all()
    assert (item.asset, item.item_asset, item.amount, item.role) == ("ETH", "OLDX", D("0.01"),
                                                                     "fee")  # fmt: skip
    assert item.exchange_account_id == account_id
    assert db.get(ExchangeAccount, account_id).unvalued_count == 1

    prices = fixed_prices({"ETH": "2500", "SOL": "150"})
    view = portfolio_view(db, user_id=user.id, prices=prices)
    rows = {r.asset: r for r in view.rows}
    assert rows["ETH"].unexplained == 0 and rows["SOL"].unexplained == 0
    assert rows["ETH"].income == D(20) and view.totals.income == D(20)
    # 2.01 x 2,500 = 5,025; P&L 5,025 - 4,150 = 875
    assert rows["ETH"].value == D(5025) and rows["ETH"].pnl == D(875)

    token = token_view(db, user_id=user.id, asset="ETH", prices=prices)
    assert token.income == D(20)
    assert [m.kind for m in token.movements] == ["income", "trade", "convert", "card"]
    assert [m.amount for m in token.movements] == [D("0.01"), D("0.5"), D(1), D("0.5")]
    assert token.movements_total == 4
    wallets = {h.wallet: h.quantity for h in token.holdings}
    assert wallets == {"spot": D(1), "earn_flexible": D("0.5"), "funding": D("0.51")}
    [group] = token.unvalued
    assert group.text == "1 fee could not be valued: 0.01 OLDX"
    sol_token = token_view(db, user_id=user.id, asset="SOL", prices=prices)
    assert [(m.kind, m.amount) for m in sol_token.movements] == [
        ("unclassified", D("-0.5")), ("unclassified", D(2))]  # fmt: skip


def test_a_rebuild_again_replaces_the_unvalued_items(db: Any, make_user: Any) -> None:
    user = make_user()
    account_id = seed_retail(db, user.id)
    for _ in range(2):
        recompute_positions(db, user_id=user.id, closes=closes(db))
        db.commit()
    assert len(db.exec(select(UnvaluedItem)).all()) == 1
    # The OLDX fee gets a price (a route through BTC): nothing is unvalued any more, and the
    # fee's value (0.01 x 0.0001 x 50,000 = 0.05) joins the buy's cost.
    db.add_all([
        PriceCandle(symbol="OLDX/BTC", minute=T3, close=D("0.0001")),
        PriceCandle(symbol="BTC/USDT", minute=T3, close=D(50000)),
    ])  # fmt: skip
    db.commit()
    recompute_positions(db, user_id=user.id, closes=closes(db))
    db.commit()
    assert db.exec(select(UnvaluedItem)).all() == []
    assert db.get(ExchangeAccount, account_id).unvalued_count == 0
    assert positions(db, user.id)["ETH"].cost_basis == D("4150.05")


def test_price_routes(db: Any) -> None:
    db.add_all([
        PriceCandle(symbol="ABC/BNB", minute=T1, close=D("0.5")),
        PriceCandle(symbol="BNB/USDT", minute=T1, close=D(600)),
        PriceCandle(symbol="USDT/TRY", minute=T1, close=D(32)),
        PriceCandle(symbol="XYZ/EUR", minute=T1, close=D(2)),
        PriceCandle(symbol="EUR/USDT", minute=T1, close=D("1.08")),
    ])  # fmt: skip
    db.commit()
    c = closes(db)
    c.prefetch([("ABC", T1), ("TRY", T1), ("XYZ", T1)])
    assert c.price_at("ABC", T1 + timedelta(seconds=30)) == D(300)  # 0.5 x 600
    assert c.price_at("TRY", T1) == D(1) / D(32)  # 1 / USDT/TRY
    assert c.price_at("XYZ", T1) == D("2.16")  # 2 x 1.08
    import pytest

    from exstrat_app.domain.errors import PriceUnavailable

    with pytest.raises(PriceUnavailable):
        c.price_at("OLDX", T1)
