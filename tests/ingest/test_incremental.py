"""Re-syncs that bring something new: a new trade, a deposit settling, and the cached replay."""

from __future__ import annotations

import time
from decimal import Decimal, localcontext

from sqlmodel import select

from exstrat_app.domain.money import MONEY_CONTEXT
from exstrat_app.infra.db.types import quantize_money
from exstrat_app.models import Position, Transfer
from exstrat_app.services.exchanges import runner
from exstrat_app.services.portfolio import rebuild as portfolio
from simexchange import BINANCE_READONLY_KEY, SMALL_T, SimTrade, SimTransfer
from tests.ingest.conftest import sync_env

D = Decimal
NEW_TRADE_MS = SMALL_T["NOW"] - 86_400_000  # 2024-05-31


def _position(db, user_id, asset):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(
        select(Position).where(Position.user_id == user_id, Position.asset == asset)
    ).one()


def test_a_new_trade_is_fetched_after_the_cursor_and_the_replay_runs_again(
    db, redis, sim, make_user, add_account, monkeypatch
):
    user = make_user()
    account = add_account(user)
    assert runner.sync_account(account.id, env=sync_env(redis))
    eth = _position(db, user.id, "ETH")
    qty, avg, realized = eth.computed_qty, eth.avg_price, eth.realized_pnl

    # Nothing new: the positions replay is skipped (its cached result is reused).
    replays = []
    real = portfolio.rebuild_positions
    monkeypatch.setattr(
        portfolio, "rebuild_positions", lambda *a, **k: replays.append(1) or real(*a, **k)
    )
    assert runner.sync_account(account.id, env=sync_env(redis))
    assert replays == []
    assert _position(db, user.id, "ETH").avg_price == avg

    # A new sell of 1 ETH at 3000 (fee 3 USDT): realized += 3000 - 3 - 1 * avg.
    sim.add_trade(
        BINANCE_READONLY_KEY,
        SimTrade("ETH/USDT", "sell", D(1), D(3000), D(3), "USDT", NEW_TRADE_MS),
    )
    sim.reset_counts()
    assert runner.sync_account(account.id, env=sync_env(redis))

    assert replays == [1]
    after = _position(db, user.id, "ETH")
    assert after.computed_qty == qty - 1 == after.quantity
    assert after.avg_price == avg  # a sale never moves the average
    # Exactly (the stored figures are rounded to 18 decimals): the ETH realized so far
    # (test_sync_binance: 222.85 - 0.001 * avg) + 2997 - 1 * avg, with avg = 10182.30 / 4.5.
    with localcontext(MONEY_CONTEXT):
        exact_avg = D("10182.30") / D("4.5")
        assert after.realized_pnl == quantize_money(D("3219.85") - D("1.001") * exact_avg)
    assert abs(after.realized_pnl - (realized + D(2997) - avg)) < D("1e-17")
    # Only ETH/USDT had something after its cursor.
    assert any("ETHUSDT" in r and "fromId=1455000778" in r for r in sim.requests_log("myTrades"))


def test_a_pending_deposit_counts_once_it_has_settled(db, redis, sim, make_user, add_account):
    user = make_user()
    account = add_account(user)
    # Ten days ago: older than the re-read overlap, so only its pending state brings the
    # next walk back to it.
    ten_days_ago = int(time.time() * 1000) - 10 * 86_400_000
    deposit = SimTransfer(
        "deposit", "SOL", D(10), ten_days_ago, id="dep-sol-pending", txid="0xsol", status="pending"
    )
    sim.add_transfer(BINANCE_READONLY_KEY, deposit)
    assert runner.sync_account(account.id, env=sync_env(redis))

    stored = db.exec(select(Transfer).where(Transfer.exchange_transfer_id == "dep-sol-pending"))
    assert stored.one().status == "pending"
    db.expire_all()
    assert "SOL" not in {p.asset for p in db.exec(select(Position)).all()}

    # Confirmed on chain; the exchange now credits it.
    deposit.status = "ok"
    sim.set_balance(BINANCE_READONLY_KEY, "SOL", "10")
    assert runner.sync_account(account.id, env=sync_env(redis))

    db.expire_all()
    stored = db.exec(select(Transfer).where(Transfer.exchange_transfer_id == "dep-sol-pending"))
    assert stored.one().status == "ok"
    sol = _position(db, user.id, "SOL")
    # A deposit with no known cost: 10 SOL, all of it "cost unknown".
    assert sol.quantity == sol.computed_qty == sol.unknown_cost_qty == D(10)
    assert sol.avg_price is None
