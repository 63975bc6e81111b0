"""Binance sync of small_dataset through a real RQ worker, real ccxt and the simulated
exchange; every expected figure is computed by hand below (SPEC §4, small_dataset notes)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from exstrat_app.infra.db.types import quantize_money
from exstrat_app.models import ExchangeAccount, Position, PriceCandle, SyncCursor, Trade
from exstrat_app.services.exchanges import runner, scheduling
from exstrat_app.services.exchanges.context import PROGRESS_CHANNEL, STEPS
from simexchange import SMALL_BINANCE_BALANCES, SMALL_T
from tests.ingest.conftest import sync_env

D = Decimal


def at(key: str) -> datetime:
    return datetime.fromtimestamp(SMALL_T[key] / 1000, tz=UTC)


def money(value: Decimal) -> Decimal:
    """What the database keeps of a computed value (18 decimals)."""
    return quantize_money(value)


def positions_of(db, user_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.exec(select(Position).where(Position.user_id == user_id)).all()
    return {p.asset: p for p in rows}


def account_row(db, account_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.get(ExchangeAccount, account_id)


# The trades as Binance reports them (symbol, id, side, price, amount, cost, fee asset, fee, time).
EXPECTED_TRADES = {
    ("BNB/USDT", "702001122", "buy", D(300), D("1.001"), D("300.30"), "BNB", D("0.001"), at("T1")),
    ("ETH/USDT", "1420001234", "buy", D(2000), D(2), D(4000), "BNB", D("0.01"), at("T2")),
    (
        "ETH/USDT",
        "1437770001",
        "buy",
        D(2100),
        D("2.002"),
        D("4204.2"),
        "ETH",
        D("0.002"),
        at("T3"),
    ),
    ("ETH/USDT", "1455000777", "sell", D(2500), D("0.5"), D(1250), "USDT", D("1.25"), at("T4")),
    ("ETH/BTC", "431337001", "buy", D("0.05"), D(1), D("0.05"), "BNB", D("0.0025"), at("T5")),
    ("BTC/USDT", "3530012345", "buy", D(65000), D("0.01"), D(650), "BTC", D("0.00001"), at("T6")),
}
# Deposits and the withdrawal: amount moved, and the fee charged on top of it.
EXPECTED_TRANSFERS = {
    ("deposit", "dep-usdt-1", "USDT", D("10000"), None, "ok", at("D1")),
    ("deposit", "dep-btc-1", "BTC", D("0.1"), None, "ok", at("D2")),
    ("withdrawal", "wd-eth-1", "ETH", D("0.5"), D("0.001"), "ok", at("W1")),
}
# Live balances (free, locked); Binance's zero LTC row is not kept.
EXPECTED_BALANCES = {(a, f, lk) for a, (f, lk) in SMALL_BINANCE_BALANCES.items() if f or lk}


def test_full_binance_sync_through_the_worker(
    db, redis, sim, make_user, add_account, run_worker, rows_of
):
    user = make_user()
    account = add_account(user, "binance", nickname="main")

    job_ids = scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    assert job_ids == [f"ingest-binance-{account.id}-{step}-0" for step in STEPS]
    run_worker()

    row = account_row(db, account.id)
    assert (row.status, row.last_error) == ("connected", None)
    assert row.last_sync_at is not None
    # Progress counts symbols: every market whose base or quote the account held (all 7).
    assert row.progress_done == row.progress_total == 7
    assert rows_of(account.id) == {
        "trades": EXPECTED_TRADES,
        "transfers": EXPECTED_TRANSFERS,
        "balances": EXPECTED_BALANCES,
    }
    # Every symbol was asked, including ones with no trade (a trade can hide anywhere).
    for market_id in ("ETHUSDT", "BTCUSDT", "BNBUSDT", "ETHBTC", "LTCUSDT", "SOLUSDT", "BNBBTC"):
        assert any(f"symbol={market_id}" in r for r in sim.requests_log("/api/v3/myTrades")), (
            market_id
        )
    # No futures or margin endpoint was touched (spot only).
    assert sim.request_count("/fapi") == sim.request_count("/dapi") == 0

    positions = positions_of(db, user.id)
    assert set(positions) == {"ETH", "BTC", "BNB", "USDT"}

    # BNB  T1 buy 1.001 @ 300 = 300.30, fee 0.001 BNB (in base) -> qty 1.000, cost 300.30
    #      T2 fee 0.01 BNB, worth 0.01 * 300 (1m close) = 3.00: a disposal at avg 300.30
    #         -> realized 3.00 - 3.003 = -0.003; qty 0.99, cost 297.297
    #      T5 fee 0.0025 BNB worth 0.0025 * 400 = 1.00 -> realized += 1.00 - 0.75075
    #         -> qty 0.9875, cost 296.54625, realized 0.24625, avg unchanged 300.30
    bnb = positions["BNB"]
    assert bnb.computed_qty == D("0.9875")
    assert bnb.cost_basis == D("296.54625")
    assert bnb.avg_price == D("300.30")
    assert bnb.realized_pnl == D("0.24625")
    # Live 1.0000 BNB vs 0.9875 explained: "unexplained: 0.0125 BNB" (an airdrop).
    assert bnb.quantity == D("1") and bnb.quantity - bnb.computed_qty == D("0.0125")

    # ETH  T2 buy 2 @ 2000 = 4000 + fee 0.01 BNB at BNB=300 (3.00)  -> qty 2, cost 4003.00
    #      T3 buy 2.002 @ 2100 = 4204.20, fee 0.002 ETH (in base)  -> qty 4, cost 8207.20
    #      T4 sell 0.5 @ 2500 = 1250 - 1.25 fee: realized 1248.75 - 0.5 * 2051.80 = 222.85
    #         -> qty 3.5, cost 7181.30
    #      T5 buy 1 ETH for 0.05 BTC at BTC=60000 (3000) + 0.0025 BNB at 400 (1.00)
    #         -> qty 4.5, cost 10182.30, avg 2262.7333...
    #      W1 withdraw 0.5 + 0.001 fee: 0.5 leaves at the average (no P&L), the fee is
    #         a disposal for nothing: realized -= 0.001 * avg   -> qty 3.999
    eth_avg = D("10182.30") / D("4.5")
    eth = positions["ETH"]
    assert eth.quantity == eth.computed_qty == D("3.999")
    assert eth.avg_price == money(eth_avg)
    assert eth.cost_basis == money(D("10182.30") - D("0.501") * eth_avg)
    assert eth.realized_pnl == money(D("222.85") - D("0.001") * eth_avg)
    assert eth.unknown_cost_qty == 0

    # BTC  D2 deposit 0.1 with no average yet: cost unknown (0.1)
    #      T5 pays 0.05 BTC: taken from the unknown-cost units (no P&L can be computed)
    #      T6 buy 0.01 @ 65000 = 650, fee 0.00001 BTC -> 0.00999 units costing 650
    #         -> qty 0.05999 of which 0.05 cost unknown; avg 650 / 0.00999
    btc = positions["BTC"]
    assert btc.quantity == btc.computed_qty == D("0.05999")
    assert btc.unknown_cost_qty == D("0.05")
    assert btc.cost_basis == D("650")
    assert btc.avg_price == money(D("650") / D("0.00999"))
    assert btc.realized_pnl == 0

    # USDT is cash: 1994.25 free + 100 locked, worth 1 each.
    usdt = positions["USDT"]
    assert usdt.quantity == usdt.computed_qty == D("2094.25")


def test_second_sync_adds_nothing_and_resumes_from_the_cursors(
    db, redis, sim, make_user, add_account, run_worker, rows_of
):
    user = make_user()
    account = add_account(user)
    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()
    first = rows_of(account.id)
    counts = {k: len(v) for k, v in first.items()}
    klines = sim.request_count("/api/v3/klines")
    assert klines > 0  # BNB at T2 and T5, BTC at T5: fetched once...
    sim.reset_counts()

    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()

    assert rows_of(account.id) == first
    assert {k: len(v) for k, v in rows_of(account.id).items()} == counts
    assert account_row(db, account.id).status == "connected"
    # ...and never again: the candle closes are cached in PriceCandle.
    assert sim.request_count("/api/v3/klines") == 0
    assert db.exec(select(PriceCandle)).all()
    # The trades walk resumed after the last id of each symbol.
    log = sim.requests_log("/api/v3/myTrades")
    assert any("symbol=ETHUSDT" in r and "fromId=1455000778" in r for r in log), log
    assert not any("fromId=0&" in r or r.endswith("fromId=0") for r in log if "ETHUSDT" in r)


def test_a_double_click_runs_the_work_once(db, redis, sim, make_user, add_account, run_worker):
    from exstrat_app.infra.queue import get_queue

    user = make_user()
    account = add_account(user)
    first = scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    second = scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    assert first == second
    assert get_queue("ingest", connection=redis).count == 1  # one balances job waiting

    run_worker()
    assert sim.request_count("/api/v3/account") == 1  # balances fetched once
    assert account_row(db, account.id).status == "connected"

    # Once the run is over, a new request starts a new run (finished job ids are reused).
    assert scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis) == first
    assert get_queue("ingest", connection=redis).count == 1
    run_worker()
    assert sim.request_count("/api/v3/account") == 2


def test_a_429_storm_ends_in_success(
    db, redis, sim, make_user, add_account, run_worker, rows_of, fast_retries
):
    user = make_user()
    account = add_account(user)
    sim.inject_fault("429", count=3, path_contains="/api/v3/myTrades", retry_after=1)

    started = time.monotonic()
    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()

    row = account_row(db, account.id)
    assert (row.status, row.last_error) == ("connected", None)
    assert rows_of(account.id)["trades"] == EXPECTED_TRADES
    assert sim.faults() == []  # all three 429s were served...
    assert time.monotonic() - started >= 3  # ...and each Retry-After: 1 was honoured


def test_after_the_retry_budget_the_run_ends_in_error_and_keeps_its_pages(
    db, redis, sim, make_user, add_account, run_worker, rows_of, fast_retries
):
    user = make_user()
    account = add_account(user)
    # Symbols are walked in order: BNB/BTC, BNB/USDT, BTC/USDT, then ETH/BTC fails for good.
    sim.inject_fault("503", count=100, path_contains="symbol=ETHBTC")

    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()

    row = account_row(db, account.id)
    assert row.status == "error"
    assert row.last_error.startswith("Binance is not answering properly right now.")
    assert "Traceback" not in row.last_error and "sim-binance" not in row.last_error
    assert row.progress_done == 3 and row.progress_total == 7
    kept = rows_of(account.id)
    assert {t[0] for t in kept["trades"]} == {"BNB/USDT", "BTC/USDT"}  # committed pages stay
    assert kept["transfers"] == EXPECTED_TRANSFERS

    # The exchange recovers: the next run completes and ends exactly like an uninterrupted one.
    sim.clear_faults()
    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()
    assert account_row(db, account.id).status == "connected"
    assert rows_of(account.id) == {
        "trades": EXPECTED_TRADES,
        "transfers": EXPECTED_TRANSFERS,
        "balances": EXPECTED_BALANCES,
    }


def test_a_revoked_key_ends_in_error_and_no_secret_is_stored_in_clear(
    db, redis, sim, make_user, add_account, run_worker, engine
):
    from exstrat_app.infra.crypto import SecretBox

    user = make_user()
    account = add_account(user)
    # The key is later revoked on Binance: from now on its secret no longer signs.
    row = account_row(db, account.id)
    row.api_secret_enc = SecretBox.from_settings().seal(
        "no-longer-valid", row_id=row.id, column="api_secret"
    )
    db.add(row)
    db.commit()

    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()

    row = account_row(db, account.id)
    assert row.status == "error"
    assert row.last_error.startswith("Binance rejected the API key")
    assert "no-longer-valid" not in row.last_error
    # The raw row, as any SQL client would read it: no key, no secret in clear.
    with engine.connect() as conn:
        raw = conn.execute(
            text("SELECT * FROM exchange_accounts WHERE id = :id"), {"id": account.id}
        ).one()
    dump = repr(tuple(raw)).encode() + b"".join(
        bytes(v) for v in raw if isinstance(v, bytes | memoryview)
    )
    for secret in (b"sim-binance-readonly", b"sim-binance-secret", b"no-longer-valid"):
        assert secret not in dump


def test_progress_is_published_for_open_pages(db, redis, sim, make_user, add_account, run_worker):
    user = make_user()
    account = add_account(user)
    pubsub = redis.pubsub()
    pubsub.subscribe(PROGRESS_CHANNEL)
    pubsub.get_message(timeout=1)  # the subscription confirmation

    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()

    messages = []
    while (message := pubsub.get_message(timeout=0.2)) is not None:
        if message["type"] == "message":
            messages.append(json.loads(message["data"]))
    pubsub.close()
    assert messages[0] == {
        "accountId": account.id,
        "userId": user.id,
        "done": 0,
        "total": 0,
        "etaSeconds": None,
        "status": "syncing",
    }
    # One message per symbol done while syncing, e.g. 3 of 7, with the time left (issue 17).
    assert any(m["done"] == 3 and m["total"] == 7 and m["status"] == "syncing" for m in messages)
    assert any(isinstance(m["etaSeconds"], int) and m["status"] == "syncing" for m in messages)
    assert messages[-1] == {
        "accountId": account.id,
        "userId": user.id,
        "done": 7,
        "total": 7,
        "etaSeconds": None,
        "status": "connected",
    }


def test_assets_seen_only_in_transfers_are_crossed_with_every_quote():
    from exstrat_app.services.exchanges.sync_binance import candidate_symbols

    markets = {
        "SOL/USDT": {"base": "SOL", "quote": "USDT", "spot": True},
        "SOL/BTC": {"base": "SOL", "quote": "BTC", "spot": True},
        "ETH/SOL": {"base": "ETH", "quote": "SOL", "spot": True},
        "LTC/USDT": {"base": "LTC", "quote": "USDT", "spot": True},
        "LTC/BTC": {"base": "LTC", "quote": "BTC", "spot": True},
    }
    # SOL was deposited and sold: it is in no balance, only in the deposits.
    assert candidate_symbols(markets, {"SOL"}) == ["ETH/SOL", "SOL/BTC", "SOL/USDT"]
    # Holding USDT means any USDT market may hold trades.
    assert candidate_symbols(markets, {"USDT"}) == ["LTC/USDT", "SOL/USDT"]


def test_trade_pages_and_cursors_are_saved_per_page(
    db, redis, make_sim, make_user, add_account, fast_retries
):
    """2,500 trades on one symbol: three pages of fromId, each committed with its cursor."""
    from simexchange import large_dataset

    make_sim(large_dataset(n_trades=2500, n_symbols=1, seed=3))
    user = make_user()
    account = add_account(user)
    assert runner.sync_account(account.id, env=sync_env(redis))

    db.expire_all()
    trades = db.exec(select(Trade).where(Trade.exchange_account_id == account.id)).all()
    assert len(trades) == 2500
    cursor = db.exec(
        select(SyncCursor).where(
            SyncCursor.exchange_account_id == account.id, SyncCursor.key == "ASSET0/USDT"
        )
    ).one()
    assert int(cursor.last_id) == max(int(t.exchange_trade_id) for t in trades)


@pytest.mark.parametrize(
    ("key", "secret", "box"),
    [
        ("sim-binance-trading", "sim-binance-trading-secret", "'Enable Spot & Margin Trading'"),
        ("sim-binance-withdraw", "sim-binance-withdraw-secret", "'Enable Withdrawals'"),
    ],
)
def test_binance_keys_that_can_move_money_are_refused(
    db, sim, make_user, add_account, key, secret, box
):
    from exstrat_app.services.errors import ExchangeRejected

    user = make_user()
    with pytest.raises(ExchangeRejected) as refused:
        add_account(user, "binance", api_key=key, api_secret=secret)
    assert box in refused.value.message
    assert "Edit it on Binance" in refused.value.message
    assert refused.value.status == 422
    assert db.exec(select(ExchangeAccount)).all() == []


def test_a_wrong_secret_is_refused_with_a_clear_message(db, sim, make_user, add_account):
    from exstrat_app.services.errors import ExchangeRejected

    user = make_user()
    with pytest.raises(ExchangeRejected) as refused:
        add_account(user, "binance", api_secret="wrong-secret")
    assert refused.value.message.startswith("Binance rejected the API key")
    assert "wrong-secret" not in refused.value.message
    assert db.exec(select(ExchangeAccount)).all() == []


def test_the_same_key_twice_is_refused(db, sim, make_user, add_account):
    from exstrat_app.services.errors import Conflict

    user = make_user()
    add_account(user, "binance", nickname="main")
    with pytest.raises(Conflict) as refused:
        add_account(user, "binance")
    assert refused.value.message == "This Binance key is already connected as 'main'."
    assert refused.value.status == 409
    # Another user may connect the same key (e.g. a shared demo key).
    add_account(make_user("bob@example.com"), "binance")
