"""The simulated Binance, driven by a real ccxt.binance instance (real signing and parsing)."""

from __future__ import annotations

import hashlib
import hmac
import time
from decimal import Decimal as D

import ccxt
import pytest
import requests

from simexchange import (
    BINANCE_READONLY_KEY,
    BINANCE_READONLY_SECRET,
    BINANCE_TRADING_KEY,
    BINANCE_TRADING_SECRET,
    BINANCE_WITHDRAW_KEY,
    BINANCE_WITHDRAW_SECRET,
    SMALL_BINANCE_BALANCES,
    SMALL_BINANCE_IMPLIED,
    SMALL_BINANCE_UNEXPLAINED,
    SMALL_T,
    SimExchange,
    SimTrade,
    compute_balances,
    demo_dataset,
    large_dataset,
    small_dataset,
)
from simexchange.datasets import market_dataset

DAY = 86_400_000


def signed_get(
    base: str,
    path: str,
    query: str,
    key: str = BINANCE_READONLY_KEY,
    secret: str = BINANCE_READONLY_SECRET,
) -> requests.Response:
    q = (
        f"{query}&timestamp={int(time.time() * 1000)}"
        if query
        else f"timestamp={int(time.time() * 1000)}"
    )
    sig = hmac.new(secret.encode(), q.encode(), hashlib.sha256).hexdigest()
    return requests.get(
        f"{base}{path}?{q}&signature={sig}", headers={"X-MBX-APIKEY": key}, timeout=5
    )


# ---- dataset ---------------------------------------------------------------------------------


def test_small_dataset_figures_are_consistent() -> None:
    ds = small_dataset()
    acct = ds.accounts[BINANCE_READONLY_KEY]
    implied = compute_balances(acct.trades, acct.deposits, acct.withdrawals)
    assert implied == SMALL_BINANCE_IMPLIED
    for asset, (free, locked) in SMALL_BINANCE_BALANCES.items():
        diff = free + locked - implied.get(asset, D(0))
        assert diff == SMALL_BINANCE_UNEXPLAINED.get(asset, D(0)), asset
    # historical prices at the trades' times (fee in BNB, ETH/BTC leg in USDT)
    assert ds.price_at("BNB/USDT", SMALL_T["T2"]) == D("300.00")
    assert ds.price_at("BTC/USDT", SMALL_T["T5"]) == D("60000.00")
    assert ds.price_at("BNB/USDT", SMALL_T["T5"]) == D("400.00")


def test_large_dataset_is_fast_deterministic_and_consistent() -> None:
    t0 = time.perf_counter()
    ds = large_dataset(100_000, 50, seed=3)
    # Printed, not asserted: a shared CI machine can take several times longer (make bench).
    print(f"\n[sim] large_dataset(100_000, 50): {time.perf_counter() - t0:.2f} s")
    acct = ds.accounts[BINANCE_READONLY_KEY]
    assert len(acct.trades) == 100_000
    assert len({t.symbol for t in acct.trades}) == 50
    implied = compute_balances(acct.trades, acct.deposits, acct.withdrawals)
    assert all(acct.balances[a][0] == v for a, v in implied.items())
    assert all(v >= 0 for v in implied.values())
    again = large_dataset(1000, 5, seed=3).accounts[BINANCE_READONLY_KEY].trades
    assert [(t.symbol, t.id, t.qty) for t in again] == [
        (t.symbol, t.id, t.qty)
        for t in large_dataset(1000, 5, seed=3).accounts[BINANCE_READONLY_KEY].trades
    ]


# ---- markets, balances, trades ----------------------------------------------------------------


def test_load_markets_is_spot_only(sim: SimExchange, binance) -> None:
    ex = binance()
    ex.load_markets()
    assert sim.request_count("/api/v3/exchangeInfo") == 1
    for other in ("/fapi", "/dapi", "/eapi", "/papi", "/sapi/v1/margin"):
        assert sim.request_count(other) == 0, other
    assert sim.request_count() == 1
    eth = ex.market("ETH/USDT")
    assert eth["spot"] and eth["active"]
    assert D(eth["precision"]["amount"]) == D("0.0001")
    assert D(eth["precision"]["price"]) == D("0.01")
    assert ex.amount_to_precision("ETH/USDT", "0.123456") == "0.1234"
    assert "ETH/BTC" in ex.markets


