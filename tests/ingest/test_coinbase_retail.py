"""Coinbase App (v2) retail transactions at the wire: real ccxt (ES256 JWTs) against the
simulated exchange serving ``coinbase_retail_dataset()`` (``simexchange/datasets/
retail_coinbase.py`` lists every event R0..R15 and the balances they leave).

What the sync must make of them (`xa.coinbase_ledger_entry`, `sync_coinbase._pair_converts`):
buys/sells -> Trades of kind `simple` (cost = what was paid, fee included / what was
received, fee deducted), converts -> one Trade of kind `convert` from the two wallets' legs,
rewards -> `income` transfers with the v2 type as source, an unknown type -> `unclassified`
with its signed amount; failed/pending buys and converts make no row, failed rewards are
kept as `failed` (only `ok` moves holdings). Nothing of small_dataset's is counted twice:
its fills (also listed in the ledger as `advanced_trade_fill`) stay the 4 fills.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from exstrat_app.models import ExchangeAccount, Position, SyncCursor, Trade, Transfer
from exstrat_app.services.exchanges import runner, scheduling
from simexchange import SMALL_T
from simexchange.datasets.ids import sim_uuid
from simexchange.datasets.retail_coinbase import (
    RETAIL_COINBASE_BALANCES,
    RETAIL_T,
    coinbase_retail_dataset,
    retail_id,
)
from tests.ingest.conftest import sync_env

D = Decimal


def at(key: str) -> datetime:
    return datetime.fromtimestamp({**SMALL_T, **RETAIL_T}[key] / 1000, tz=UTC)


def convert_id(key: str) -> str:
    return "convert:" + sim_uuid("cb-trade", key)


# (symbol, exchange_trade_id, side, price, amount, cost, fee_asset, fee_cost, ts)
RETAIL_TRADES = {
    # R1 buy 0.01 BTC for 612.00 USD (600.00 + 12.00 fee): cost = what was paid, the fee
    #    inside it (no separate fee, it would count twice); price 612 / 0.01 = 61200.
    ("BTC/USD", f"cb:{retail_id('R1')}", "buy", D(61200), D("0.01"), D(612), None, None,
     at("R1")),
    # R3 sell 0.1 ETH: 310.00 - 4.65 fee = 305.35 USD received; price 3053.5.
    ("ETH/USD", f"cb:{retail_id('R3')}", "sell", D("3053.5"), D("0.1"), D("305.35"), None,
     None, at("R3")),
    # R4 convert 0.2 ETH -> 0.01 BTC: neither leg stable, so base = received (BTC), quote =
    #    given (ETH), side buy: 0.01 BTC for 0.2 ETH, price 20.
    ("BTC/ETH", convert_id("R4"), "buy", D(20), D("0.01"), D("0.2"), None, None, at("R4")),
    # R5 convert 150 USDC -> 1 SOL: the stable leg is the quote: buy 1 SOL for 150 USDC.
    ("SOL/USDC", convert_id("R5"), "buy", D(150), D(1), D(150), None, None, at("R5")),
    # R6 convert 0.5 SOL -> 80 USDC: the stable leg is the quote: sell 0.5 SOL for 80, @160.
    ("SOL/USDC", convert_id("R6"), "sell", D(160), D("0.5"), D(80), None, None, at("R6")),
    # R2 (failed buy) and R7 (pending convert) make no trade.
}  # fmt: skip
SMALL_FILLS = {  # small_dataset's Advanced Trade fills, unchanged (not counted twice)
    ("BTC/USD", "buy", D(42000), D("0.02"), D(840), "USD", D("5.04"), at("C1")),
    ("ETH/USD", "buy", D(2900), D("1.5"), D(4350), "USD", D("26.10"), at("C2")),
    ("ETH/USD", "sell", D(3700), D("0.5"), D(1850), "USD", D("11.10"), at("C3")),
    ("BTC/USD", "buy", D(70000), D("0.01"), D(700), "USD", D("4.20"), at("C4")),
}
# (type, exchange_transfer_id, asset, amount, fee_cost, status, ts) -> source
RETAIL_TRANSFERS = {
    ("deposit", retail_id("R0"), "USDC", D(200), None, "ok", at("R0")): None,
    ("withdrawal", retail_id("R15"), "USD", D(100), None, "ok", at("R15")): "fiat",
    ("income", retail_id("R8"), "ETH", D("0.002"), None, "ok", at("R8")): "staking_reward",
    ("income", retail_id("R9"), "SOL", D("0.01"), None, "ok", at("R9")): "inflation_reward",
    ("income", retail_id("R10"), "USDC", D("1.25"), None, "ok", at("R10")): "interest",
    ("income", retail_id("R11"), "USDC", D("0.5"), None, "ok", at("R11")): "earn_payout",
    ("income", retail_id("R12"), "USDC", D(5), None, "ok", at("R12")):
        "incentives_rewards_payout",
    # R13: a type the sync does not know, kept with its SIGNED amount (coins left).
    ("unclassified", retail_id("R13"), "ETH", D("-0.001"), None, "ok", at("R13")): "clawback",
    # R14: a failed reward is kept as failed (only `ok` rows move holdings).
    ("income", retail_id("R14"), "ETH", D("0.003"), None, "failed", at("R14")):
        "staking_reward",
}  # fmt: skip
SMALL_TRANSFERS = {  # small_dataset's (the fiat deposit now has source "fiat")
    ("deposit", "USD", D(10000), None, "ok", at("C0")): "fiat",
    ("withdrawal", "ETH", D("0.2"), D("0.0005"), "ok", at("C5")): None,
    ("deposit", "BTC", D("0.05"), None, "ok", at("C6")): None,
}


def _rows(db, account_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    trades = db.exec(select(Trade).where(Trade.exchange_account_id == account_id)).all()
    transfers = db.exec(select(Transfer).where(Transfer.exchange_account_id == account_id)).all()
    return trades, transfers


def _trade_key(t):  # type: ignore[no-untyped-def]
    return (t.symbol, t.exchange_trade_id, t.side, t.price, t.amount, t.cost, t.fee_asset,
            t.fee_cost, t.ts)  # fmt: skip


def _transfer_key(t):  # type: ignore[no-untyped-def]
    return (t.type, t.exchange_transfer_id, t.asset, t.amount, t.fee_cost, t.status, t.ts)


def check_rows(db, account_id):  # type: ignore[no-untyped-def]
    trades, transfers = _rows(db, account_id)
    simple = {_trade_key(t) for t in trades if t.kind in ("simple", "convert")}
    assert simple == RETAIL_TRADES
    assert {t.exchange_trade_id: t.kind for t in trades if t.kind != "trade"} == {
        key[1]: ("convert" if key[1].startswith("convert:") else "simple") for key in RETAIL_TRADES
    }
    fills = {(*_trade_key(t)[:1], *_trade_key(t)[2:]) for t in trades if t.kind == "trade"}
    assert fills == SMALL_FILLS
    retail_ids = {key[1] for key in RETAIL_TRANSFERS}
    got_retail = {
        _transfer_key(t): t.source for t in transfers if t.exchange_transfer_id in retail_ids
    }
    assert got_retail == RETAIL_TRANSFERS
    got_small = {
        (*_transfer_key(t)[:1], *_transfer_key(t)[2:]): t.source
        for t in transfers
        if t.exchange_transfer_id not in retail_ids
    }
    assert got_small == SMALL_TRANSFERS


@pytest.fixture
def retail_sim(make_sim):  # type: ignore[no-untyped-def]
    return make_sim(coinbase_retail_dataset())


def test_retail_coinbase_sync_classifies_every_v2_type(
    db, redis, retail_sim, make_user, add_account, run_worker, rows_of
):
    user = make_user()
    account = add_account(user, "coinbase")
    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()

    db.expire_all()
    row = db.get(ExchangeAccount, account.id)
    assert (row.status, row.last_error) == ("connected", None)
    check_rows(db, account.id)
    assert rows_of(account.id)["balances"] == {
        (asset, free, hold) for asset, (free, hold) in RETAIL_COINBASE_BALANCES.items()
    }
    # Every convert found its other leg: no leg is left waiting, no walk left half-way.
    left = db.exec(
        select(SyncCursor.kind).where(
            SyncCursor.exchange_account_id == account.id,
            SyncCursor.kind.in_(("cb-convert-leg", "ledger-walk")),  # type: ignore[attr-defined]
        )
    ).all()
    assert left == []

    # Nothing unexplained: every wallet's replayed quantity is its balance, e.g.
    #   ETH 1.5 - 0.5 - 0.2 - 0.0005 (small) - 0.1 (R3) - 0.2 (R4) + 0.002 (R8) - 0.001 (R13)
    #       = 0.5005 (R2 failed, R7 pending, R14 failed count for nothing)
    #   SOL 1 (R5) - 0.5 (R6) + 0.01 (R9) = 0.51;  BTC 0.03 + 0.05 + 0.01 (R1) + 0.01 (R4) = 0.10
    #   USD 10000 - 845.04 - 4376.10 + 1838.90 - 704.20 - 612 + 305.35 - 100 = 5506.91
    positions = {
        p.asset: p for p in db.exec(select(Position).where(Position.user_id == user.id)).all()
    }
    assert {a: (p.quantity, p.computed_qty) for a, p in positions.items()} == {
        asset: (free + hold, free + hold)
        for asset, (free, hold) in RETAIL_COINBASE_BALANCES.items()
    }

    # A second sync adds nothing (the ledger overlap re-reads the converts' legs: the
    # stored trade makes them no-ops).
    first = rows_of(account.id)
    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()
    assert rows_of(account.id) == first
    check_rows(db, account.id)


def test_a_ledger_walk_killed_mid_way_resumes_to_identical_rows(
    db, redis, retail_sim, make_user, add_account, fast_retries, monkeypatch
):
    from exstrat_app.infra.exchanges import coinbase as cb

    # Pages of 2 transactions: every wallet takes several pages, converts' legs land on
    # different pages of different wallets.
    monkeypatch.setattr(cb, "COINBASE_LEDGER_LIMIT", 2)
    broken = add_account(make_user(), "coinbase")
    clean = add_account(make_user("bob@example.com"), "coinbase")

    # The first wallet's second page fails for good (the retry budget is spent): the run
    # stops there, after its first page was committed with the walk's cursor.
    retail_sim.inject_fault("502", count=30, path_contains="starting_after=")
    assert not runner.sync_account(broken.id, env=sync_env(redis, rate_limit=False))
    db.expire_all()
    assert db.get(ExchangeAccount, broken.id).status == "error"
    retail_sim.clear_faults()
    # The BTC wallet is walked first; its first page holds R4's received leg (0.01 BTC),
    # which waits for the ETH leg, committed with that page.
    parked = db.exec(
        select(SyncCursor).where(
            SyncCursor.exchange_account_id == broken.id, SyncCursor.kind == "cb-convert-leg"
        )
    ).all()
    assert [(p.key, p.last_id) for p in parked] == [(sim_uuid("cb-trade", "R4"), "BTC 0.01")]

    walks = db.exec(
        select(SyncCursor).where(
            SyncCursor.exchange_account_id == broken.id, SyncCursor.kind == "ledger-walk"
        )
    ).all()
    assert len(walks) == 1 and walks[0].last_id
    resume_at = walks[0].last_id

    retail_sim.reset_counts()
    assert runner.sync_account(broken.id, env=sync_env(redis, rate_limit=False))
    # It resumed at the saved page instead of walking that wallet from the top again.
    assert f"starting_after={resume_at}" in retail_sim.requests_log("/transactions")[0]
    assert runner.sync_account(clean.id, env=sync_env(redis, rate_limit=False))

    check_rows(db, broken.id)
    check_rows(db, clean.id)
    b_trades, b_transfers = _rows(db, broken.id)
    c_trades, c_transfers = _rows(db, clean.id)
    assert {_trade_key(t) for t in b_trades} == {_trade_key(t) for t in c_trades}
    assert {_transfer_key(t) for t in b_transfers} == {_transfer_key(t) for t in c_transfers}


def test_convert_orientation_and_the_native_amount_fallback():
    from exstrat_app.infra import exchanges as xa
    from exstrat_app.infra.exchanges.coinbase import coinbase_simple_trade_row

    t = at("R4")
    # ETH -> EUR: the fiat leg is the quote: a sale of 0.5 ETH for 1400 EUR.
    row = xa.coinbase_convert_row(
        xa.ConvertLeg("x", "EUR", D(1400), t), xa.ConvertLeg("x", "ETH", D("-0.5"), t)
    )
    assert (row.symbol, row.side, row.amount, row.cost, row.price, row.kind) == (
        "ETH/EUR", "sell", D("0.5"), D(1400), D(2800), "convert",
    )  # fmt: skip
    # USDT -> USDC (both stable): the given one is the quote: buy 99.5 USDC for 100 USDT.
    row = xa.coinbase_convert_row(
        xa.ConvertLeg("y", "USDT", D(-100), t), xa.ConvertLeg("y", "USDC", D("99.5"), t)
    )
    assert (row.symbol, row.side, row.amount, row.cost) == ("USDC/USDT", "buy", D("99.5"), 100)
    # A buy without the expanded resource: native_amount (what was paid, fee included).
    entry = {
        "id": "tx-1",
        "currency": "BTC",
        "amount": "0.002",
        "direction": "in",
        "status": "ok",
        "timestamp": RETAIL_T["R1"],
        "info": {
            "type": "buy",
            "amount": {"amount": "0.002", "currency": "BTC"},
            "native_amount": {"amount": "130.00", "currency": "USD"},
            "buy": {"id": "b-1", "resource": "buy"},
        },
    }
    row = coinbase_simple_trade_row(entry)
    assert row is not None
    assert (row.symbol, row.side, row.cost, row.price, row.trade_id, row.order_id) == (
        "BTC/USD", "buy", D(130), D(65000), "cb:tx-1", "b-1",
    )  # fmt: skip
    # The paying fiat wallet's side of the same buy is not a second trade.
    fiat_side = {**entry, "currency": "USD", "amount": "130.00", "direction": "out"}
    assert coinbase_simple_trade_row(fiat_side) is None


def test_the_demo_coinbase_user_buys_converts_and_earns(
    db, redis, make_sim, make_user, add_account, run_worker, rows_of
):
    from simexchange import demo_dataset

    make_sim(demo_dataset())
    user = make_user()
    account = add_account(user, "coinbase")
    scheduling.request_sync(db, user_id=user.id, account_id=account.id, redis=redis)
    run_worker()
    db.expire_all()
    assert db.get(ExchangeAccount, account.id).status == "connected"
    trades, transfers = _rows(db, account.id)
    kinds = sorted((t.kind, t.symbol, t.side) for t in trades if t.kind != "trade")
    assert kinds == [("convert", "ETH/BTC", "buy"), ("simple", "ETH/USD", "buy")]
    buy = next(t for t in trades if t.kind == "simple")
    assert buy.cost == D("300.00")  # paid, the 4.45 fee included
    income = [(t.asset, t.amount, t.source) for t in transfers if t.type == "income"]
    assert income == [("ETH", D("0.0004"), "staking_reward")] * 3


def test_the_v2_transactions_at_the_wire_as_ccxt_reads_them(retail_sim):
    """The raw shapes (ccxt `fetch_ledger` keeps them in `info`): a buy in the BTC wallet and
    its paying side in the USD wallet share the `buy` resource; a convert's two legs share
    `trade.id`; failed/pending ones are served with their status."""
    from exstrat_app.infra import exchanges as xa
    from simexchange import COINBASE_READONLY_KEY, COINBASE_READONLY_SECRET

    instance = xa.make_exchange(
        "coinbase", xa.Credentials(COINBASE_READONLY_KEY, COINBASE_READONLY_SECRET),
        rate_limit=False,
    )  # fmt: skip
    _balances, wallets = xa.coinbase_balances(instance)
    ids = {w.currency: w.account_id for w in wallets}

    def ledger(cur):  # type: ignore[no-untyped-def]
        entries = instance.fetch_ledger(None, None, 100, {"account_id": ids[cur]})
        return {e["id"]: e for e in entries}

    btc, usd, eth = ledger("BTC"), ledger("USD"), ledger("ETH")
    buy = btc[retail_id("R1")]
    assert (buy["direction"], buy["amount"], buy["status"]) == ("in", "0.01", "ok")
    info = buy["info"]
    assert info["type"] == "buy" and info["native_amount"] == {
        "amount": "612.00",
        "currency": "USD",
    }
    assert {k: info["buy"][k]["amount"] for k in ("total", "subtotal", "fee", "unit_price")} == {
        "total": "612.00", "subtotal": "600.00", "fee": "12.00", "unit_price": "60000.00",
    }  # fmt: skip
    paid = [
        e for e in usd.values() if e["info"]["type"] == "buy" and e["info"]["status"] == "completed"
    ]
    assert [(e["direction"], e["amount"], e["info"]["buy"]["id"]) for e in paid] == [
        ("out", "612", info["buy"]["id"])  # ccxt: abs of "-612.00"
    ]
    sell = eth[retail_id("R3")]["info"]
    # A sell's native_amount is the value before the fee; `sell.total` what was received.
    assert sell["native_amount"]["amount"] == "-310.00"
    assert sell["sell"]["total"]["amount"] == "305.35"
    given = eth[retail_id("R4")]["info"]
    got = next(e["info"] for e in btc.values() if e["info"]["type"] == "trade")
    assert given["trade"]["id"] == got["trade"]["id"] == sim_uuid("cb-trade", "R4")
    assert (given["amount"]["amount"], got["amount"]["amount"]) == ("-0.2", "0.01")
    assert eth[retail_id("R2")]["status"] == "failed"
    assert eth[retail_id("R7")]["info"]["status"] == "pending"
    assert eth[retail_id("R13")]["info"]["type"] == "clawback"
