"""The simulator's Binance retail endpoints through real ccxt: shapes ccxt parses, Binance's
window rules and error bodies, the weight headers, and the weight table both sides share."""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from exstrat_app.infra.exchanges.weights import BINANCE_WEIGHTS
from simexchange import SimExchange, retail_dataset
from simexchange.binance.weights import WEIGHTS
from simexchange.datasets.retail import RT
from simexchange.datasets.times import DAY_MS, ms
from tests.sim.conftest import make_binance

D = Decimal
Y2024 = ms("2024-01-01T00:00:00Z")


@pytest.fixture
def retail():  # type: ignore[no-untyped-def]
    sim = SimExchange(retail_dataset())
    url = sim.start()
    ex = make_binance(url)
    ex.load_markets()
    yield sim, ex
    sim.stop()


def test_convert_history_as_ccxt_parses_it(retail) -> None:  # type: ignore[no-untyped-def]
    _, ex = retail
    start = ms("2024-02-20T00:00:00Z")
    found = ex.fetch_convert_trade_history(None, start, None, {"until": start + 30 * DAY_MS})
    by_id = {c["id"]: c for c in found}
    # V2 (SUCCESS), V3 (FAIL), V4 (PROCESS), V5 (SUCCESS): every status is sent, newest first
    assert {k: v["info"]["orderStatus"] for k, v in by_id.items()} == {
        "9002": "SUCCESS", "9003": "FAIL", "9004": "PROCESS", "9005": "SUCCESS",
    }  # fmt: skip
    v2 = by_id["9002"]
    assert (v2["fromCurrency"], v2["fromAmount"], v2["toCurrency"], v2["toAmount"]) == (
        "ETH", "0.1", "USDT", "300",
    )  # fmt: skip
    assert v2["timestamp"] == RT["V2"]


def test_convert_window_rules_and_errors(retail) -> None:  # type: ignore[no-untyped-def]
    _, ex = retail
    # ccxt refuses a window over 30 days itself; the sim answers Binance's error too
    with pytest.raises(ccxt.BadRequest):
        ex.sapiGetConvertTradeFlow({"startTime": Y2024, "endTime": Y2024 + 31 * DAY_MS})
    with pytest.raises(ccxt.BadRequest, match="-1102"):
        ex.sapiGetConvertTradeFlow({"endTime": Y2024})
    with pytest.raises(ccxt.BadRequest):
        ex.sapiGetConvertTradeFlow({"startTime": Y2024, "endTime": Y2024 + DAY_MS, "limit": 5000})


def test_fiat_payments_and_orders(retail) -> None:  # type: ignore[no-untyped-def]
    _, ex = retail
    span = {"beginTime": Y2024, "endTime": Y2024 + 365 * DAY_MS}
    buys = ex.sapiGetFiatPayments({"transactionType": 0, **span})
    assert buys["code"] == "000000" and buys["total"] == 2
    fields = ("orderNo", "status", "sourceAmount", "obtainAmount")
    assert [tuple(p[f] for f in fields) for p in buys["data"]] == [
        ("cp-2", "Failed", "300", "0.1"), ("cp-1", "Completed", "500", "0.2"),
    ]  # fmt: skip
    assert ex.sapiGetFiatPayments({"transactionType": 1, **span})["total"] == 0
    # neither time sent: the last 30 days only (nothing recent in this dataset)
    assert ex.sapiGetFiatPayments({"transactionType": 0})["data"] == []
    with pytest.raises(ccxt.BadRequest, match="-1102"):
        ex.sapiGetFiatPayments(span)
    orders = ex.sapiGetFiatOrders({"transactionType": 0, **span, "rows": 1, "page": 2})
    assert orders["total"] == 2 and [o["orderNo"] for o in orders["data"]] == ["fo-eur-1"]


