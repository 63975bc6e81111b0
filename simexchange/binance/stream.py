"""Binance's public market streams over a websocket, for the simulated exchange's prices.

Binance Spot API docs, "WebSocket Streams for Binance":
- raw streams at ``/ws/<streamName>`` (events as they are), combined streams at
  ``/stream?streams=<a>/<b>`` (each event wrapped as ``{"stream": "<name>", "data": <event>}``);
  symbols lower case; a bare ``/ws`` or ``/stream`` connection subscribes later;
- live subscribing: ``{"method": "SUBSCRIBE", "params": ["ethusdt@miniTicker"], "id": 1}`` ->
  ``{"result": null, "id": 1}``; ``UNSUBSCRIBE``; ``LIST_SUBSCRIPTIONS`` -> the names;
  at most 1024 streams per connection (error ``{"code": 2, ...}`` beyond, as Binance's
  "Error Messages" section lists for invalid requests);
- "Individual Symbol Mini Ticker Stream" ``<symbol>@miniTicker`` and "All Market Mini Tickers
  Stream" ``!miniTicker@arr`` (an array; only the tickers that changed), update speed 1000 ms;
  fields ``e`` ("24hrMiniTicker"), ``E`` event time, ``s`` symbol, ``c`` close (last), ``o``
  open, ``h`` high, ``l`` low (24 h), ``v`` base volume, ``q`` quote volume, numbers as text.

Here a symbol's event is pushed at the next push tick after its price moved (``interval``,
0.1 s by default so tests and benchmarks need not wait Binance's second; pass 1.0 for its
cadence). ``drop_connections`` closes every socket (as Binance does after 24 h or in a
maintenance) and ``refuse(True)`` answers new handshakes 503 until ``refuse(False)``.

    stream = BinanceStream(sim); url = stream.start()   # "ws://127.0.0.1:NNNN"
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .._wire import f8
from ..candles import stats_24h
from ..host import SimHost

ALL_MINI = "!miniTicker@arr"
MINI = "@miniTicker"
MAX_STREAMS = 1024


@dataclass(eq=False)  # kept in a set by identity
class _Client:
    conn: ServerConnection
    combined: bool
    streams: set[str] = field(default_factory=set)


class BinanceStream:
    """A websocket server speaking Binance's stream formats over ``host``'s price paths."""

    def __init__(self, host: SimHost, *, interval: float = 0.1) -> None:
        self.host = host
        self.interval = interval
        self.url = ""
        self._clients: set[_Client] = set()
        # symbol -> (its price path, points already pushed): a dataset loaded anew is new
        self._seen: dict[str, tuple[int, int]] = {}
        self._refusing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.connections_total = 0  # handshakes accepted since start (a test counts reconnects)

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._thread is not None:
            return self.url
        self._ready.clear()
        self._thread = threading.Thread(
            target=self._run, args=(host, port), name="sim-binance-stream", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the simulated stream did not start")
        return self.url

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._shutdown)
        thread.join(10)
        self._thread = self._loop = None

    def _run(self, host: str, port: int) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        loop.run_until_complete(self._serve(host, port))
        loop.close()

    async def _serve(self, host: str, port: int) -> None:
        self._stopped = asyncio.Event()
        async with serve(self._handler, host, port, process_request=self._gate) as server:
            self._server = server
            shown = server.sockets[0].getsockname()
            self.url = f"ws://{shown[0]}:{shown[1]}"
            self._ready.set()
            pusher = asyncio.create_task(self._push_loop())
            await self._stopped.wait()
            pusher.cancel()
            server.close()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher

    def _shutdown(self) -> None:
        self._stopped.set()

    # ---- controls (any thread) ----------------------------------------------------------

    def refuse(self, on: bool) -> None:
        """Answer new handshakes 503 Service Unavailable (an outage) while on."""
        self._refusing = on

    def drop_connections(self) -> None:
        """Close every open socket now (1001 going away)."""
        if self._loop is None:
            return
        done = threading.Event()

        def close_all() -> None:
            for client in list(self._clients):
                self._loop.create_task(client.conn.close(1001, "going away"))  # type: ignore[union-attr]
            done.set()

        self._loop.call_soon_threadsafe(close_all)
        done.wait(5)

    def subscriptions(self) -> list[set[str]]:
        """Each open connection's streams (a test waits for a subscription to land)."""
        return [set(c.streams) for c in list(self._clients)]

    # ---- connections --------------------------------------------------------------------

    def _gate(self, _conn: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if self._refusing:
            return Response(503, "Service Unavailable", Headers(), b"stream unavailable\n")
        if not (path in ("/ws", "/stream") or path.startswith("/ws/")):
            return Response(HTTPStatus.NOT_FOUND, "Not Found", Headers(), b"")
        return None

    async def _handler(self, conn: ServerConnection) -> None:
        assert conn.request is not None
        parts = urlsplit(conn.request.path)
        combined = parts.path == "/stream"
        client = _Client(conn, combined)
        if combined:
            names = parse_qs(parts.query).get("streams", [""])[0]
            client.streams |= {n for n in names.split("/") if n}
        elif parts.path.startswith("/ws/"):
            client.streams |= {n for n in parts.path[4:].split("/") if n}
        self.connections_total += 1
        self._clients.add(client)
        try:
            async for raw in conn:
                await conn.send(json.dumps(self._command(client, raw)))
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(client)

    def _command(self, client: _Client, raw: str | bytes) -> dict[str, Any]:
        try:
            msg = json.loads(raw)
            method, ident = msg["method"], msg.get("id")
            params = [str(p) for p in msg.get("params") or []]
        except (ValueError, KeyError, TypeError):
            return {"code": 3, "msg": "Invalid JSON: expected a method and an id"}
        if method == "SUBSCRIBE":
            if len(client.streams | set(params)) > MAX_STREAMS:
                return {"code": 2, "msg": "Invalid request: too many streams", "id": ident}
            client.streams |= set(params)
            return {"result": None, "id": ident}
        if method == "UNSUBSCRIBE":
            client.streams -= set(params)
            return {"result": None, "id": ident}
        if method == "LIST_SUBSCRIPTIONS":
            return {"result": sorted(client.streams), "id": ident}
        return {"code": 2, "msg": f"Invalid request: unknown method {method}", "id": ident}

    # ---- pushes -------------------------------------------------------------------------

    async def _push_loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            events = self._changed_events()
            if not events or not self._clients:
                continue
            for client in list(self._clients):
                with contextlib.suppress(ConnectionClosed):
                    for message in self._messages_for(client, events):
                        await client.conn.send(message)

    def _changed_events(self) -> dict[str, dict[str, Any]]:
        """The miniTicker event of every market whose price moved since the last push."""
        now = self.host.now_ms()
        events: dict[str, dict[str, Any]] = {}
        for market in list(self.host.dataset.binance_markets.values()):
            hist = self.host.dataset.prices.get(market.symbol)
            if hist is None or not len(hist):
                continue
            mark = (id(hist), len(hist))
            if self._seen.get(market.symbol) == mark:
                continue
            self._seen[market.symbol] = mark
            stats = stats_24h(hist, now)
            volume = Decimal(stats.count)
            events[market.binance_id.lower()] = {
                "e": "24hrMiniTicker",
                "E": now,
                "s": market.binance_id,
                "c": f8(stats.last),
                "o": f8(stats.open),
                "h": f8(stats.high),
                "l": f8(stats.low),
                "v": f8(volume),
                "q": f8(volume * stats.last),
            }
        return events

    @staticmethod
    def _messages_for(client: _Client, events: dict[str, dict[str, Any]]) -> list[str]:
        def wrap(name: str, data: Any) -> str:
            return json.dumps({"stream": name, "data": data} if client.combined else data)

        out = [
            wrap(f"{sym}{MINI}", event)
            for sym, event in events.items()
            if f"{sym}{MINI}" in client.streams
        ]
        if ALL_MINI in client.streams:
            out.append(wrap(ALL_MINI, list(events.values())))
        return out
