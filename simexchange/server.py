"""The simulated exchange: one local HTTP server answering ccxt's ``binance`` (spot) and
``coinbase`` (Advanced Trade + v2) REST calls on one port, plus admin endpoints under
``/_sim/`` (``admin.py``).

Routing: ``/api/v3/brokerage/*`` and ``/v2/*`` are Coinbase; ``/api/v3/*`` and ``/sapi/*`` are
Binance; anything else (e.g. ``/fapi/*``) is a 404 that is still counted, so a test can assert
that no futures endpoint was called.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from ._wire import Request, Response, is_coinbase, json_response
from .admin import handle_admin
from .binance import BinanceAPI
from .coinbase import CoinbaseAPI
from .datasets.model import SimAccount, SimDataset, SimMarket, SimTrade, SimTransfer
from .datasets.prices import PriceHistory
from .faults import FAULT_KINDS, Fault, RateLimiter, fault_response, take_fault
from .http_server import SimHTTPServer
from .random_walk import RandomWalk

log = logging.getLogger(__name__)


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
        self._limiter = RateLimiter()
        self._stop = threading.Event()
        self._server: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._walk = RandomWalk(self)
        self._build_apis()

    def _build_apis(self) -> None:
        # the APIs index the dataset's markets: rebuilt whenever the markets change
        self.binance = BinanceAPI(self)
        self.coinbase = CoinbaseAPI(self)

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._server is not None:
            return self.url
        self._stop.clear()
        self.binance.warm()
        self.coinbase.warm()
        # looked up per request, so a test may wrap ``sim._handle`` on a running server
        srv = SimHTTPServer((host, port), lambda req: self._handle(req))
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
        srv.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimExchange:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- clock, prices & markets --------------------------------------------------------

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
            if not self._markets_of(symbol):
                raise KeyError(f"unknown symbol {symbol!r}")
            hist = self.dataset.prices[symbol] = PriceHistory()
        p = Decimal(str(price))
        if p <= 0:
            raise ValueError("price must be > 0")
        now = self.now_ms()
        if len(hist) and hist.times[-1] > now:
            # a path with points in the future (frozen clock): place the move after them
            now = hist.times[-1] + 1
        hist.add(now, p)

    def set_lot_step(self, symbol: str, step: Decimal | str) -> None:
        """Give ``symbol`` another quantity step (and minimum): Binance LOT_SIZE stepSize and
        minQty in exchangeInfo, Coinbase base_increment and base_min_size."""
        markets = self._markets_of(symbol)
        if not markets:
            raise KeyError(f"unknown symbol {symbol!r}")
        q = Decimal(str(step))
        for table in markets:
            table[symbol] = replace(table[symbol], step=q, min_qty=q)
        self._build_apis()

    def delist(self, symbol: str) -> None:
        """Take ``symbol`` off both exchanges: its market and price path go, so the tickers and
        exchangeInfo stop listing it (an upstream delisting)."""
        markets = self._markets_of(symbol)
        if not markets:
            raise KeyError(f"unknown symbol {symbol!r}")
        for table in markets:
            del table[symbol]
        self.dataset.prices.pop(symbol, None)
        self._build_apis()

    def load(self, dataset: SimDataset) -> None:
        """Serve ``dataset`` from now on (markets, prices and accounts at once), e.g. to reset
        a shared server between tests. Counters and faults stay: see ``reset_counts`` and
        ``clear_faults``."""
        self.dataset = dataset
        self._build_apis()

    def _markets_of(self, symbol: str) -> list[dict[str, SimMarket]]:
        """The market tables (Binance, Coinbase) listing ``symbol``."""
        tables = (self.dataset.binance_markets, self.dataset.coinbase_markets)
        return [t for t in tables if symbol in t]

    # ---- faults & counters --------------------------------------------------------------

    def inject_fault(
        self,
        kind: str,
        *,
        count: int | None = 1,
        path_contains: str = "",
        retry_after: int = 1,
        delay: float = 11.0,
    ) -> None:
        """Answer the next ``count`` requests (None: every one until ``clear_faults()``, an
        outage) whose path (with query) contains ``path_contains`` with a fault: ``"429"`` /
        ``"418"`` (with ``Retry-After``), ``"500"``/``"502"``/``"503"``/``"504"`` (HTML body,
        like a gateway), ``"timeout"`` (hold the request ``delay`` seconds, longer than the
        client's timeout, then 504), ``"reset"`` (close the connection without answering)."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        remaining = None if count is None else int(count)
        with self._lock:
            self._faults.append(Fault(kind, remaining, path_contains, int(retry_after), delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def faults(self) -> list[dict[str, object]]:
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
            _move(acct, trade.base, sign * trade.qty)
            _move(acct, trade.quote, -sign * trade.quote_qty)  # type: ignore[operator]
            _move(acct, trade.fee_asset, -trade.fee)
            self._bump(acct)
        return trade

    def add_transfer(self, api_key: str, transfer: SimTransfer) -> SimTransfer:
        acct = self.dataset.accounts[api_key]
        with acct.lock:
            if transfer.kind == "deposit":
                acct.deposits.append(transfer)
                if transfer.status == "ok":
                    _move(acct, transfer.asset, transfer.amount)
            else:
                acct.withdrawals.append(transfer)
                if transfer.status == "ok":
                    _move(acct, transfer.asset, -(transfer.amount + transfer.fee))
            self._bump(acct)
        return transfer

    def set_balance(
        self, api_key: str, asset: str, free: Decimal | str, locked: Decimal | str = "0"
    ) -> None:
        acct = self.dataset.accounts[api_key]
        with acct.lock:
            acct.balances[asset] = (Decimal(str(free)), Decimal(str(locked)))
            self._bump(acct)

    def _bump(self, acct: SimAccount) -> None:
        # every key on the same account shares the lists: bump them all
        for a in self.dataset.accounts.values():
            if a.trades is acct.trades:
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
        self._walk.start(seed, interval_s, volatility, drift)

    def stop_random_walk(self) -> None:
        self._walk.stop()

    # ---- request handling ---------------------------------------------------------------

    def _handle(self, req: Request) -> Response | None:
        if req.path.startswith("/_sim/") or req.path == "/_sim":
            try:
                return handle_admin(self, req)
            except (ValueError, KeyError, TypeError) as e:
                return json_response({"error": str(e)}, 400)
        with self._lock:
            self._counts[req.path] += 1
            self._recent.append(f"{req.method} {req.target}")
            fault, self._faults = take_fault(self._faults, req.target)
        if fault is not None:
            return fault_response(fault, req, self.now_ms(), self._stop.wait)
        limited = self._rate_limited(req)
        if limited is not None:
            return limited
        try:
            if is_coinbase(req.path):
                return self.coinbase.handle(req)
            return self.binance.handle(req)
        except Exception:
            log.exception("sim-exchange: error while serving %s %s", req.method, req.target)
            if is_coinbase(req.path):
                return json_response({"error": "INTERNAL", "message": "internal error"}, 500)
            return json_response(
                {"code": -1000, "msg": "An unknown error occurred while processing the request."},
                500,
            )

    def _rate_limited(self, req: Request) -> Response | None:
        if not self.rate_limit_per_minute:
            return None
        retry = self._limiter.retry_after(req, self.rate_limit_per_minute)
        if retry is None:
            return None
        return fault_response(Fault("429", 1, retry_after=retry), req, self.now_ms(), time.sleep)


def _move(acct: SimAccount, asset: str, delta: Decimal) -> None:
    free, locked = acct.balances.get(asset, (Decimal(0), Decimal(0)))
    acct.balances[asset] = (free + delta, locked)


__all__ = ["FAULT_KINDS", "Fault", "SimExchange"]