def test_dust_dividends_earn_and_funding(retail) -> None:  # type: ignore[no-untyped-def]
    sim, ex = retail
    dust = ex.fetch_my_dust_trades()
    assert [(t["symbol"], t["side"], t["amount"], t["cost"], t["fee"]["cost"]) for t in dust] == [
        ("SOL/BNB", "sell", "0.004", "0.00090000", "0.00001800"),
    ]
    div = ex.sapiGetAssetAssetDividend(
        {"startTime": Y2024 + 60 * DAY_MS, "endTime": Y2024 + 240 * DAY_MS}
    )
    assert [(r["asset"], r["amount"], r["divTime"]) for r in div["rows"]] == [
        ("BNB", "0.01000000", RT["DV"])
    ]
    with pytest.raises(ccxt.BadRequest, match="-1127"):
        ex.sapiGetAssetAssetDividend({"startTime": Y2024, "endTime": Y2024 + 181 * DAY_MS})
    flex = ex.sapiGetSimpleEarnFlexiblePosition({"size": 100})
    assert [(r["asset"], r["totalAmount"]) for r in flex["rows"]] == [("USDT", "501.10000000")]
    locked = ex.sapiGetSimpleEarnLockedPosition()
    assert [(r["asset"], r["amount"]) for r in locked["rows"]] == [("ETH", "0.30000000")]
    window = {"startTime": Y2024 + 100 * DAY_MS, "endTime": Y2024 + 190 * DAY_MS}
    rewards = ex.sapiGetSimpleEarnFlexibleHistoryRewardsRecord({**window, "type": "BONUS"})
    assert [(r["asset"], r["rewards"], r["type"]) for r in rewards["rows"]] == [
        ("USDT", "0.60000000", "BONUS")
    ]
    with pytest.raises(ccxt.BadRequest, match="-1127"):
        ex.sapiGetSimpleEarnLockedHistoryRewardsRecord(
            {"startTime": Y2024, "endTime": Y2024 + 91 * DAY_MS}
        )
    funding = ex.fetch_balance({"type": "funding"})
    assert (funding["USDT"]["free"], funding["ETH"]["free"]) == ("100", "0.05")
    # Binance serves get-funding-asset on POST only
    assert sim.request_count("/sapi/v1/asset/get-funding-asset") == 1


def test_weight_headers_and_table(retail) -> None:  # type: ignore[no-untyped-def]
    sim, ex = retail
    ex.sapiGetConvertTradeFlow({"startTime": Y2024, "endTime": Y2024 + DAY_MS})
    headers = {k.lower(): v for k, v in ex.last_response_headers.items()}
    assert headers["x-sapi-used-uid-weight-1m"] == "3000"
    assert sim.binance.weights.tally["/sapi/v1/convert/tradeFlow"] == [1, 0, 3000]
    # the client's table and the sim's agree on every endpoint both know
    prefix = {"sapi": "/sapi/v1/", "private": "/api/v3/", "public": "/api/v3/"}
    for (api, path), weight in BINANCE_WEIGHTS.items():
        assert WEIGHTS[prefix[api] + path] == (weight.ip, weight.uid), path


def test_weight_limits_are_enforced_when_the_meter_is_on(retail) -> None:  # type: ignore[no-untyped-def]
    sim, ex = retail
    sim.binance.weights.enforce = True
    # fiat/orders: Weight(UID) 90000, the account's budget 180000 a minute: the third is refused
    ex.sapiGetFiatOrders({"transactionType": 0})
    ex.sapiGetFiatOrders({"transactionType": 1})
    with pytest.raises(ccxt.DDoSProtection, match="-1003"):  # ccxt's class for an HTTP 429
        ex.sapiGetFiatOrders({"transactionType": 0})


def test_the_client_table_agrees_with_ccxts_own_costs() -> None:
    """ccxt's `describe()["api"]` costs come from the same docs: every IP-weighted row of our
    table costs what ccxt charges (all-symbols variant for ticker/price), and every UID row
    folds to ccxt's cost (convert/tradeFlow 20, fiat/orders 600; ccxt leaves withdraw
    history's UID weight out and charges its 10-a-second cap only)."""
    from exstrat_app.infra.exchanges.weights import (
        CCXT_COST_PER_MINUTE,
        SAPI_UID_PER_MINUTE,
        ip_cost,
    )

    api = ccxt.binance().describe()["api"]
    for (name, path), weight in BINANCE_WEIGHTS.items():
        node = api[name]
        config = node.get("get", {}).get(path) or node.get("post", {}).get(path)
        ccxt_cost = config.get("noSymbol", config["cost"])
        if weight.uid and path != "capital/withdraw/history":
            folded = weight.uid * CCXT_COST_PER_MINUTE / SAPI_UID_PER_MINUTE
            assert round(folded) == round(ccxt_cost), path
        else:
            assert ip_cost(name, weight) == ccxt_cost, path
