"""The simulated Coinbase Advanced Trade, driven by a real ccxt.coinbase instance (real JWT
signing and parsing)."""

from __future__ import annotations

import time
from decimal import Decimal as D

import ccxt
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization

from simexchange import (
    COINBASE_ED25519_KEY,
    COINBASE_ED25519_SECRET,
    COINBASE_READONLY_KEY,
    COINBASE_READONLY_SECRET,
    COINBASE_TRADING_KEY,
    COINBASE_TRADING_SECRET,
    COINBASE_TRANSFER_KEY,
    COINBASE_TRANSFER_SECRET,
    SMALL_COINBASE_BALANCES,
    SMALL_T,
    SimExchange,
    compute_balances,
    small_dataset,
)


def test_small_dataset_balances_match_fills_and_transfers() -> None:
    acct = small_dataset().accounts[COINBASE_READONLY_KEY]
    implied = compute_balances(acct.trades, acct.deposits, acct.withdrawals)
    for cur, (free, hold) in SMALL_COINBASE_BALANCES.items():
        assert free + hold == implied.get(cur, D(0)), cur


def test_load_markets(sim: SimExchange, coinbase) -> None:
    ex = coinbase()
    ex.load_markets()
    assert {"BTC/USD", "ETH/USD", "SOL/USD", "ETH/BTC"} <= set(ex.markets)
    assert ex.market("ETH/USD")["spot"]
    assert D(ex.market("ETH/USD")["precision"]["price"]) == D("0.01")
    assert sim.request_count("/api/v3/brokerage/transaction_summary") == 1
    assert sim.request_count("/api/v3/brokerage/market/products") == 2  # spot + FUTURE (empty)
    assert "BTC" in ex.currencies


def test_fetch_balance_v3_follows_the_cursor(make_coinbase_client) -> None:
    with SimExchange(small_dataset(), coinbase_accounts_page_size=2) as sim:
        ex = make_coinbase_client(sim.url)
        bal = ex.fetch_balance({"v3": True})
        assert sim.request_count("/api/v3/brokerage/accounts") == 3  # 5 accounts, 2 per page
        for cur, (free, hold) in SMALL_COINBASE_BALANCES.items():
            assert D(bal[cur]["free"]) == free, cur
            assert D(bal[cur]["used"]) == hold, cur
            assert D(bal[cur]["total"]) == free + hold, cur


def test_fetch_my_trades_since_and_cursor(coinbase) -> None:
    ex = coinbase()
    all_fills = ex.fetch_my_trades(None, SMALL_T["START"], 100)
    assert [
        (
            t["symbol"],
            t["side"],
            D(t["amount"]),
            D(t["price"]),
            D(t["fee"]["cost"]),
            t["fee"]["currency"],
        )
        for t in all_fills
    ] == [
        ("BTC/USD", "buy", D("0.02"), D("42000"), D("5.04"), "USD"),
        ("ETH/USD", "buy", D("1.5"), D("2900"), D("26.10"), "USD"),
        ("ETH/USD", "sell", D("0.5"), D("3700"), D("11.10"), "USD"),
        ("BTC/USD", "buy", D("0.01"), D("70000"), D("4.20"), "USD"),
    ]
    assert all_fills[0]["timestamp"] == SMALL_T["C1"]
    since = ex.fetch_my_trades(None, SMALL_T["C3"], 100)
    assert [t["timestamp"] for t in since] == [SMALL_T["C3"], SMALL_T["C4"]]
    eth = ex.fetch_my_trades("ETH/USD", SMALL_T["START"], 100)
    assert [t["side"] for t in eth] == ["buy", "sell"]
    # raw pages: newest first, "cursor" leads to the older fills, "" at the end
    page1 = ex.v3_private_get_brokerage_orders_historical_fills({"limit": 3})
    assert len(page1["fills"]) == 3 and page1["cursor"]
    page2 = ex.v3_private_get_brokerage_orders_historical_fills(
        {"limit": 3, "cursor": page1["cursor"]}
    )
    assert len(page2["fills"]) == 1 and page2["cursor"] == ""
    ids = [f["trade_id"] for f in page1["fills"] + page2["fills"]]
    assert len(set(ids)) == 4
    assert [f["trade_time"] for f in page1["fills"] + page2["fills"]] == sorted(
        (f["trade_time"] for f in page1["fills"] + page2["fills"]), reverse=True
    )


def test_key_permissions(coinbase) -> None:
    ro = coinbase().v3_private_get_brokerage_key_permissions()
    assert (ro["can_view"], ro["can_trade"], ro["can_transfer"]) == (True, False, False)
    tr = coinbase(key=COINBASE_TRADING_KEY, secret=COINBASE_TRADING_SECRET)
    assert tr.v3_private_get_brokerage_key_permissions()["can_trade"] is True
    tf = coinbase(key=COINBASE_TRANSFER_KEY, secret=COINBASE_TRANSFER_SECRET)
    perms = tf.v3_private_get_brokerage_key_permissions()
    assert (perms["can_trade"], perms["can_transfer"]) == (False, True)


