"""The simulated Binance takes orders like the real one, through real ccxt: place, query by
order id or client order id, cancel, fills as myTrades, and Binance's refusals."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import ccxt
import pytest

from simexchange import BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET, SimExchange, small_dataset
from tests.sim.conftest import make_binance

D = Decimal


@pytest.fixture
def sim() -> Iterator[SimExchange]:
    server = SimExchange(small_dataset())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def trader(sim: SimExchange) -> ccxt.binance:
    ex = make_binance(sim.url, key=BINANCE_TRADING_KEY, secret=BINANCE_TRADING_SECRET)
    ex.load_markets()
    return ex


def eth(sim: SimExchange) -> tuple[Decimal, Decimal]:
    return sim.dataset.accounts[BINANCE_TRADING_KEY].balances["ETH"]


def test_a_resting_limit_sell_locks_then_fills_when_the_price_reaches_it(
    sim: SimExchange, trader: ccxt.binance
) -> None:
    # ETH/USDT is at 3500; the account holds 3.999 ETH free.
    order = trader.create_order(
        "ETH/USDT", "limit", "sell", "0.8", "3600", {"clientOrderId": "x-step-1"}
    )
    assert order["status"] == "open"
    assert order["clientOrderId"] == "x-step-1"
    assert eth(sim) == (D("3.199"), D("0.8"))  # 3.999 - 0.8 free, 0.8 locked
    by_client = trader.fetch_order(None, "ETH/USDT", {"origClientOrderId": "x-step-1"})
    assert by_client["id"] == order["id"] and by_client["status"] == "open"

    sim.set_price("ETH/USDT", "3650")
    filled = trader.fetch_order(order["id"], "ETH/USDT")
    assert filled["status"] == "closed"
    assert D(filled["filled"]) == D("0.8")
    assert D(filled["average"]) == D("3600")  # filled at its limit
    assert eth(sim) == (D("3.199"), D("0"))
    trades = trader.fetch_my_trades("ETH/USDT", params={"orderId": order["id"]})
    assert [(D(t["amount"]), D(t["price"]), t["side"]) for t in trades] == [
        (D("0.8"), D("3600"), "sell")
    ]
    # 0.8 x 3600 = 2880 USDT, fee 0.1 % = 2.88 USDT
    assert D(trades[0]["fee"]["cost"]) == D("2.88")


def test_a_marketable_limit_fills_at_once_and_cancel_releases_the_lock(
    sim: SimExchange, trader: ccxt.binance
) -> None:
    filled = trader.create_order("ETH/USDT", "limit", "sell", "0.1", "3400")
    assert filled["status"] == "closed"
    assert D(filled["average"]) == D("3500")  # the better (current) price
    resting = trader.create_order("ETH/USDT", "limit", "sell", "1", "9000")
    assert eth(sim) == (D("2.899"), D("1"))
    cancelled = trader.cancel_order(resting["id"], "ETH/USDT")
    assert cancelled["status"] == "canceled"
    assert eth(sim) == (D("3.899"), D("0"))
    with pytest.raises(ccxt.OrderNotFound):
        trader.cancel_order(resting["id"], "ETH/USDT")


@pytest.mark.parametrize(
    ("amount", "price", "message"),
    [
        ("0.00001", "3600", "Filter failure: LOT_SIZE"),  # under the step 0.0001
        ("0.8", "3600.005", "Filter failure: PRICE_FILTER"),  # off the tick 0.01
        ("0.0010", "3600", "Filter failure: NOTIONAL"),  # 3.60 USDT < 5
        ("5", "3600", "insufficient balance"),  # holds 3.999
    ],
)
def test_refusals_carry_binance_codes(
    trader: ccxt.binance, sim: SimExchange, amount: str, price: str, message: str
) -> None:
    trader.options["createMarketBuyOrderRequiresPrice"] = False
    request = {
        "symbol": "ETHUSDT",
        "side": "SELL",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": amount,
        "price": price,
    }
    with pytest.raises(ccxt.BaseError) as caught:
        trader.private_post_order(request)
    assert message in str(caught.value)
    assert sim.binance.orders.orders_of(sim.dataset.accounts[BINANCE_TRADING_KEY]) == []


def test_duplicate_client_order_id_among_open_orders_is_refused(trader: ccxt.binance) -> None:
    trader.create_order("ETH/USDT", "limit", "sell", "0.5", "9000", {"clientOrderId": "dup-1"})
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        trader.create_order("ETH/USDT", "limit", "sell", "0.5", "9000", {"clientOrderId": "dup-1"})


def test_the_read_only_key_cannot_trade_and_test_orders_place_nothing(
    sim: SimExchange, trader: ccxt.binance
) -> None:
    reader = make_binance(sim.url)
    reader.load_markets()
    with pytest.raises(ccxt.AuthenticationError):
        reader.create_order("ETH/USDT", "limit", "sell", "0.5", "9000")
    assert trader.create_order("ETH/USDT", "limit", "sell", "0.5", "9000", {"test": True})
    assert sim.binance.orders.orders_of(sim.dataset.accounts[BINANCE_TRADING_KEY]) == []


def test_a_dropped_response_still_places_the_order(sim: SimExchange, trader: ccxt.binance) -> None:
    sim.binance.orders.drop_responses(1)
    with pytest.raises(ccxt.NetworkError):
        trader.create_order("ETH/USDT", "limit", "sell", "0.5", "9000", {"clientOrderId": "lost"})
    found = trader.fetch_order(None, "ETH/USDT", {"origClientOrderId": "lost"})
    assert found["status"] == "open" and D(found["amount"]) == D("0.5")
