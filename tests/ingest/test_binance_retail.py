"""Binance's retail sources (issue 13): Convert, card buys, fiat orders, dust, distributions,
Simple Earn rewards and positions, the Funding wallet, synced through real ccxt against the
simulated exchange from `retail_dataset()`; every expected figure is worked by hand from the
dataset's notes (simexchange/datasets/retail.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from exstrat_app.infra import exchanges as xa
from exstrat_app.models import Balance, ExchangeAccount, SyncCursor, Trade, Transfer
from exstrat_app.services.exchanges import runner, scheduling
from simexchange import retail_dataset
from simexchange.datasets import RETAIL_WALLETS
from simexchange.datasets.retail import RT
from tests.ingest.conftest import sync_env

D = Decimal
ROOT = Path(__file__).resolve().parents[2]


def at(key: str) -> datetime:
    return datetime.fromtimestamp(RT[key] / 1000, tz=UTC)


def trades_of(db, account_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.exec(select(Trade).where(Trade.exchange_account_id == account_id)).all()
    return {
        t.exchange_trade_id: (
            t.kind,
            t.symbol,
            t.side,
            t.amount,
            t.cost,
            t.fee_asset,
            t.fee_cost,
            t.ts,
        )
        for t in rows
    }


def transfers_of(db, account_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.exec(select(Transfer).where(Transfer.exchange_account_id == account_id)).all()
    return {
        t.exchange_transfer_id: (t.type, t.source, t.asset, t.amount, t.status, t.ts) for t in rows
    }


def wallets_of(db, account_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.exec(select(Balance).where(Balance.exchange_account_id == account_id)).all()
    out: dict[str, dict[str, Decimal]] = {}
    for b in rows:
        out.setdefault(b.wallet, {})[b.asset] = b.free + b.locked
    return out


def sync(redis, account_id):  # type: ignore[no-untyped-def]
    assert runner.sync_account(account_id, env=sync_env(redis, rate_limit=False))


# What the retail account's sources become (hand-worked from the dataset notes).
EXPECTED_RETAIL_TRADES = {
    # C1: card buy 0.2 ETH for 500 EUR (the 10 EUR fee is inside the 500): price 2500 EUR
    "card:cp-1": ("card", "ETH/EUR", "buy", D("0.2"), D("500"), None, None, at("C1")),
    # V1: 1000 USDT -> 0.4 ETH: USDT (stable) is the quote, a buy at 2500
    "convert:9001": ("convert", "ETH/USDT", "buy", D("0.4"), D("1000"), None, None, at("V1")),
    # V2: 0.1 ETH -> 300 USDT: the other way, a sell at 3000
    "convert:9002": ("convert", "ETH/USDT", "sell", D("0.1"), D("300"), None, None, at("V2")),
    # V5: 600 EUR -> 0.01 BTC: the fiat is the quote
    "convert:9005": ("convert", "BTC/EUR", "buy", D("0.01"), D("600"), None, None, at("V5")),
    # DU: 0.004 SOL -> 0.0009 BNB credited + 0.000018 BNB service charge: a sell of 0.004 SOL
    # for the gross 0.000918 BNB, fee 0.000018 BNB (0.000918 - 0.000018 = 0.0009 arrives)
    "dust:66001:SOL": (
        "dust", "SOL/BNB", "sell", D("0.004"), D("0.000918"), "BNB", D("0.000018"), at("DU"),
    ),
    # T1: the order book fill, fee 0.5 XYZ (a coin with no market)
    "31000001": ("trade", "BTC/USDT", "buy", D("0.005"), D("300"), "XYZ", D("0.5"), at("T1")),
}  # fmt: skip
EXPECTED_RETAIL_TRANSFERS = {
    "dep-r-usdt": ("deposit", None, "USDT", D("2000"), "ok", at("D1")),
    "dep-r-xyz": ("deposit", None, "XYZ", D("10"), "ok", at("D2")),
    "dep-r-sol": ("deposit", None, "SOL", D("0.004"), "ok", at("D3")),
    # F1 (Successful) only: F2 failed
    "fiat:fo-eur-1": ("deposit", "fiat", "EUR", D("1000"), "ok", at("F1")),
    "dividend:7001": ("income", "dividend", "BNB", D("0.01"), "ok", at("DV")),
    f"earn_flexible:REALTIME:USDT:{RT['R1']}:USDT001": (
        "income", "earn_flexible", "USDT", D("0.5"), "ok", at("R1"),
    ),
    f"earn_flexible:BONUS:USDT:{RT['R2']}:USDT001": (
        "income", "earn_flexible", "USDT", D("0.6"), "ok", at("R2"),
    ),
    f"earn_locked:5501:ETH:{RT['R3']}": (
        "income", "earn_locked", "ETH", D("0.001"), "ok", at("R3"),
    ),
}  # fmt: skip


def test_every_retail_source_syncs_to_its_rows_and_wallets(
    db, redis, make_sim, make_user, add_account
):
    sim = make_sim(retail_dataset())
    account = add_account(make_user())
    sync(redis, account.id)

    db.expire_all()
    assert db.get(ExchangeAccount, account.id).status == "connected"
    # Failed/incomplete records are not rows: C2 (Failed card), V3 (FAIL), V4 (PROCESS).
    assert trades_of(db, account.id) == EXPECTED_RETAIL_TRADES
    assert transfers_of(db, account.id) == EXPECTED_RETAIL_TRANSFERS
    # spot from /api/v3/account; funding, earn_flexible (500 + 0.5 + 0.6), earn_locked (0.3)
    assert wallets_of(db, account.id) == RETAIL_WALLETS
    assert sim.request_count("/fapi") == sim.request_count("/dapi") == 0

    # The trades step asked for the markets of assets only the retail sources brought (EUR).
    assert any("symbol=EURUSDT" in r for r in sim.requests_log("/api/v3/myTrades"))


def test_a_resync_adds_nothing_and_a_pending_convert_is_read_again(
    db, redis, make_sim, make_user, add_account
):
    sim = make_sim(retail_dataset())
    account = add_account(make_user())
    sync(redis, account.id)
    first = (trades_of(db, account.id), transfers_of(db, account.id))

    # V4 was PROCESS: the convert cursor waits just before it...
    cursor = db.exec(
        select(SyncCursor).where(
            SyncCursor.exchange_account_id == account.id, SyncCursor.kind == "convert"
        )
    ).one()
    assert xa.dt_to_ms(cursor.last_ts.replace(tzinfo=UTC)) == RT["V4"] - 1
    sync(redis, account.id)
    assert (trades_of(db, account.id), transfers_of(db, account.id)) == first

    # ...and once it has succeeded, the next sync stores it (and nothing else).
    acct = sim.dataset.accounts[(add_account.__defaults__ and "x") or None] if False else None
    del acct
    for a in sim.dataset.accounts.values():
        for c in a.binance_retail.converts:
            if c.order_id == 9004:
                c.status = "SUCCESS"
    sync(redis, account.id)
    trades = trades_of(db, account.id)
    assert set(trades) - set(first[0]) == {"convert:9004"}
    assert trades["convert:9004"][:5] == ("convert", "ETH/USDT", "buy", D("0.06"), D("200"))


def test_windows_and_pages_follow_binance_rules(db, redis, make_sim, make_user, add_account):
    sim = make_sim(retail_dataset())
    account = add_account(make_user())
    sync(redis, account.id)
    log = sim.requests_log("/sapi/v1/convert/tradeFlow")
    # 30-day windows from EXSTRAT_HISTORY_START (2024-01-01) to now, none wider
    spans = []
    for target in log:
        q = dict(p.split("=", 1) for p in target.partition("?")[2].split("&"))
        spans.append(int(q["endTime"]) - int(q["startTime"]))
        assert q["limit"] == "1000"
    assert spans and max(spans) <= xa.CONVERT_WINDOW_MS
    for path, span in (
        ("/sapi/v1/asset/assetDividend", xa.DIVIDEND_WINDOW_MS),
        ("/sapi/v1/simple-earn/flexible/history/rewardsRecord", xa.EARN_WINDOW_MS),
        ("/sapi/v1/simple-earn/locked/history/rewardsRecord", xa.EARN_WINDOW_MS),
    ):
        for target in sim.requests_log(path):
            q = dict(p.split("=", 1) for p in target.partition("?")[2].split("&"))
            assert int(q["endTime"]) - int(q["startTime"]) <= span, path
    # one request per fiat transaction type (a single span, one page each), one dust request
    assert sim.request_count("/sapi/v1/fiat/orders") == 2
    assert sim.request_count("/sapi/v1/fiat/payments") == 2
    assert sim.request_count("/sapi/v1/asset/dribblet") == 1
    assert sim.request_count("/sapi/v1/asset/get-funding-asset") == 1


def test_a_full_convert_window_is_split_and_a_killed_worker_resumes_to_identical_rows(
    db, redis, make_sim, make_user, add_account, run_worker
):
    from rq.registry import StartedJobRegistry

    from exstrat_app.infra.queue import get_queue

    # 1200 more converts in the window from 2024-01-31 (every 30 min from 01:00): it fills a
    # page (1000) and is split; its first half (to 02-14T23:59:59.999: 15 days x 48 - 2 =
    # 718 converts) is one page, committed with the cursor at the half's end; the second
    # half's request hangs and the worker is killed there.
    sim = make_sim(retail_dataset(extra_converts=1200))
    start = xa.dt_to_ms(datetime(2024, 1, 1, tzinfo=UTC)) + xa.CONVERT_WINDOW_MS
    end = start + xa.CONVERT_WINDOW_MS - 1
    second_half = f"startTime={(start + end) // 2 + 1}&"
    sim.inject_fault("timeout", count=1, path_contains=second_half, delay=60)
    user, other = make_user(), make_user("bob@example.com")
    killed, clean = add_account(user), add_account(other)

    scheduling.request_sync(db, user_id=user.id, account_id=killed.id, redis=redis)
    worker = subprocess.Popen(
        [sys.executable, "-m", "exstrat_app", "worker", "--burst", "--queues", "ingest"],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while not sim.requests_log(second_half) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sim.requests_log(second_half), "the worker never reached the hanging request"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    # The first half of the window was committed with its cursor (at the half's end).
    partial = trades_of(db, killed.id)
    assert sum(1 for k in partial if k.startswith("convert:2")) == 718
    StartedJobRegistry(queue=get_queue("ingest", connection=redis)).cleanup(
        timestamp=time.time() + 3600
    )
    sim.clear_faults()
    scheduling.request_sync(db, user_id=user.id, account_id=killed.id, redis=redis)
    run_worker()
    sync(redis, clean.id)

    db.expire_all()
    assert db.get(ExchangeAccount, killed.id).status == "connected"
    resumed = trades_of(db, killed.id)
    assert resumed == trades_of(db, clean.id)
    assert sum(1 for k in resumed if k.startswith("convert:2")) == 1200
    assert transfers_of(db, killed.id) == transfers_of(db, clean.id)


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) < D("1e-12")


def test_the_retail_portfolio_is_what_the_sources_make_it(
    db, redis, make_sim, make_user, add_account
):
    from exstrat_app.models import Position, UnvaluedItem

    make_sim(retail_dataset())
    user = make_user()
    account = add_account(user)
    sync(redis, account.id)
    db.expire_all()
    positions = {
        p.asset: p for p in db.exec(select(Position).where(Position.user_id == user.id)).all()
    }
    # ETH (USDT; 1m closes: ETH 2500 until 03-01 then 3000, EUR/USDT 1.10):
    #   C1 card buy 0.2 for 500 EUR = 550 USDT              -> qty 0.2,   cost 550
    #   V1 convert buy 0.4 for 1000 USDT                     -> qty 0.6,   cost 1550
    #   V2 convert sell 0.1 for 300: avg 1550/0.6 = 2583.33.., realized 300 - 258.33.. = 41.66..
    #                                                        -> qty 0.5,   cost 1291.66..
    #   R3 locked reward 0.001 ETH at 3000 = 3 (income)      -> qty 0.501, cost 1294.66..
    #   live: spot 0.151 + funding 0.05 + earn_locked 0.3 = 0.501 (nothing unexplained)
    eth = positions["ETH"]
    assert eth.quantity == eth.computed_qty == D("0.501")
    assert _close(eth.cost_basis, D("1294.666666666666666667"))
    assert _close(eth.realized_pnl, D("41.666666666666666667"))
    assert eth.income == D("3")
    # BTC: V5 convert 600 EUR = 660 USDT for 0.01; T1 buy 0.005 for 300, its 0.5 XYZ fee has
    # no market: valued 0 and listed as unvalued                -> qty 0.015, cost 960, avg 64000
    btc = positions["BTC"]
    assert btc.quantity == btc.computed_qty == D("0.015")
    assert btc.cost_basis == D("960") and btc.avg_price == D("64000")
    # BNB: DV distribution 0.01 at 500 = 5 (income); DU dust brings 0.000918 - 0.000018 =
    # 0.0009 BNB worth 0.45                                       -> qty 0.0109, cost 5.45
    bnb = positions["BNB"]
    assert bnb.quantity == bnb.computed_qty == D("0.0109")
    assert _close(bnb.cost_basis, D("5.45")) and bnb.income == D("5")
    # USDT: 2000 - 1000 + 300 - 300 + 0.5 + 0.6 (Earn income) = 1001.1 computed;
    #   live spot 400 + funding 100 + earn_flexible 501.1 = 1001.1
    assert positions["USDT"].quantity == positions["USDT"].computed_qty == D("1001.1")
    unvalued = db.exec(select(UnvaluedItem).where(UnvaluedItem.user_id == user.id)).all()
    assert {(u.asset, u.item_asset, u.amount, u.role) for u in unvalued} >= {
        ("BTC", "XYZ", D("0.5"), "fee")
    }


def test_fiat_held_is_cash_explained_and_without_made_up_pnl(
    db, redis, make_sim, make_user, add_account
):
    from exstrat_app.models import Position

    make_sim(retail_dataset())
    user = make_user()
    sync(redis, add_account(user).id)
    db.expire_all()
    eur = db.exec(
        select(Position).where(Position.user_id == user.id, Position.asset == "EUR")
    ).one()
    # 400 EUR in spot: shown (valued at EUR/USDT), nothing unexplained, no cost basis.
    assert eur.quantity == eur.computed_qty == D("400")
    assert eur.cost_basis == 0 and eur.avg_price is None and eur.unknown_cost_qty == D("400")


def test_the_weights_table_costs_binance_requests(redis) -> None:
    from exstrat_app.infra.exchanges.throttle import apply_binance_weights, share_throttle

    def instance(url: str | None = None):  # type: ignore[no-untyped-def]
        import ccxt

        ex = ccxt.binance({"apiKey": "k", "secret": "s", "enableRateLimit": True})
        if url:
            api = ex.urls["api"]
            for key, value in api.items():
                if isinstance(value, str):
                    api[key] = value.replace("https://api.binance.com", url)
        return ex

    # against Binance with no shared budget: the UID weight folded in as ccxt does
    # (3000 UID of 180000 a minute = 20 of ccxt's 1200 a minute: one request a second)
    live = instance()
    apply_binance_weights(live)
    assert live.calculate_rate_limiter_cost("sapi", "GET", "convert/tradeFlow", {}) == 20
    assert live.calculate_rate_limiter_cost("sapi", "GET", "fiat/orders", {}) == 600
    # Earn: Weight(IP) 150 of 12000 a minute = 15; myTrades 20 of 6000 = 4
    assert live.calculate_rate_limiter_cost("sapi", "GET", "simple-earn/locked/position", {}) == 15
    assert live.calculate_rate_limiter_cost("private", "GET", "myTrades", {}) == 4
    # withdraw history: UID 18000 and at most 10 a second (cost 2 = 100 ms)
    # with the shared budget: IP schedule for the IP part, the account's bucket for the UID part
    shared = instance()
    share_throttle(shared, "binance", redis)
    cost = shared.calculate_rate_limiter_cost("sapi", "GET", "convert/tradeFlow", {})
    assert (float(cost), cost.uid) == (0.1, 3000)
    assert shared.throttle.uid_key.startswith("exstrat:throttle:binance:uid:")
    w = shared.calculate_rate_limiter_cost("sapi", "GET", "capital/withdraw/history", {})
    assert (float(w), w.uid) == (2, 18000)
    # the account's bucket: a minute's 180000 at once, then 3000 a second. Read as the waits
    # the bucket hands out (Redis' clock), not timed: sleeps elsewhere refill the bucket.
    redis.delete(shared.throttle.uid_key)
    fiat = shared.calculate_rate_limiter_cost("sapi", "GET", "fiat/orders", {})
    assert [shared.throttle.take_uid(fiat.uid) for _ in range(2)] == [0, 0]
    wait_us = shared.throttle.take_uid(cost.uid)  # 3000 more: one second of refill
    assert 500_000 < wait_us <= 1_000_000
    # against a local simulator: no UID budget on the client (the sim meters it)
    local = instance("http://127.0.0.1:1")
    share_throttle(local, "binance", redis)
    assert local.throttle.uid_key is None


@pytest.mark.parametrize("dataset", ["retail", "demo"])
def test_figures_requests_and_weight_of_a_first_sync_since_2017(
    db, redis, make_sim, make_user, add_account, monkeypatch, dataset
):
    """FIGURE lines for the report (`pytest -s`): requests and weight per endpoint of a first
    sync walking from 2017-07-01, as the simulator meters them."""
    import json

    from exstrat_app.settings import get_settings
    from simexchange import demo_dataset

    sim = make_sim(retail_dataset() if dataset == "retail" else demo_dataset(7))
    monkeypatch.setenv("EXSTRAT_HISTORY_START", "2017-07-01")
    get_settings.cache_clear()
    account = add_account(make_user())
    sim.binance.weights.reset()
    sync(redis, account.id)
    tally = dict(sorted(sim.binance.weights.tally.items()))
    total = [sum(v[i] for v in tally.values()) for i in range(3)]
    print(f"FIGURE weights-{dataset} {json.dumps({'total': total, **tally})}")
    assert tally["/sapi/v1/convert/tradeFlow"][0] >= 113  # 2017-07-01..now in 30-day windows
