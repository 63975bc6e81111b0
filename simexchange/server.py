"""The simulated exchange: one local HTTP server answering ccxt's ``binance`` (spot) and
``coinbase`` (Advanced Trade + v2) REST calls on one port, plus admin endpoints under
``/_sim/``.

Routing: ``/api/v3/brokerage/*`` and ``/v2/*`` are Coinbase; ``/api/v3/*`` and ``/sapi/*`` are
Binance; anything else (e.g. ``/fapi/*``) is a 404 that is still counted, so a test can assert
that no futures endpoint was called.

Admin (not counted, never faulted):
- ``GET /_sim/health`` -> ``{"status": "ok", "dataset": ..., "requests": N}``
- ``GET /_sim/prices`` -> ``{"ETH/USDT": "2150.00000000", ...}`` (current prices)
- ``POST /_sim/prices`` with ``{"symbol": "ETH/USDT", "price": "2200"}`` or
  ``{"ETH/USDT": "2200", ...}`` -> moves the ticker (appends a point to the price path)
- ``GET /_sim/faults``; ``POST /_sim/faults`` with ``{"kind": "429", "count": 3,
  "path_contains": "/api/v3/myTrades", "retry_after": 1, "delay": 2.5}``;
  ``DELETE /_sim/faults`` (or ``POST /_sim/faults/clear``)
- ``GET /_sim/requests?path_contains=...`` -> ``{"count": N}``; ``POST /_sim/requests/reset``
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import random
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from ._wire import Request, Response, json_response, text_response
from .binance_api import BinanceAPI
from .coinbase_api import CoinbaseAPI, _b64url
from .datasets import SimDataset, SimTrade, SimTransfer

log = logging.getLogger(__name__)

FAULT_KINDS = ("429", "418", "500", "502", "503", "504", "timeout", "reset")


@dataclass
class Fault:
    kind: str
    remaining: int
    path_contains: str = ""
    retry_after: int = 1
    delay: float = 11.0

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "remaining": self.remaining,
            "path_contains": self.path_contains,
            "retry_after": self.retry_after,
            "delay": self.delay,
        }


def _is_coinbase(path: str) -> bool:
    return path.startswith("/api/v3/brokerage") or path.startswith("/v2/")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sim: SimExchange


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "exstrat-sim/1.0"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.sim._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.sim._track(self.connection, False)

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path, _, raw_query = self.path.partition("?")
        req = Request(
            method=method,
            path=path,
            raw_query=raw_query,
            query=parse_qs(raw_query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            client=self.client_address[0],
        )
        resp = self.server.sim._handle(req)
        if resp is None:  # "reset" fault: drop the connection without answering
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers:
            self.send_header(k, v)
        # headers and body in one write (no Nagle/delayed-ACK stall)
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(resp.body)
        self.flush_headers()


class SimExchange:
    """A local Binance + Coinbase REST server over a ``SimDataset``.

    ``rate_limit_per_minute``: per API key (or client IP for public calls) requests per
    sliding minute; over it -> 429 with ``Retry-After``. Off (None) by default.
    ``clock``: seconds since the epoch (default ``time.time``); the server's "now".
    ``coinbase_accounts_page_size``: cap on v3 accounts per page (Coinbase: 250), lower it to
    exercise cursor pagination.
    """

    def __init__(
        self,
        dataset: SimDataset,
        *,
        rate_limit_per_minute: int | None = None,
        clock: Callable[[], float] | None = None,
        coinbase_accounts_page_size: int = 250,
    ) -> None:
        self.dataset = dataset
        self.rate_limit_per_minute = rate_limit_per_minute
        self.coinbase_accounts_page_size = coinbase_accounts_page_size
        self._clock = clock
        self.url = ""
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._recent: deque[str] = deque(maxlen=5000)
        self._faults: list[Fault] = []
        self._windows: dict[str, deque[float]] = {}
        self._conns: set[socket.socket] = set()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._walk_thread: threading.Thread | None = None
        self._walk_stop = threading.Event()
        self.binance = BinanceAPI(self)
        self.coinbase = CoinbaseAPI(self)

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._server is not None:
            return self.url
        self._stop.clear()
        self.binance.warm()
        self.coinbase.warm()
        srv = _Server((host, port), _Handler)
        srv.sim = self
        self._server = srv
        h, p = srv.server_address[:2]
        shown = "127.0.0.1" if h in ("0.0.0.0", "") else h
        self.url = f"http://{shown}:{p}"
        self._thread = threading.Thread(
            target=srv.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sim-exchange",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.stop_random_walk()
        self._stop.set()
        srv, self._server = self._server, None
        if srv is None:
            return
        srv.shutdown()
        srv.server_close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:  # close kept-alive client connections too
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimExchange:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # ---- clock & prices -----------------------------------------------------------------

    def now_ms(self) -> int:
        # time.time looked up at each call, so freezegun's patch applies to the server too
        return int((self._clock or time.time)() * 1000)

    def price(self, symbol: str) -> Decimal | None:
        """Current price of ``symbol`` (``"ETH/USDT"``)."""
        hist = self.dataset.prices.get(symbol)
        return hist.at(self.now_ms()) if hist is not None else None

    def prices(self) -> dict[str, Decimal]:
        now = self.now_ms()
        return {s: p for s, h in self.dataset.prices.items() if (p := h.at(now)) is not None}

    def set_price(self, symbol: str, price: Decimal | str) -> None:
        """Move ``symbol`` (``"ETH/USDT"``, or ``"ETH/USD"`` for Coinbase) to ``price`` now: the
        tickers show it at once and the current 1m kline closes at it."""
        hist = self.dataset.prices.get(symbol)
        if hist is None:
            known = (
                symbol in self.dataset.binance_markets or symbol in self.dataset.coinbase_markets
            )
            if not known:
                raise KeyError(f"unknown symbol {symbol!r}")
            from .datasets import PriceHistory

            hist = self.dataset.prices[symbol] = PriceHistory()
        p = Decimal(str(price))
        if p <= 0:
            raise ValueError("price must be > 0")
        now = self.now_ms()
        if len(hist) and hist.times[-1] > now:
            # a path with points in the future (frozen clock): place the move after them
            now = hist.times[-1] + 1
        hist.add(now, p)

    # ---- faults & counters --------------------------------------------------------------

    def inject_fault(
        self,
        kind: str,
        *,
        count: int = 1,
        path_contains: str = "",
        retry_after: int = 1,
        delay: float = 11.0,
    ) -> None:
        """Answer the next ``count`` requests whose path (with query) contains
        ``path_contains`` with a fault: ``"429"`` / ``"418"`` (with ``Retry-After``),
        ``"500"``/``"502"``/``"503"``/``"504"`` (HTML body, like a gateway), ``"timeout"``
        (hold the request ``delay`` seconds, longer than the client's timeout, then 504),
        ``"reset"`` (close the connection without answering)."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append(Fault(kind, int(count), path_contains, int(retry_after), delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def faults(self) -> list[dict]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def request_count(self, path_contains: str = "") -> int:
        """Requests received (admin ones excluded) whose path contains ``path_contains``."""
        with self._lock:
            return sum(n for p, n in self._counts.items() if path_contains in p)

    def requests_log(self, path_contains: str = "") -> list[str]:
        """The last 5000 request targets (``"GET /api/v3/myTrades?..."``), oldest first."""
        with self._lock:
            return [r for r in self._recent if path_contains in r]

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()
            self._recent.clear()

    # ---- dataset mutation (incremental sync tests) --------------------------------------

    def add_trade(self, api_key: str, trade: SimTrade) -> SimTrade:
        """Append a trade to the account behind ``api_key`` (and every key sharing it),
        give it the next id when ``trade.id == 0``, and move the balances accordingly."""
        acct = self.dataset.accounts[api_key]
        with acct.lock:
            if not trade.id:
                if acct.exchange == "binance":
                    same = [t.id for t in acct.trades if t.symbol == trade.symbol]
                else:
                    same = [t.id for t in acct.trades]
                trade.id = (max(same) if same else 1000) + 1
            if not trade.order_id:
                trade.order_id = max((t.order_id for t in acct.trades), default=0) + 1
            acct.trades.append(trade)
            sign = 1 if trade.side == "buy" else -1
            self._move(acct, trade.base, sign * trade.qty)
            self._move(acct, trade.quote, -sign * trade.quote_qty)
            self._move(acct, trade.fee_asset, -trade.fee)
            self._bump(acct)
        return trade

    def add_transfer(self, api_key: str, transfer: SimTransfer) -> SimTransfer:
        acct = self.dataset.accounts[api_key]
        with acct.lock:
            if transfer.kind == "deposit":
                acct.deposits.append(transfer)
                if transfer.status == "ok":
                    self._move(acct, transfer.asset, transfer.amount)
            else:
                acct.withdrawals.append(transfer)
                if transfer.status == "ok":
                    self._move(acct, transfer.asset, -(transfer.amount + transfer.fee))
            self._bump(acct)
        return transfer

    def set_balance(
        self, api_key: str, asset: str, free: Decimal | str, locked: Decimal | str = "0"
    ) -> None:
        acct = self.dataset.accounts[api_key]
        with acct.lock:
            acct.balances[asset] = (Decimal(str(free)), Decimal(str(locked)))
            self._bump(acct)

    @staticmethod
    def _move(acct: object, asset: str, delta: Decimal) -> None:
        free, locked = acct.balances.get(asset, (Decimal(0), Decimal(0)))  # type: ignore[attr-defined]
        acct.balances[asset] = (free + delta, locked)  # type: ignore[attr-defined]

    def _bump(self, acct: object) -> None:
        # every key on the same account shares the lists: bump them all
        for a in self.dataset.accounts.values():
            if a.trades is acct.trades:  # type: ignore[attr-defined]
                a.version += 1

    # ---- random walk --------------------------------------------------------------------

    def start_random_walk(
        self,
        seed: int = 1,
        interval_s: float = 1.0,
        volatility: Decimal | str = "0.002",
        *,
        drift: Decimal | str = "0",
    ) -> None:
        """Every ``interval_s`` seconds move every symbol by a seeded random step
        (``price * (1 + N(drift, volatility))``, rounded to the market's tick). A small
        positive drift lets the demo's ladders really trigger within minutes."""
        self.stop_random_walk()
        self._walk_stop.clear()
        rng = random.Random(seed)
        vol = float(volatility)
        mean = float(drift)
        ticks = {}
        for m in list(self.dataset.binance_markets.values()) + list(
            self.dataset.coinbase_markets.values()
        ):
            ticks[m.symbol] = m.tick

        def run() -> None:
            while not self._walk_stop.wait(interval_s):
                for sym in sorted(self.dataset.prices):
                    p = self.price(sym)
                    if p is None:
                        continue
                    tick = ticks.get(sym, Decimal("0.00000001"))
                    step = Decimal(str(round(1 + rng.gauss(mean, vol), 8)))
                    newp = (p * step / tick).to_integral_value() * tick
                    if newp > 0:
                        self.set_price(sym, newp)

        self._walk_thread = threading.Thread(target=run, name="sim-random-walk", daemon=True)
        self._walk_thread.start()

    def stop_random_walk(self) -> None:
        self._walk_stop.set()
        t, self._walk_thread = self._walk_thread, None
        if t is not None:
            t.join(timeout=5)

    # ---- request handling ---------------------------------------------------------------

    def _handle(self, req: Request) -> Response | None:
        if req.path.startswith("/_sim/") or req.path == "/_sim":
            try:
                return self._admin(req)
            except (ValueError, KeyError, TypeError) as e:
                return json_response({"error": str(e)}, 400)
        with self._lock:
            self._counts[req.path] += 1
            self._recent.append(f"{req.method} {req.target}")
            fault = None
            for f in self._faults:
                if f.remaining > 0 and f.path_contains in req.target:
                    f.remaining -= 1
                    fault = f
                    break
            self._faults = [f for f in self._faults if f.remaining > 0]
        if fault is not None:
            return self._fault_response(fault, req)
        limited = self._rate_limited(req)
        if limited is not None:
            return limited
        try:
            if _is_coinbase(req.path):
                return self.coinbase.handle(req)
            return self.binance.handle(req)
        except Exception:
            log.exception("sim-exchange: error while serving %s %s", req.method, req.target)
            if _is_coinbase(req.path):
                return json_response({"error": "INTERNAL", "message": "internal error"}, 500)
            return json_response(
                {"code": -1000, "msg": "An unknown error occurred while processing the request."},
                500,
            )

    def _fault_response(self, f: Fault, req: Request) -> Response | None:
        cb = _is_coinbase(req.path)
        if f.kind == "429":
            if cb:
                r = json_response(
                    {"errors": [{"id": "rate_limit_exceeded", "message": "Too many requests"}]}, 429
                )
            else:
                r = json_response(
                    {
                        "code": -1003,
                        "msg": f"Too many requests; current limit of IP({req.client}) request "
                        "weight is 6000 per 1 MINUTE. Please use WebSocket Streams for live "
                        "updates to avoid polling the API.",
                    },
                    429,
                )
            r.headers.append(("Retry-After", str(f.retry_after)))
            return r
        if f.kind == "418":
            until = self.now_ms() + f.retry_after * 1000
            r = json_response(
                {
                    "code": -1003,
                    "msg": f"Way too much request weight used; IP banned until {until}. Please use "
                    "WebSocket Streams for live updates to avoid bans.",
                },
                418,
            )
            r.headers.append(("Retry-After", str(f.retry_after)))
            return r
        if f.kind == "reset":
            return None
        if f.kind == "timeout":
            self._stop.wait(f.delay)
            return _gateway(504)
        return _gateway(int(f.kind))

    def _rate_key(self, req: Request) -> str:
        key = req.headers.get("X-MBX-APIKEY")
        if key:
            return "key:" + key
        authz = req.headers.get("Authorization") or ""
        if authz.startswith("Bearer "):
            try:
                claims = json.loads(_b64url(authz[7:].split(".")[1]))
                return "key:" + str(claims.get("sub"))
            except (ValueError, IndexError):
                return "ip:" + req.client
        return "ip:" + req.client

    def _rate_limited(self, req: Request) -> Response | None:
        limit = self.rate_limit_per_minute
        if not limit:
            return None
        key = self._rate_key(req)
        now = time.monotonic()
        with self._lock:
            win = self._windows.setdefault(key, deque())
            while win and win[0] <= now - 60:
                win.popleft()
            if len(win) >= limit:
                retry = max(1, math.ceil(win[0] + 60 - now))
            else:
                win.append(now)
                return None
        fake = Fault("429", 1, retry_after=retry)
        return self._fault_response(fake, req)

    # ---- admin --------------------------------------------------------------------------

    def _admin(self, req: Request) -> Response:
        path = req.path.rstrip("/")
        body = json.loads(req.body or b"{}") if req.method in ("POST", "PUT") else {}
        if path == "/_sim/health":
            return json_response(
                {
                    "status": "ok",
                    "dataset": self.dataset.name,
                    "url": self.url,
                    "requests": self.request_count(),
                    "time": self.now_ms(),
                }
            )
        if path == "/_sim/prices":
            if req.method == "POST":
                if "symbol" in body:
                    self.set_price(body["symbol"], str(body["price"]))
                else:
                    for sym, p in (body.get("prices") or body).items():
                        self.set_price(sym, str(p))
            return json_response({s: format(p, "f") for s, p in sorted(self.prices().items())})
        if path == "/_sim/faults":
            if req.method == "POST":
                self.inject_fault(
                    str(body["kind"]),
                    count=int(body.get("count", 1)),
                    path_contains=str(body.get("path_contains", "")),
                    retry_after=int(body.get("retry_after", 1)),
                    delay=float(body.get("delay", 11.0)),
                )
            elif req.method == "DELETE":
                self.clear_faults()
            return json_response({"faults": self.faults()})
        if path == "/_sim/faults/clear":
            self.clear_faults()
            return json_response({"faults": []})
        if path == "/_sim/requests":
            sub = req.arg("path_contains", "") or ""
            return json_response({"count": self.request_count(sub), "path_contains": sub})
        if path == "/_sim/requests/reset":
            self.reset_counts()
            return json_response({"count": 0})
        return json_response({"error": "unknown admin path"}, 404)


def _gateway(status: int) -> Response:
    titles = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    title = titles.get(status, "Error")
    html = (
        f"<html><head><title>{status} {title}</title></head>"
        f"<body><h1>{status} {title}</h1></body></html>"
    )
    return text_response(status, html, "text/html")


__all__ = ["FAULT_KINDS", "Fault", "SimExchange"]