def test_fetch_currencies_uses_capital_config(sim: SimExchange, binance) -> None:
    ex = binance(options={"fetchCurrencies": True})
    ex.load_markets()
    assert sim.request_count("/sapi/v1/capital/config/getall") == 1
    assert "BNB" in ex.currencies


def test_fetch_balance(binance) -> None:
    bal = binance().fetch_balance()
    for asset, (free, locked) in SMALL_BINANCE_BALANCES.items():
        assert D(bal[asset]["free"]) == free
        assert D(bal[asset]["used"]) == locked
        assert D(bal[asset]["total"]) == free + locked


def test_fetch_my_trades_figures(binance) -> None:
    ex = binance()
    eth = ex.fetch_my_trades("ETH/USDT", None, 1000, {"fromId": 0})
    assert [(t["side"], D(t["amount"]), D(t["price"]), D(t["cost"])) for t in eth] == [
        ("buy", D("2"), D("2000"), D("4000")),
        ("buy", D("2.002"), D("2100"), D("4204.2")),
        ("sell", D("0.5"), D("2500"), D("1250")),
    ]
    assert [(t["fee"]["currency"], D(t["fee"]["cost"])) for t in eth] == [
        ("BNB", D("0.01")),
        ("ETH", D("0.002")),
        ("USDT", D("1.25")),
    ]
    assert eth[0]["timestamp"] == SMALL_T["T2"]
    (ethbtc,) = ex.fetch_my_trades("ETH/BTC", None, 1000, {"fromId": 0})
    assert (ethbtc["side"], D(ethbtc["cost"]), ethbtc["fee"]["currency"]) == (
        "buy",
        D("0.05"),
        "BNB",
    )
    assert ex.fetch_my_trades("LTC/USDT", None, 1000, {"fromId": 0}) == []
    with pytest.raises(ccxt.ArgumentsRequired):
        ex.fetch_my_trades()


def test_my_trades_from_id_pagination(make_binance_client) -> None:
    ds = large_dataset(2500, 1, seed=11)
    with SimExchange(ds) as sim:
        ex = make_binance_client(sim.url)
        ex.load_markets()
        sym = "ASSET0/USDT"
        got, from_id, pages = [], 0, 0
        while True:
            page = ex.fetch_my_trades(sym, None, 1000, {"fromId": from_id})
            pages += 1
            got += page
            if len(page) < 1000:
                break
            from_id = int(page[-1]["id"]) + 1
        assert pages == 3 and sim.request_count("/api/v3/myTrades") == 3
        ids = [int(t["id"]) for t in got]
        assert ids == sorted(set(ids)) and len(ids) == 2500
        assert ids == [t.id for t in ds.accounts[BINANCE_READONLY_KEY].trades]
        # no fromId: the most recent 500, oldest first
        recent = ex.fetch_my_trades(sym)
        assert [int(t["id"]) for t in recent] == ids[-500:]
        with pytest.raises(ccxt.BadRequest):
            ex.fetch_my_trades(sym, None, 1001, {"fromId": 0})
        with pytest.raises(ccxt.BadRequest):  # fromId cannot be combined with a time range
            ex.fetch_my_trades(sym, got[0]["timestamp"], 10, {"fromId": 0})


def test_add_trade_shows_up_on_the_next_page(sim: SimExchange, binance) -> None:
    ex = binance()
    before = ex.fetch_my_trades("ETH/USDT", None, 1000, {"fromId": 0})
    last = int(before[-1]["id"])
    sim.add_trade(
        BINANCE_READONLY_KEY,
        SimTrade("ETH/USDT", "sell", D("0.1"), D("3000"), D("0.3"), "USDT", SMALL_T["NOW"]),
    )
    new = ex.fetch_my_trades("ETH/USDT", None, 1000, {"fromId": last + 1})
    assert [(int(t["id"]), t["side"]) for t in new] == [(last + 1, "sell")]
    assert D(ex.fetch_balance()["ETH"]["total"]) == D("3.899")


# ---- deposits / withdrawals -------------------------------------------------------------------


