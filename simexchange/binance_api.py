"""Binance spot REST, as ccxt's ``binance`` class calls it (paths /api/v3/*, /sapi/v1/*).

Signed endpoints check ``X-MBX-APIKEY``, ``timestamp``/``recvWindow`` and the HMAC-SHA256
``signature`` over the query string (+ body), like Binance. Error bodies are
``{"code": -NNNN, "msg": "..."}`` with Binance's codes, so ccxt raises the same exceptions
it raises against the real exchange.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from ._wire import (
    Request,
    Response,
    candle,
    candle_opens,
    f8,
    jbytes,
    json_response,
    stats_24h,
)
from .datasets import SimAccount, SimMarket, SimTransfer

if TYPE_CHECKING:
    from .server import SimExchange

DAY_MS = 86_400_000
NINETY_DAYS_MS = 90 * DAY_MS
INTERVALS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": 7 * DAY_MS,
}
ASSET_NAMES = {
    "BTC": "Bitcoin",
    "ETH": "Ethereum",
    "BNB": "BNB",
    "USDT": "TetherUS",
    "USDC": "USD Coin",
    "SOL": "Solana",
    "ADA": "Cardano",
    "XRP": "XRP",
    "DOGE": "Dogecoin",
    "DOT": "Polkadot",
    "LINK": "ChainLink",
    "MATIC": "Polygon",
    "LTC": "Litecoin",
}


class BinanceError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg

    def response(self) -> Response:
        return json_response({"code": self.code, "msg": self.msg}, self.status)


def _mandatory(name: str) -> BinanceError:
    return BinanceError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def _int_param(req: Request, name: str) -> int | None:
    v = req.arg(name)
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise BinanceError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        ) from None


class _TradeIndex:
    """Per (account, symbol): trades sorted by id, with their JSON precomputed."""

    __slots__ = ("frags", "ids", "order_ids", "times")

    def __init__(self, trades: list, market_id: str) -> None:
        trades = sorted(trades, key=lambda t: t.id)
        self.ids = [t.id for t in trades]
        self.times = [t.time for t in trades]
        self.order_ids = [t.order_id for t in trades]
        self.frags = [
            (
                f'{{"symbol":"{market_id}","id":{t.id},"orderId":{t.order_id},"orderListId":-1,'
                f'"price":"{f8(t.price)}","qty":"{f8(t.qty)}","quoteQty":"{f8(t.quote_qty)}",'
                f'"commission":"{f8(t.fee)}","commissionAsset":"{t.fee_asset}","time":{t.time},'
                f'"isBuyer":{"true" if t.side == "buy" else "false"},'
                f'"isMaker":{"true" if t.is_maker else "false"},"isBestMatch":true}}'
            ).encode()
            for t in trades
        ]


class BinanceAPI:
    def __init__(self, sim: SimExchange) -> None:
        self.sim = sim
        self.ds = sim.dataset
        self.by_id: dict[str, SimMarket] = {
            m.binance_id: m for m in self.ds.binance_markets.values()
        }
        self._symbols_json: bytes | None = None
        self._lock = threading.Lock()
        self._indexes: dict[int, tuple[int, dict[str, _TradeIndex]]] = {}
        self.routes: dict[str, tuple[Callable[[Request], Response], bool]] = {
            # path: (handler, signed)
            "/api/v3/ping": (self.ping, False),
            "/api/v3/time": (self.time, False),
            "/api/v3/exchangeInfo": (self.exchange_info, False),
            "/api/v3/ticker/price": (self.ticker_price, False),
            "/api/v3/ticker/24hr": (self.ticker_24hr, False),
            "/api/v3/ticker": (self.ticker_24hr, False),
            "/api/v3/ticker/bookTicker": (self.book_ticker, False),
            "/api/v3/avgPrice": (self.avg_price, False),
            "/api/v3/klines": (self.klines, False),
            "/api/v3/uiKlines": (self.klines, False),
            "/sapi/v1/system/status": (self.system_status, False),
            "/api/v3/account": (self.account, True),
            "/api/v3/myTrades": (self.my_trades, True),
            "/sapi/v1/capital/deposit/hisrec": (self.deposits, True),
            "/sapi/v1/capital/withdraw/history": (self.withdrawals, True),
            "/sapi/v1/account/apiRestrictions": (self.api_restrictions, True),
            "/sapi/v1/capital/config/getall": (self.capital_config, True),
            "/sapi/v1/account/status": (self.account_status, True),
        }

    # ---- dispatch & auth ---------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        route = self.routes.get(req.path)
        if route is None:
            return Response(404, b"", "text/html")
        handler, signed = route
        try:
            if signed:
                req.account = self._auth(req)  # type: ignore[attr-defined]
            return handler(req)
        except BinanceError as e:
            return e.response()

    def _auth(self, req: Request) -> SimAccount:
        key = req.headers.get("X-MBX-APIKEY")
        if not key:
            raise BinanceError(401, -2014, "API-key format invalid.")
        acct = self.ds.accounts.get(key)
        if acct is None or acct.exchange != "binance":
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        ts = _int_param(req, "timestamp")
        if ts is None:
            raise _mandatory("timestamp")
        recv = _int_param(req, "recvWindow")
        if recv is None:
            recv = 5000
        if recv > 60000:
            raise BinanceError(400, -1131, "recvWindow must be less than 60000")
        sig = req.arg("signature")
        if not sig:
            raise _mandatory("signature")
        now = self.sim.now_ms()
        if ts > now + 1000:
            raise BinanceError(
                400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
            )
        if now - ts > recv:
            raise BinanceError(
                400, -1021, "Timestamp for this request is outside of the recvWindow."
            )
        payload = "&".join(p for p in req.raw_query.split("&") if not p.startswith("signature="))
        payload = payload.encode() + req.body
        expected = hmac.new(acct.secret.encode(), payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, sig.lower()):
            raise BinanceError(400, -1022, "Signature for this request is not valid.")
        if not acct.permissions.get("enableReading", True):
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        return acct

    def _market(self, req: Request, required: bool = True) -> SimMarket | None:
        sym = req.arg("symbol")
        if not sym:
            if required:
                raise _mandatory("symbol")
            return None
        m = self.by_id.get(sym.upper())
        if m is None:
            raise BinanceError(400, -1121, "Invalid symbol.")
        return m

    def _symbols_param(self, req: Request) -> list[SimMarket] | None:
        """``symbol=X`` -> [X]; ``symbols=["X","Y"]`` -> [X, Y]; neither -> None (all)."""
        one = self._market(req, required=False)
        if one is not None:
            return [one]
        raw = req.arg("symbols")
        if raw is None:
            return None
        try:
            ids = json.loads(raw)
        except ValueError:
            ids = None
        if not isinstance(ids, list):
            raise BinanceError(400, -1100, "Illegal characters found in parameter 'symbols'.")
        out = []
        for i in ids:
            m = self.by_id.get(str(i).upper())
            if m is None:
                raise BinanceError(400, -1121, "Invalid symbol.")
            out.append(m)
        return out

    # ---- public --------------------------------------------------------------------------

    def ping(self, req: Request) -> Response:
        return Response(200, b"{}")

    def time(self, req: Request) -> Response:
        return json_response({"serverTime": self.sim.now_ms()})

    def system_status(self, req: Request) -> Response:
        return json_response({"status": 0, "msg": "normal"})

    def _symbol_info(self, m: SimMarket) -> dict:
        min_qty = m.min_qty if m.min_qty is not None else m.step
        return {
            "symbol": m.binance_id,
            "status": "TRADING",
            "baseAsset": m.base,
            "baseAssetPrecision": 8,
            "quoteAsset": m.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": [
                "LIMIT",
                "LIMIT_MAKER",
                "MARKET",
                "STOP_LOSS_LIMIT",
                "TAKE_PROFIT_LIMIT",
            ],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "amendAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": f8(m.tick),
                    "maxPrice": f8(Decimal("1000000")),
                    "tickSize": f8(m.tick),
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": f8(min_qty),
                    "maxQty": f8(Decimal("9000000")),
                    "stepSize": f8(m.step),
                },
                {"filterType": "ICEBERG_PARTS", "limit": 10},
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "minQty": f8(Decimal(0)),
                    "maxQty": f8(Decimal("100000")),
                    "stepSize": f8(Decimal(0)),
                },
                {
                    "filterType": "TRAILING_DELTA",
                    "minTrailingAboveDelta": 10,
                    "maxTrailingAboveDelta": 2000,
                    "minTrailingBelowDelta": 10,
                    "maxTrailingBelowDelta": 2000,
                },
                {
                    "filterType": "PERCENT_PRICE_BY_SIDE",
                    "bidMultiplierUp": "5",
                    "bidMultiplierDown": "0.2",
                    "askMultiplierUp": "5",
                    "askMultiplierDown": "0.2",
                    "avgPriceMins": 5,
                },
                {
                    "filterType": "NOTIONAL",
                    "minNotional": f8(m.min_notional),
                    "applyMinToMarket": True,
                    "maxNotional": f8(Decimal("9000000")),
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
                {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": [
                "EXPIRE_TAKER",
                "EXPIRE_MAKER",
                "EXPIRE_BOTH",
                "DECREMENT",
            ],
        }

    def exchange_info(self, req: Request) -> Response:
        wanted = self._symbols_param(req)
        if wanted is None:
            if self._symbols_json is None:
                self._symbols_json = jbytes(
                    [self._symbol_info(m) for m in self.ds.binance_markets.values()]
                )
            symbols = self._symbols_json
        else:
            symbols = jbytes([self._symbol_info(m) for m in wanted])
        head = jbytes(
            {
                "timezone": "UTC",
                "serverTime": self.sim.now_ms(),
                "rateLimits": [
                    {
                        "rateLimitType": "REQUEST_WEIGHT",
                        "interval": "MINUTE",
                        "intervalNum": 1,
                        "limit": 6000,
                    },
                    {
                        "rateLimitType": "ORDERS",
                        "interval": "SECOND",
                        "intervalNum": 10,
                        "limit": 100,
                    },
                    {
                        "rateLimitType": "ORDERS",
                        "interval": "DAY",
                        "intervalNum": 1,
                        "limit": 200000,
                    },
                    {
                        "rateLimitType": "RAW_REQUESTS",
                        "interval": "MINUTE",
                        "intervalNum": 5,
                        "limit": 61000,
                    },
                ],
                "exchangeFilters": [],
            }
        )
        return Response(200, head[:-1] + b',"symbols":' + symbols + b"}")

    def _last(self, m: SimMarket) -> Decimal:
        hist = self.ds.prices.get(m.symbol)
        p = hist.at(self.sim.now_ms()) if hist is not None else None
        if p is None and hist is not None and len(hist):
            p = hist.prices[0]
        return p if p is not None else Decimal(0)

    def _one_or_list(self, req: Request, make: Callable[[SimMarket], dict]) -> Response:
        single = req.arg("symbol")
        markets = self._symbols_param(req)
        if markets is None:
            markets = list(self.ds.binance_markets.values())
        items = [make(m) for m in markets]
        return json_response(items[0] if single else items)

    def ticker_price(self, req: Request) -> Response:
        return self._one_or_list(
            req, lambda m: {"symbol": m.binance_id, "price": f8(self._last(m))}
        )

    def book_ticker(self, req: Request) -> Response:
        def make(m: SimMarket) -> dict:
            last = self._last(m)
            return {
                "symbol": m.binance_id,
                "bidPrice": f8(last),
                "bidQty": f8(Decimal(1)),
                "askPrice": f8(last + m.tick),
                "askQty": f8(Decimal(1)),
            }

        return self._one_or_list(req, make)

    def avg_price(self, req: Request) -> Response:
        m = self._market(req)
        return json_response(
            {"mins": 5, "price": f8(self._last(m)), "closeTime": self.sim.now_ms()}
        )

    def ticker_24hr(self, req: Request) -> Response:
        now = self.sim.now_ms()

        def make(m: SimMarket) -> dict:
            hist = self.ds.prices.get(m.symbol)
            if hist is None or not len(hist):
                z = Decimal(0)
                s = {"open": z, "high": z, "low": z, "last": z, "count": 0}
            else:
                s = stats_24h(hist, now)
            o, last = s["open"], s["last"]
            change = last - o
            pct = (change / o * 100).quantize(Decimal("0.001")) if o else Decimal(0)
            vol = Decimal(s["count"])
            return {
                "symbol": m.binance_id,
                "priceChange": f8(change),
                "priceChangePercent": format(pct, "f"),
                "weightedAvgPrice": f8(last),
                "prevClosePrice": f8(o),
                "lastPrice": f8(last),
                "lastQty": f8(Decimal(1)),
                "bidPrice": f8(last),
                "bidQty": f8(Decimal(1)),
                "askPrice": f8(last + m.tick),
                "askQty": f8(Decimal(1)),
                "openPrice": f8(o),
                "highPrice": f8(s["high"]),
                "lowPrice": f8(s["low"]),
                "volume": f8(vol),
                "quoteVolume": f8(vol * last),
                "openTime": now - DAY_MS,
                "closeTime": now,
                "firstId": -1,
                "lastId": -1,
                "count": s["count"],
            }

        return self._one_or_list(req, make)

    def klines(self, req: Request) -> Response:
        m = self._market(req)
        interval = req.arg("interval")
        if not interval:
            raise _mandatory("interval")
        iv = INTERVALS.get(interval)
        if iv is None:
            raise BinanceError(400, -1120, "Invalid interval.")
        limit = _int_param(req, "limit") or 500
        limit = max(1, min(limit, 1000))
        start = _int_param(req, "startTime")
        end = _int_param(req, "endTime")
        hist = self.ds.prices.get(m.symbol)
        if hist is None:
            return Response(200, b"[]")
        now = self.sim.now_ms()
        rows = []
        for o in candle_opens(hist, iv, now, start, end, limit):
            op, hi, lo, cl, n = candle(hist, o, iv, now)
            vol = Decimal(n)
            rows.append(
                [
                    o,
                    f8(op),
                    f8(hi),
                    f8(lo),
                    f8(cl),
                    f8(vol),
                    o + iv - 1,
                    f8(vol * cl),
                    n,
                    f8(vol / 2),
                    f8(vol * cl / 2),
                    "0",
                ]
            )
        return json_response(rows)

    # ---- signed --------------------------------------------------------------------------

    def account(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        omit_zero = (req.arg("omitZeroBalances") or "").lower() == "true"
        with acct.lock:
            rows = [
                {"asset": a, "free": f8(fr), "locked": f8(lk)}
                for a, (fr, lk) in sorted(acct.balances.items())
                if not (omit_zero and fr == 0 and lk == 0)
            ]
        perms = acct.permissions
        return json_response(
            {
                "makerCommission": 10,
                "takerCommission": 10,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "commissionRates": {
                    "maker": "0.00100000",
                    "taker": "0.00100000",
                    "buyer": "0.00000000",
                    "seller": "0.00000000",
                },
                "canTrade": bool(perms.get("enableSpotAndMarginTrading", False)),
                "canWithdraw": bool(perms.get("enableWithdrawals", False)),
                "canDeposit": True,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": self.sim.now_ms(),
                "accountType": "SPOT",
                "balances": rows,
                "permissions": ["SPOT"],
                "uid": acct.uid,
            }
        )

    def _per_symbol(self, acct: SimAccount) -> dict[str, _TradeIndex]:
        """Trade indexes of an account, rebuilt when its version changes. Keys of the same
        account share the trade list, hence the cache key ``id(acct.trades)``."""
        with self._lock:
            key = id(acct.trades)
            cached = self._indexes.get(key)
            if cached is not None and cached[0] == acct.version:
                return cached[1]
            with acct.lock:
                version = acct.version
                by_sym: dict[str, list] = {}
                for t in acct.trades:
                    by_sym.setdefault(t.symbol, []).append(t)
            per = {}
            for sym, lst in by_sym.items():
                mk = self.ds.binance_markets.get(sym)
                per[sym] = _TradeIndex(lst, mk.binance_id if mk else sym.replace("/", ""))
            self._indexes[key] = (version, per)
            return per

    def warm(self) -> None:
        """Precompute every account's trade pages (called by ``SimExchange.start``)."""
        for acct in list(self.ds.accounts.values()):
            if acct.exchange == "binance":
                self._per_symbol(acct)

    def _trade_index(self, acct: SimAccount, m: SimMarket) -> _TradeIndex:
        idx = self._per_symbol(acct).get(m.symbol)
        return idx if idx is not None else _TradeIndex([], m.binance_id)

    def my_trades(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        m = self._market(req)
        limit = _int_param(req, "limit")
        if limit is None:
            limit = 500
        if not 1 <= limit <= 1000:
            raise BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        from_id = _int_param(req, "fromId")
        start = _int_param(req, "startTime")
        end = _int_param(req, "endTime")
        order_id = _int_param(req, "orderId")
        if from_id is not None and (start is not None or end is not None):
            raise BinanceError(400, -1128, "Combination of optional parameters invalid.")
        if start is not None and end is not None and end - start > DAY_MS:
            raise BinanceError(400, -1127, "More than 24 hours between startTime and endTime.")
        idx = self._trade_index(acct, m)
        n = len(idx.ids)
        if order_id is not None:
            sel = [i for i in range(n) if idx.order_ids[i] == order_id]
            if from_id is not None:
                sel = [i for i in sel if idx.ids[i] >= from_id]
            frags = [idx.frags[i] for i in sel[:limit]]
            return Response(200, b"[" + b",".join(frags) + b"]")
        if from_id is not None:
            i = bisect.bisect_left(idx.ids, from_id)
            j = min(n, i + limit)
        elif start is not None:
            stop = end if end is not None else start + DAY_MS
            i = bisect.bisect_left(idx.times, start)
            j = min(bisect.bisect_right(idx.times, stop), i + limit)
        elif end is not None:
            j = bisect.bisect_right(idx.times, end)
            lo = bisect.bisect_left(idx.times, end - DAY_MS)
            i = max(lo, j - limit)
        else:
            j = n
            i = max(0, n - limit)
        return Response(200, b"[" + b",".join(idx.frags[i:j]) + b"]")

    def _window(self, req: Request) -> tuple[int, int]:
        now = self.sim.now_ms()
        start = _int_param(req, "startTime")
        end = _int_param(req, "endTime")
        if end is None:
            end = now
        if start is None:
            start = end - NINETY_DAYS_MS
        if end - start > NINETY_DAYS_MS:
            raise BinanceError(400, -1127, "More than 90 days between startTime and endTime.")
        if end < start:
            raise BinanceError(400, -1127, "startTime cannot be greater than endTime.")
        return start, end

    def _page(self, req: Request, items: list) -> list:
        offset = _int_param(req, "offset") or 0
        limit = _int_param(req, "limit") or 1000
        limit = max(1, min(limit, 1000))
        return items[offset : offset + limit]

    def deposits(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        start, end = self._window(req)
        coin = req.arg("coin")
        status = req.arg("status")
        with acct.lock:
            rows = [
                d
                for d in acct.deposits
                if start <= d.time <= end and (not coin or d.asset == coin.upper())
            ]
        rows.sort(key=lambda d: d.time, reverse=True)
        out = [self._deposit(d) for d in rows]
        if status is not None:
            out = [o for o in out if str(o["status"]) == status]
        return json_response(self._page(req, out))

    @staticmethod
    def _deposit(d: SimTransfer) -> dict:
        status = {"ok": 1, "pending": 0, "failed": 2}.get(d.status, 1)
        return {
            "id": d.id,
            "amount": format(d.amount, "f"),
            "coin": d.asset,
            "network": d.network or d.asset,
            "status": status,
            "address": d.address,
            "addressTag": "",
            "txId": d.txid,
            "insertTime": d.time,
            "completeTime": d.time + 60_000 if d.status == "ok" else None,
            "transferType": 0,
            "confirmTimes": "12/12",
            "unlockConfirm": 0,
            "walletType": 0,
        }

    def withdrawals(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        start, end = self._window(req)
        coin = req.arg("coin")
        status = req.arg("status")
        with acct.lock:
            rows = [
                w
                for w in acct.withdrawals
                if start <= w.time <= end and (not coin or w.asset == coin.upper())
            ]
        rows.sort(key=lambda w: w.time, reverse=True)
        out = [self._withdrawal(w) for w in rows]
        if status is not None:
            out = [o for o in out if str(o["status"]) == status]
        return json_response(self._page(req, out))

    @staticmethod
    def _withdrawal(w: SimTransfer) -> dict:
        from datetime import UTC, datetime

        def fmt(t: int) -> str:
            return datetime.fromtimestamp(t / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")

        status = {"ok": 6, "pending": 4, "failed": 5}.get(w.status, 6)
        row = {
            "id": w.id,
            "amount": format(w.amount, "f"),
            "transactionFee": format(w.fee, "f"),
            "coin": w.asset,
            "status": status,
            "address": w.address,
            "txId": w.txid,
            "applyTime": fmt(w.time),
            "network": w.network or w.asset,
            "transferType": 0,
            "info": "",
            "confirmNo": 12,
            "walletType": 0,
            "txKey": "",
        }
        if w.status == "ok":
            row["completeTime"] = fmt(w.time + 300_000)
        return row

    def api_restrictions(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        body = {"ipRestrict": False, "createTime": acct.created_ms}
        body.update({k: v for k, v in acct.permissions.items()})
        return json_response(body)

    def account_status(self, req: Request) -> Response:
        return json_response({"data": "Normal"})

    def capital_config(self, req: Request) -> Response:
        acct: SimAccount = req.account  # type: ignore[attr-defined]
        assets = set()
        for m in self.ds.binance_markets.values():
            assets.update((m.base, m.quote))
        with acct.lock:
            assets.update(acct.balances)
            bal = dict(acct.balances)
        out = []
        for a in sorted(assets):
            fr, lk = bal.get(a, (Decimal(0), Decimal(0)))
            out.append(
                {
                    "coin": a,
                    "depositAllEnable": True,
                    "withdrawAllEnable": True,
                    "name": ASSET_NAMES.get(a, a),
                    "free": f8(fr),
                    "locked": f8(lk),
                    "freeze": "0",
                    "withdrawing": "0",
                    "ipoing": "0",
                    "ipoable": "0",
                    "storage": "0",
                    "isLegalMoney": False,
                    "trading": True,
                    "networkList": [
                        {
                            "network": a if a not in ("USDT", "USDC", "LINK") else "ETH",
                            "coin": a,
                            "withdrawIntegerMultiple": "0.00000001",
                            "isDefault": True,
                            "depositEnable": True,
                            "withdrawEnable": True,
                            "depositDesc": "",
                            "withdrawDesc": "",
                            "specialTips": "",
                            "name": ASSET_NAMES.get(a, a),
                            "resetAddressStatus": False,
                            "addressRegex": "",
                            "memoRegex": "",
                            "withdrawFee": "0.001",
                            "withdrawMin": "0.002",
                            "withdrawMax": "9999999999.99999999",
                            "minConfirm": 12,
                            "unLockConfirm": 0,
                            "sameAddress": False,
                            "estimatedArrivalTime": 5,
                            "busy": False,
                        }
                    ],
                }
            )
        return json_response(out)
