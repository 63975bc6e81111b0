"""Binance spot market data: ping/time/system status, tickers (price, book, 24hr), avgPrice and
klines, computed from the dataset's price paths (Binance Spot API docs, "General endpoints" and
"Market data endpoints"; shapes as in ccxt's ``ts/src/test/static/response/binance.json``)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from .._wire import Request, Response, f8, json_response
from ..candles import DayStats, candle, candle_opens, stats_24h
from ..datasets.model import SimMarket
from ..datasets.times import DAY_MS
from ..host import SimHost
from .errors import BinanceError, int_param, mandatory
from .symbols import BinanceMarkets

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


class MarketData:
    def __init__(self, host: SimHost, markets: BinanceMarkets) -> None:
        self.host = host
        self.markets = markets
        self.ds = host.dataset

    def ping(self, req: Request) -> Response:
        return Response(200, b"{}")

    def time(self, req: Request) -> Response:
        return json_response({"serverTime": self.host.now_ms()})

    def system_status(self, req: Request) -> Response:
        return json_response({"status": 0, "msg": "normal"})

    def _last(self, m: SimMarket) -> Decimal:
        return self.markets.last(m, self.host.now_ms())

    def _one_or_list(self, req: Request, make: Callable[[SimMarket], dict]) -> Response:
        single = req.arg("symbol")
        markets = self.markets.symbols_param(req)
        if markets is None:
            markets = self.markets.all()
        items = [make(m) for m in markets]
        return json_response(items[0] if single else items)

    def ticker_price(self, req: Request) -> Response:
        # one clock reading for the whole list (the ticker of a real market list is ~2,000 rows)
        now = self.host.now_ms()
        return self._one_or_list(
            req, lambda m: {"symbol": m.binance_id, "price": f8(self.markets.last(m, now))}
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
        m = self.markets.required(req)
        return json_response(
            {"mins": 5, "price": f8(self._last(m)), "closeTime": self.host.now_ms()}
        )

    def ticker_24hr(self, req: Request) -> Response:
        now = self.host.now_ms()

        def make(m: SimMarket) -> dict:
            hist = self.ds.prices.get(m.symbol)
            if hist is None or not len(hist):
                z = Decimal(0)
                s = DayStats(z, z, z, z, 0)
            else:
                s = stats_24h(hist, now)
            o, last = s.open, s.last
            change = last - o
            pct = (change / o * 100).quantize(Decimal("0.001")) if o else Decimal(0)
            vol = Decimal(s.count)
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
                "highPrice": f8(s.high),
                "lowPrice": f8(s.low),
                "volume": f8(vol),
                "quoteVolume": f8(vol * last),
                "openTime": now - DAY_MS,
                "closeTime": now,
                "firstId": -1,
                "lastId": -1,
                "count": s.count,
            }

        return self._one_or_list(req, make)

    def klines(self, req: Request) -> Response:
        m = self.markets.required(req)
        interval = req.arg("interval")
        if not interval:
            raise mandatory("interval")
        iv = INTERVALS.get(interval)
        if iv is None:
            raise BinanceError(400, -1120, "Invalid interval.")
        limit = int_param(req, "limit") or 500
        limit = max(1, min(limit, 1000))
        start = int_param(req, "startTime")
        end = int_param(req, "endTime")
        hist = self.ds.prices.get(m.symbol)
        if hist is None:
            return Response(200, b"[]")
        now = self.host.now_ms()
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