def test_deposits_and_withdrawals_in_90_day_windows(binance) -> None:
    ex = binance()
    start = SMALL_T["START"]
    deps = ex.fetch_deposits(None, start)  # ccxt asks for [since, since + 90 days]
    assert [
        (d["currency"], D(d["amount"]), d["status"])
        for d in sorted(deps, key=lambda d: d["timestamp"])
    ] == [("USDT", D("10000"), "ok"), ("BTC", D("0.1"), "ok")]
    assert ex.fetch_withdrawals(None, start) == []
    (wd,) = ex.fetch_withdrawals(None, start + 90 * DAY)
    assert (wd["currency"], D(wd["amount"]), D(wd["fee"]["cost"])) == ("ETH", D("0.5"), D("0.001"))
    assert wd["timestamp"] == SMALL_T["W1"]
    # walking every window from 2024-01-01 to now finds everything exactly once
    seen, t, now = [], start, int(time.time() * 1000)
    while t < now:
        seen += [d["id"] for d in ex.fetch_deposits(None, t)]
        seen += [w["id"] for w in ex.fetch_withdrawals(None, t)]
        t += 90 * DAY + 1
    assert sorted(seen) == ["dep-btc-1", "dep-usdt-1", "wd-eth-1"]
    # default window is the last 90 days (nothing recent in this dataset)
    assert ex.sapi_get_capital_deposit_hisrec() == []


def test_window_longer_than_90_days_is_refused(binance) -> None:
    ex = binance()
    start = SMALL_T["START"]
    with pytest.raises(ccxt.BadRequest):
        ex.sapi_get_capital_deposit_hisrec({"startTime": start, "endTime": start + 91 * DAY})
    with pytest.raises(ccxt.BadRequest):
        ex.sapi_get_capital_withdraw_history({"startTime": start, "endTime": start + 91 * DAY})
    ok = ex.sapi_get_capital_deposit_hisrec({"startTime": start, "endTime": start + 90 * DAY})
    assert len(ok) == 2


# ---- keys and auth ---------------------------------------------------------------------------


def test_api_restrictions_per_key(binance) -> None:
    ro = binance().sapi_get_account_apirestrictions()
    assert ro["enableReading"] is True
    assert ro["enableSpotAndMarginTrading"] is False and ro["enableWithdrawals"] is False
    tr = binance(key=BINANCE_TRADING_KEY, secret=BINANCE_TRADING_SECRET)
    assert tr.sapi_get_account_apirestrictions()["enableSpotAndMarginTrading"] is True
    wd = binance(key=BINANCE_WITHDRAW_KEY, secret=BINANCE_WITHDRAW_SECRET)
    assert wd.sapi_get_account_apirestrictions()["enableWithdrawals"] is True


def test_bad_key_bad_signature_and_clock_skew(sim: SimExchange, binance) -> None:
    with pytest.raises(ccxt.AuthenticationError):
        binance(key="nope").fetch_balance()
    with pytest.raises(ccxt.AuthenticationError):
        binance(secret="wrong-secret").fetch_balance()
    skewed = binance()
    skewed.load_markets()
    skewed.options["timeDifference"] = 120_000  # our timestamp is 2 minutes late
    with pytest.raises(ccxt.InvalidNonce):
        skewed.fetch_balance()
    r = signed_get(sim.url, "/api/v3/account", "", key="nope")
    assert r.status_code == 401 and r.json()["code"] == -2015
    r = signed_get(sim.url, "/api/v3/account", "", secret="bad")
    assert r.json() == {"code": -1022, "msg": "Signature for this request is not valid."}
    r = requests.get(
        f"{sim.url}/api/v3/account?timestamp=1",
        timeout=5,
        headers={"X-MBX-APIKEY": BINANCE_READONLY_KEY},
    )
    assert r.json()["code"] == -1102


# ---- faults and rate limit -----------------------------------------------------------------


