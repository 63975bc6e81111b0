"""A tiny real HTTP server speaking the two Binance public endpoints the alerts need.

GET /api/v3/ticker/price   -> every symbol's last price (or one with ?symbol=)
GET /api/v3/exchangeInfo   -> spot markets with a LOT_SIZE filter (stepSize 0.0001 by default)

Stdlib only, threaded, on 127.0.0.1 with a free port. Prices are strings, as Binance sends
them. `fail_ticker = True` makes the ticker answer 503 (an upstream outage). Every request
path is counted so tests can assert "exactly one upstream request per cycle".
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

QUOTES = ("USDT", "USDC")


class FakeBinance:
    def __init__(self, prices: dict[str, str] | None = None, step_size: str = "0.0001") -> None:
        self.prices: dict[str, str] = dict(prices or {})  # "ETHUSDT" -> "2200.00"
        self.step_size = step_size
        self.fail_ticker = False
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control --------------------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, *_args: Any) -> None:  # keep test output quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def set_price(self, symbol: str, price: str) -> None:
        """`set_price("ETH/USDT", "2200")`, like the simulated exchange."""
        with self._lock:
            self.prices[symbol.replace("/", "")] = price

    def request_count(self, path_contains: str) -> int:
        with self._lock:
            return sum(n for path, n in self.counts.items() if path_contains in path)

    # -- HTTP -------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        with self._lock:
            self.counts[parts.path] += 1
        if parts.path == "/api/v3/ticker/price":
            if self.fail_ticker:
                self._send(handler, 503, {"code": -1, "msg": "Service unavailable"})
                return
            self._send(handler, 200, self._ticker(parse_qs(parts.query)))
        elif parts.path == "/api/v3/exchangeInfo":
            self._send(handler, 200, self._exchange_info())
        else:
            self._send(handler, 404, {"code": -1, "msg": "not found"})

    def _ticker(self, query: dict[str, list[str]]) -> Any:
        with self._lock:
            rows = [{"symbol": s, "price": p} for s, p in sorted(self.prices.items())]
        if "symbol" in query:
            wanted = query["symbol"][0]
            return next((r for r in rows if r["symbol"] == wanted), {"symbol": wanted})
        return rows

    def _exchange_info(self) -> dict[str, Any]:
        with self._lock:
            symbols = sorted(self.prices)
        return {
            "timezone": "UTC",
            "serverTime": 0,
            "rateLimits": [],
            "symbols": [self._market(s) for s in symbols if _split(s)],
        }

    def _market(self, symbol: str) -> dict[str, Any]:
        base, quote = _split(symbol)  # type: ignore[misc]
        return {
            "symbol": symbol,
            "status": "TRADING",
            "baseAsset": base,
            "baseAssetPrecision": 8,
            "quoteAsset": quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "orderTypes": ["LIMIT", "MARKET"],
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "permissions": ["SPOT"],
            "permissionSets": [["SPOT"]],
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": "0.01000000",
                    "maxPrice": "1000000.00000000",
                    "tickSize": "0.01000000",
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": self.step_size,
                    "maxQty": "9000.00000000",
                    "stepSize": self.step_size,
                },
            ],
        }

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def _split(symbol: str) -> tuple[str, str] | None:
    for quote in QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return None


def decimal_price(fake: FakeBinance, symbol: str) -> Decimal:
    return Decimal(fake.prices[symbol.replace("/", "")])
