"""The simulated Binance websocket speaks the documented stream formats (Binance Spot API docs,
"WebSocket Streams for Binance": raw `/ws/<name>`, combined `/stream?streams=`, live
SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS, `<symbol>@miniTicker` and `!miniTicker@arr` with the
fields e, E, s, c, o, h, l, v, q), read with a plain websocket client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from exstrat_app.infra.exchanges.stream import parse_message
from simexchange import SimExchange
from simexchange.binance.stream import BinanceStream
from simexchange.datasets import market_dataset

FIELDS = {"e", "E", "s", "c", "o", "h", "l", "v", "q"}


@pytest.fixture
def sim() -> Iterator[tuple[SimExchange, BinanceStream]]:
    exchange = SimExchange(market_dataset({"ETH/USDT": "2000", "BTC/USDT": "60000"}))
    exchange.start()
    stream = BinanceStream(exchange)
    stream.start()
    yield exchange, stream
    stream.stop()
    exchange.stop()


def next_event(ws: Any, name: str | None = None) -> Any:
    """The next pushed message (answers to requests carry an `id` and are skipped)."""
    while True:
        message = json.loads(ws.recv(timeout=5))
        if isinstance(message, dict) and "id" in message:
            continue
        if name is None or message.get("stream") == name:
            return message


def test_a_raw_stream_pushes_mini_tickers_with_the_documented_fields(sim: Any) -> None:
    exchange, stream = sim
    with connect(f"{stream.url}/ws/ethusdt@miniTicker") as ws:
        exchange.set_price("ETH/USDT", "2310.5")
        event = next_event(ws)
        while event["c"] != "2310.50000000":
            event = next_event(ws)
    assert set(event) == FIELDS
    assert (event["e"], event["s"], event["h"], event["l"]) == (
        "24hrMiniTicker",
        "ETHUSDT",
        "2310.50000000",
        "2000.00000000",
    )
    [tick] = parse_message(json.dumps(event))
    assert (tick.market_id, tick.price) == ("ETHUSDT", Decimal("2310.5"))


def test_combined_streams_wrap_events_and_live_subscriptions_are_listed(sim: Any) -> None:
    exchange, stream = sim
    with connect(f"{stream.url}/stream?streams=btcusdt@miniTicker") as ws:
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["!miniTicker@arr"], "id": 7}))
        assert json.loads(ws.recv(timeout=5)) == {"result": None, "id": 7}
        ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 8}))
        assert json.loads(ws.recv(timeout=5)) == {
            "result": ["!miniTicker@arr", "btcusdt@miniTicker"],
            "id": 8,
        }
        exchange.set_price("ETH/USDT", "2100")
        wrapped = next_event(ws, "!miniTicker@arr")
        assert isinstance(wrapped["data"], list) and {"ETHUSDT"} <= {
            e["s"] for e in wrapped["data"]
        }
        assert any(t.price == Decimal("2100") for t in parse_message(json.dumps(wrapped)))
        ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": ["!miniTicker@arr"], "id": 9}))
        assert json.loads(ws.recv(timeout=5)) == {"result": None, "id": 9}


def test_an_outage_refuses_handshakes_until_it_ends(sim: Any) -> None:
    _exchange, stream = sim
    stream.refuse(True)
    with pytest.raises(InvalidStatus):
        connect(f"{stream.url}/ws")
    stream.refuse(False)
    with connect(f"{stream.url}/ws") as ws:
        ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
        assert json.loads(ws.recv(timeout=5)) == {"result": [], "id": 1}