def test_injected_faults_map_to_ccxt_errors(sim: SimExchange, binance) -> None:
    ex = binance()
    ex.load_markets()
    sim.inject_fault("429", count=1, path_contains="/api/v3/account", retry_after=3)
    with pytest.raises((ccxt.DDoSProtection, ccxt.RateLimitExceeded)):
        ex.fetch_balance()
    sim.inject_fault("418", path_contains="/api/v3/account")
    with pytest.raises(ccxt.DDoSProtection):
        ex.fetch_balance()
    for kind in ("500", "502", "503"):
        sim.inject_fault(kind, path_contains="/api/v3/account")
        with pytest.raises(ccxt.ExchangeNotAvailable):
            ex.fetch_balance()
    assert ex.fetch_balance()["ETH"]["total"]  # faults are used up
    sim.inject_fault("429", count=2, path_contains="myTrades", retry_after=7)
    r = signed_get(sim.url, "/api/v3/myTrades", "symbol=ETHUSDT")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert r.json()["code"] == -1003
    assert signed_get(sim.url, "/api/v3/myTrades", "symbol=ETHUSDT").status_code == 429
    assert signed_get(sim.url, "/api/v3/myTrades", "symbol=ETHUSDT").status_code == 200


def test_timeout_and_reset_faults(sim: SimExchange, binance) -> None:
    ex = binance(timeout=300)
    ex.load_markets()
    # The sim holds the request far longer than the client's 300 ms: RequestTimeout (not the
    # 504 the sim ends with) shows the client gave up first, however slow the machine is.
    sim.inject_fault("timeout", path_contains="/api/v3/account", delay=10.0)
    t0 = time.perf_counter()
    with pytest.raises(ccxt.RequestTimeout):
        ex.fetch_balance()
    assert time.perf_counter() - t0 < 10.0
    sim.inject_fault("reset", path_contains="/api/v3/account")
    with pytest.raises(ccxt.NetworkError):
        ex.fetch_balance()
    sim.clear_faults()
    assert ex.fetch_balance()["USDT"]["total"]


def test_rate_limit_per_key(make_binance_client) -> None:
    with SimExchange(small_dataset(), rate_limit_per_minute=3) as sim:
        ex = make_binance_client(sim.url)
        ex.load_markets()  # public: counted per IP
        ex.fetch_balance()
        ex.fetch_balance()
        ex.fetch_balance()
        with pytest.raises((ccxt.DDoSProtection, ccxt.RateLimitExceeded)):
            ex.fetch_balance()
        r = signed_get(sim.url, "/api/v3/account", "")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


# ---- prices ---------------------------------------------------------------------------------