def test_ed25519_key(coinbase) -> None:
    ex = coinbase(key=COINBASE_ED25519_KEY, secret=COINBASE_ED25519_SECRET)
    assert D(ex.fetch_balance({"v3": True})["ETH"]["total"]) == D("0.7995")


def test_bad_keys_are_authentication_errors(sim: SimExchange, coinbase) -> None:
    with pytest.raises(ccxt.AuthenticationError):  # unknown key name
        coinbase(key="organizations/sim-org/apiKeys/nope").load_markets()
    with pytest.raises(ccxt.AuthenticationError):  # signed with another key's secret
        coinbase(secret=COINBASE_TRADING_SECRET).load_markets()
    # hand-made tokens: expired, wrong uri
    pem = serialization.load_pem_private_key(COINBASE_READONLY_SECRET.encode(), None)
    host = sim.url.replace("http://", "")
    path = "/api/v3/brokerage/key_permissions"

    def call(uri: str, exp_delta: int) -> requests.Response:
        now = int(time.time())
        token = jwt.encode(
            {
                "sub": COINBASE_READONLY_KEY,
                "iss": "coinbase-cloud",
                "nbf": now,
                "exp": now + exp_delta,
                "aud": ["retail_rest_api_proxy"],
                "uri": uri,
            },
            pem,
            algorithm="ES256",
            headers={"kid": COINBASE_READONLY_KEY, "nonce": "abc"},
        )
        return requests.get(
            f"{sim.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )

    assert call(f"GET {host}{path}", 120).status_code == 200
    assert call(f"GET {host}{path}", -5).status_code == 401
    assert call(f"GET {host}/api/v3/brokerage/accounts", 120).status_code == 401
    assert requests.get(f"{sim.url}{path}", timeout=5).status_code == 401


def test_ledger_deposits_and_withdrawals(coinbase) -> None:
    ex = coinbase()
    ledger = ex.fetch_ledger("USD", 1, None, {"paginate": True, "maxEntriesPerRequest": 2})
    kinds = sorted(e["info"]["type"] for e in ledger)
    assert kinds == ["advanced_trade_fill"] * 4 + ["fiat_deposit"]
    assert sum(D(e["amount"]) * (1 if e["direction"] == "in" else -1) for e in ledger) == D(
        "5913.56"
    )
    (recv,) = [
        d
        for d in ex.fetch_deposits("BTC", params={"currencyType": "crypto"})
        if d["info"]["type"] == "receive"
    ]
    assert D(recv["amount"]) == D("0.05") and recv["timestamp"] == SMALL_T["C6"]
    (send,) = [
        w
        for w in ex.fetch_withdrawals("ETH", params={"currencyType": "crypto"})
        if w["info"]["type"] == "send"
    ]
    assert D(send["amount"]) == D("0.2005") and D(send["fee"]["cost"]) == D("0.0005")
    # v2 pagination by hand: next_starting_after / next_uri
    accounts = ex.fetch_accounts()
    eth_id = next(a["id"] for a in accounts if a["code"] == "ETH")
    seen, after = [], None
    while True:
        params = {"account_id": eth_id, "limit": 1}
        if after:
            params["starting_after"] = after
        page = ex.v2_private_get_accounts_account_id_transactions(params)
        seen += [t["type"] for t in page["data"]]
        after = page["pagination"]["next_starting_after"]
        if not after:
            assert page["pagination"]["next_uri"] is None
            break
        assert after in page["pagination"]["next_uri"]
    assert seen == ["send", "advanced_trade_fill", "advanced_trade_fill"]  # newest first


def test_tickers_candles_and_set_price(sim: SimExchange, coinbase) -> None:
    ex = coinbase()
    assert D(ex.fetch_ticker("ETH/USD")["last"]) == D("3500")
    sim.set_price("ETH/USD", "2200")
    t = ex.fetch_ticker("ETH/USD")
    assert D(t["last"]) == D("2200") and D(t["bid"]) == D("2200")
    tickers = ex.fetch_tickers(["ETH/USD", "BTC/USD"])
    assert D(tickers["ETH/USD"]["last"]) == D("2200")
    assert D(tickers["BTC/USD"]["last"]) == D("67000")
    (c,) = ex.fetch_ohlcv("ETH/USD", "1m", SMALL_T["C2"] // 60_000 * 60_000, 1)
    assert D(c[4]) == D("2900")
    bba = ex.fetch_bids_asks(["BTC/USD"])
    assert D(bba["BTC/USD"]["bid"]) == D("67000")


def test_faults(sim: SimExchange, coinbase) -> None:
    ex = coinbase()
    ex.load_markets()
    sim.inject_fault("429", path_contains="/brokerage/accounts", retry_after=2)
    with pytest.raises(ccxt.RateLimitExceeded):
        ex.fetch_balance({"v3": True})
    sim.inject_fault("503", path_contains="/brokerage/accounts")
    with pytest.raises(ccxt.ExchangeNotAvailable):
        ex.fetch_balance({"v3": True})
    assert D(ex.fetch_balance({"v3": True})["BTC"]["total"]) == D("0.08")
