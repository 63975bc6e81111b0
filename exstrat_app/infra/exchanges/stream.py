"""Binance's public mini-ticker stream on one websocket: connect, (un)subscribe, read ticks.

Binance Spot API docs, "WebSocket Streams for Binance": a bare `/ws` connection takes live
`SUBSCRIBE`/`UNSUBSCRIBE` requests (`{"method", "params", "id"}`, answered `{"result": null,
"id"}`), at most 5 incoming messages a second and 1024 streams per connection; the
`<symbol>@miniTicker` event carries `s` (the market id) and `c` (the last price, as text);
`!miniTicker@arr` is every changed market in one array. The server pings every 20 s (the
websockets library answers). This module only speaks the wire; what to watch and what a tick
means belong to `runtime/price_stream.py`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, WebSocketException

from exstrat_app.settings import Settings

DEFAULT_BINANCE_WS_URL = "wss://stream.binance.com:9443"
ALL_MINI_TICKERS = "!miniTicker@arr"
MAX_STREAMS = 1024
PARAMS_PER_MESSAGE = 200  # keeps each request small; they are spaced to 5 a second
MESSAGE_SPACING = 0.25

#: what a dropped, refused or unreachable stream raises; the caller reconnects with backoff
STREAM_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    WebSocketException,
    InvalidHandshake,
    asyncio.TimeoutError,
)


@dataclass(frozen=True)
class Tick:
    market_id: str  # `ETHUSDT`
    price: Decimal
    at: datetime  # the event time `E` (UTC)


def binance_ws_url(settings: Settings) -> str | None:
    """The stream's base URL: EXSTRAT_BINANCE_WS_URL, else Binance's own unless the REST URL
    points elsewhere (a simulator or a test server: its prices are not Binance's, so no
    stream until one is named)."""
    if settings.binance_ws_url:
        return settings.binance_ws_url.rstrip("/")
    return None if settings.binance_url else DEFAULT_BINANCE_WS_URL


def stream_name(market_id: str) -> str:
    return f"{market_id.lower()}@miniTicker"


class MiniTickerStream:
    """One connection; `subscribe`/`unsubscribe` by market id, `ticks()` until it drops."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self._ids = itertools.count(1)

    @classmethod
    async def open(cls, base_url: str, *, timeout: float = 10.0) -> MiniTickerStream:
        conn = await connect(
            f"{base_url}/ws",
            open_timeout=timeout,
            ping_interval=5,  # our own pings: a silent dead link is noticed within ~10 s
            ping_timeout=5,
            close_timeout=2,
            max_size=8 * 1024 * 1024,  # `!miniTicker@arr` of every market
        )
        return cls(conn)

    async def close(self) -> None:
        await self.conn.close()

    async def subscribe(self, streams: Iterable[str]) -> None:
        await self._request("SUBSCRIBE", sorted(streams))

    async def unsubscribe(self, streams: Iterable[str]) -> None:
        await self._request("UNSUBSCRIBE", sorted(streams))

    async def _request(self, method: str, streams: list[str]) -> None:
        # Answers arrive among the ticks and are skipped by `ticks()`; a refused request
        # shows as an error event there.
        for start in range(0, len(streams), PARAMS_PER_MESSAGE):
            chunk = streams[start : start + PARAMS_PER_MESSAGE]
            payload = {"method": method, "params": chunk, "id": next(self._ids)}
            await self.conn.send(json.dumps(payload))
            await asyncio.sleep(MESSAGE_SPACING)

    async def ticks(self) -> AsyncIterator[list[Tick]]:
        """The ticks of each message received, until the connection closes (raises one of
        STREAM_ERRORS)."""
        async for raw in self.conn:
            yield parse_message(raw)


def parse_message(raw: str | bytes) -> list[Tick]:
    """Ticks from a raw or combined mini-ticker message (one event or an array); answers to
    requests and anything unreadable give none."""
    try:
        message: Any = json.loads(raw)
    except ValueError:
        return []
    if isinstance(message, dict) and "data" in message and "stream" in message:
        message = message["data"]
    events = message if isinstance(message, list) else [message]
    ticks = []
    for event in events:
        if not isinstance(event, dict) or event.get("e") != "24hrMiniTicker":
            continue
        try:
            price = Decimal(str(event["c"]))
            at = datetime.fromtimestamp(int(event["E"]) / 1000, tz=UTC)
        except (KeyError, InvalidOperation, TypeError, ValueError):
            continue
        if price.is_finite() and price > 0 and isinstance(event.get("s"), str):
            ticks.append(Tick(event["s"], price, at))
    return ticks