def test_klines_follow_the_price_history(sim: SimExchange, binance) -> None:
    ex = binance()
    minute = SMALL_T["T2"] // 60_000 * 60_000
    (c,) = ex.fetch_ohlcv("BNB/USDT", "1m", minute, 1)
    assert c[0] == minute and D(c[4]) == D("300")
    (c,) = ex.fetch_ohlcv("BTC/USDT", "1m", SMALL_T["T5"] // 60_000 * 60_000, 1)
    assert D(c[4]) == D("60000")
    (c,) = ex.fetch_ohlcv("BNB/USDT", "1m", SMALL_T["T5"] // 60_000 * 60_000, 1)
    assert D(c[4]) == D("400")
    # a minute without a point closes at the last price before it
    (c,) = ex.fetch_ohlcv("BNB/USDT", "1m", minute + 5 * 60_000, 1)
    assert D(c[1]) == D(c[4]) == D("300")
    # nothing before the first point of the history
    assert (
        ex.fetch_ohlcv("BNB/USDT", "1m", SMALL_T["START"] - 10 * 60_000, 3)[0][0]
        == SMALL_T["START"]
    )
    assert len(ex.fetch_ohlcv("ETH/USDT", "1h", SMALL_T["START"], 5)) == 5
    sim.set_price("BNB/USDT", "612.5")
    last = ex.fetch_ohlcv("BNB/USDT", "1m", None, 1)[-1]
    assert D(last[4]) == D("612.5")


def test_tickers_and_set_price(sim: SimExchange, binance) -> None:
    ex = binance()
    ex.load_markets()
    assert D(ex.fetch_ticker("ETH/USDT")["last"]) == D("3500")
    sim.set_price("ETH/USDT", D("2200"))
    before = sim.request_count("/api/v3/ticker")
    tickers = ex.fetch_tickers(["ETH/USDT", "BTC/USDT"])
    assert sim.request_count("/api/v3/ticker") == before + 1
    assert D(tickers["ETH/USDT"]["last"]) == D("2200")
    assert D(tickers["BTC/USDT"]["last"]) == D("67000")
    prices = ex.fetch_last_prices(["ETH/USDT"])
    assert D(prices["ETH/USDT"]["price"]) == D("2200")
    one = requests.get(f"{sim.url}/api/v3/ticker/price?symbol=ETHUSDT", timeout=5).json()
    assert one == {"symbol": "ETHUSDT", "price": "2200.00000000"}
    many = requests.get(
        f'{sim.url}/api/v3/ticker/price?symbols=["ETHUSDT","BNBUSDT"]', timeout=5
    ).json()
    assert [p["symbol"] for p in many] == ["ETHUSDT", "BNBUSDT"]
    bad = requests.get(f"{sim.url}/api/v3/ticker/price?symbol=NOPE", timeout=5)
    assert bad.status_code == 400 and bad.json()["code"] == -1121
    with pytest.raises(KeyError):
        sim.set_price("NOPE/USDT", "1")


def test_admin_endpoints(sim: SimExchange) -> None:
    base = sim.url
    assert requests.get(f"{base}/_sim/health", timeout=5).json()["status"] == "ok"
    r = requests.post(
        f"{base}/_sim/prices", json={"symbol": "ETH/USDT", "price": "2199.99"}, timeout=5
    )
    assert r.json()["ETH/USDT"] == "2199.99"
    assert sim.price("ETH/USDT") == D("2199.99")
    requests.post(f"{base}/_sim/faults", json={"kind": "503", "count": 1}, timeout=5)
    assert requests.get(f"{base}/api/v3/ping", timeout=5).status_code == 503
    assert requests.get(f"{base}/api/v3/ping", timeout=5).status_code == 200
    n = requests.get(f"{base}/_sim/requests", params={"path_contains": "/ping"}, timeout=5)
    assert n.json()["count"] == 2 == sim.request_count("/ping")
    requests.post(f"{base}/_sim/requests/reset", timeout=5)
    assert sim.request_count() == 0


def test_outage_lot_step_delisting_and_reload(sim: SimExchange) -> None:
    """What the alerts tests drive: an outage until cleared, another LOT_SIZE step, a market
    going away, and a fresh dataset on the same running server."""
    base = sim.url
    ticker = f"{base}/api/v3/ticker/price"
    sim.inject_fault("503", count=None, path_contains="/api/v3/ticker/price")
    assert [requests.get(ticker, timeout=5).status_code for _ in range(3)] == [503] * 3
    assert sim.faults()[0]["remaining"] is None
    assert requests.get(f"{base}/api/v3/ping", timeout=5).status_code == 200
    sim.clear_faults()
    assert requests.get(ticker, timeout=5).status_code == 200
    assert sim.request_count("/api/v3/ticker/price") == 4
    requests.post(f"{base}/_sim/faults", json={"kind": "429", "count": None}, timeout=5)
    assert sim.faults()[0]["remaining"] is None
    sim.clear_faults()

    sim.set_lot_step("ETH/USDT", "0.001")
    info = requests.get(f"{base}/api/v3/exchangeInfo?symbol=ETHUSDT", timeout=5).json()
    lot = next(f for f in info["symbols"][0]["filters"] if f["filterType"] == "LOT_SIZE")
    assert (lot["stepSize"], lot["minQty"]) == ("0.00100000", "0.00100000")

    sim.delist("BTC/USDT")
    listed = {row["symbol"] for row in requests.get(ticker, timeout=5).json()}
    assert "BTCUSDT" not in listed and "ETHUSDT" in listed
    everything = requests.get(f"{base}/api/v3/exchangeInfo", timeout=5).json()["symbols"]
    assert "BTCUSDT" not in {m["symbol"] for m in everything}
    with pytest.raises(KeyError):
        sim.delist("BTC/USDT")

    sim.load(market_dataset({"ETH/USDT": "2000.00", "BTC/USDT": "60000.00"}, step="0.01"))
    rows = requests.get(ticker, timeout=5).json()
    assert rows == [
        {"symbol": "ETHUSDT", "price": "2000.00000000"},
        {"symbol": "BTCUSDT", "price": "60000.00000000"},
    ]
    sim.set_price("ETH/USDT", "2100")
    one = requests.get(f"{ticker}?symbol=ETHUSDT", timeout=5).json()
    assert one == {"symbol": "ETHUSDT", "price": "2100.00000000"}


def test_random_walk_moves_prices() -> None:
    with SimExchange(small_dataset()) as sim:
        before = sim.price("ETH/USDT")
        sim.start_random_walk(seed=1, interval_s=0.02, volatility=D("0.01"))
        deadline = time.time() + 2
        while sim.price("ETH/USDT") == before and time.time() < deadline:
            time.sleep(0.02)
        sim.stop_random_walk()
        assert sim.price("ETH/USDT") != before


def test_a_1000_trade_page_is_fast(make_binance_client) -> None:
    ds = large_dataset(5000, 2, seed=5)
    with SimExchange(ds) as sim:
        session = requests.Session()
        q = f"symbol=ASSET0USDT&fromId=0&limit=1000&timestamp={int(time.time() * 1000)}"
        sig = hmac.new(BINANCE_READONLY_SECRET.encode(), q.encode(), hashlib.sha256).hexdigest()
        url = f"{sim.url}/api/v3/myTrades?{q}&signature={sig}"
        headers = {"X-MBX-APIKEY": BINANCE_READONLY_KEY}
        assert len(session.get(url, headers=headers, timeout=5).json()) == 1000
        t0 = time.perf_counter()
        for _ in range(20):
            assert len(session.get(url, headers=headers, timeout=30).json()) == 1000
        # Printed, not asserted (a loaded 2-core CI machine is many times slower; make bench).
        print(f"\n[sim] a 1000-trade page: {(time.perf_counter() - t0) / 20 * 1000:.1f} ms")


def test_demo_dataset_shape() -> None:
    now = 1_767_225_600_000  # 2026-01-01
    ds = demo_dataset(7, now_ms=now)
    acct = ds.accounts[BINANCE_READONLY_KEY]
    assert 250 <= len(acct.trades) <= 500
    assert {t.base for t in acct.trades} >= {"BTC", "ETH", "BNB", "SOL", "ADA", "XRP", "DOGE"}
    assert any(t.symbol == "ETH/BTC" for t in acct.trades)
    assert any(t.fee_asset == "BNB" for t in acct.trades) and acct.deposits and acct.withdrawals
    implied = compute_balances(acct.trades, acct.deposits, acct.withdrawals)
    assert all(acct.balances[a][0] == v for a, v in implied.items())
    # running balances never go negative
    events = sorted(
        [(t.time, 0, t) for t in acct.trades]
        + [(d.time, 1, d) for d in acct.deposits + acct.withdrawals]
    )
    run: dict[str, D] = {}
    for _, kind, e in events:
        if kind == 0:
            delta = compute_balances([e], [], [])
        elif e.kind == "deposit":
            delta = compute_balances([], [e], [])
        else:
            delta = compute_balances([], [], [e])
        for a, v in delta.items():
            run[a] = run.get(a, D(0)) + v
            assert run[a] >= 0, (a, e)
    # ETH: ~4 ETH at an average near 2000 (SPEC average cost, fees valued at the trade time)
    qty = cost = D(0)
    for t in sorted(acct.trades, key=lambda t: t.time):
        if t.base != "ETH":
            continue
        q_usdt = D(1) if t.quote == "USDT" else ds.price_at(f"{t.quote}/USDT", t.time)
        if t.side == "buy":
            fee_q = (
                t.fee * ds.price_at(f"{t.fee_asset}/USDT", t.time) if t.fee_asset == "BNB" else 0
            )
            cost += t.quote_qty * q_usdt + fee_q
            qty += t.qty - (t.fee if t.fee_asset == "ETH" else 0)
        else:
            cost -= t.qty * cost / qty
            qty -= t.qty
    avg = cost / qty
    assert D(1950) < avg < D(2080), avg
    assert D("3.9") < acct.total("ETH") < D("4.1")
    assert ds.price_at("ETH/USDT", now) == D("2190.00") < avg * D("1.1")
    assert demo_dataset(7, now_ms=now).accounts[BINANCE_READONLY_KEY].trades == acct.trades
