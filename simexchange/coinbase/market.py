"""Coinbase Advanced Trade market data: server time, products (the spot markets, with
base_increment/quote_increment), a product's ticker, best bid/ask and candles, computed from the
dataset's price paths (Coinbase Advanced Trade API reference, "Products" and "Public"; shapes as
in ccxt's ``ts/src/test/static/response/coinbase.json``)."""

from __future__ import annotations

import bisect
from decimal import Decimal

from .._wire import Request, Response, iso_micro, json_response, plain
from ..candles import candle, stats_24h
from ..datasets.model import SimMarket
from ..datasets.times import iso_ms
from ..host import SimHost
from .errors import int_arg, invalid
from .venue import CURRENCY_NAMES, CoinbaseVenue

GRANULARITY = {
    "ONE_MINUTE": 60,
    "FIVE_MINUTE": 300,
    "FIFTEEN_MINUTE": 900,
    "THIRTY_MINUTE": 1800,
    "ONE_HOUR": 3600,
    "TWO_HOUR": 7200,
    "SIX_HOUR": 21600,
    "ONE_DAY": 86400,
}


class MarketEndpoints:
    def __init__(self, host: SimHost, venue: CoinbaseVenue) -> None:
        self.host = host
        self.venue = venue
        self.ds = host.dataset

    def time_v3(self, req: Request) -> Response:
        now = self.host.now_ms()
        return json_response(
            {"iso": iso_ms(now), "epochSeconds": str(now // 1000), "epochMillis": str(now)}
        )

    def _product(self, m: SimMarket) -> dict:
        now = self.host.now_ms()
        hist = self.ds.prices.get(m.symbol)
        last = self.venue.last(m)
        if hist is not None and len(hist):
            s = stats_24h(hist, now)
            pct = (s.last - s.open) / s.open * 100 if s.open else Decimal(0)
            vol = Decimal(s.count)
        else:
            pct, vol = Decimal(0), Decimal(0)
        return {
            "product_id": m.coinbase_id,
            "price": plain(last),
            "price_percentage_change_24h": format(pct.quantize(Decimal("0.00000001")), "f"),
            "volume_24h": plain(vol),
            "volume_percentage_change_24h": "0",
            "base_increment": plain(m.step),
            "quote_increment": plain(m.tick),
            "quote_min_size": plain(m.min_notional),
            "quote_max_size": "150000000",
            "base_min_size": plain(m.min_qty if m.min_qty is not None else m.step),
            "base_max_size": "3400",
            "base_name": CURRENCY_NAMES.get(m.base, m.base),
            "quote_name": CURRENCY_NAMES.get(m.quote, m.quote),
            "watched": False,
            "is_disabled": False,
            "new": False,
            "status": "online",
            "cancel_only": False,
            "limit_only": False,
            "post_only": False,
            "trading_disabled": False,
            "auction_mode": False,
            "product_type": "SPOT",
            "quote_currency_id": m.quote,
            "base_currency_id": m.base,
            "fcm_trading_session_details": None,
            "mid_market_price": "",
            "alias": "",
            "alias_to": [],
            "base_display_symbol": m.base,
            "quote_display_symbol": m.quote,
            "view_only": False,
            "price_increment": plain(m.tick),
            "display_name": f"{m.base}-{m.quote}",
            "product_venue": "CBE",
            "approximate_quote_24h_volume": plain(vol * last),
        }

    def products(self, req: Request) -> Response:
        ptype = (req.arg("product_type") or "").upper()
        if ptype == "FUTURE":
            return json_response({"products": [], "num_products": 0})
        ids = req.args("product_ids")
        if ids:
            markets = [self.venue.by_id[i.upper()] for i in ids if i.upper() in self.venue.by_id]
        else:
            markets = list(self.ds.coinbase_markets.values())
        offset = int_arg(req, "offset", 0)
        limit = int_arg(req, "limit", 0)
        sel = markets[offset : offset + limit] if limit > 0 else markets[offset:]
        return json_response(
            {"products": [self._product(m) for m in sel], "num_products": len(markets)}
        )

    def product(self, req: Request, product_id: str) -> Response:
        return json_response(self._product(self.venue.market(product_id)))

    def product_ticker(self, req: Request, product_id: str) -> Response:
        m = self.venue.market(product_id)
        limit = max(1, min(int_arg(req, "limit", 1), 1000))
        hist = self.ds.prices.get(m.symbol)
        now = self.host.now_ms()
        trades = []
        if hist is not None and len(hist):
            j = bisect.bisect_right(hist.times, now) or 1
            for k, i in enumerate(range(j - 1, max(-1, j - 1 - limit), -1)):
                t = now if k == 0 else hist.times[i]
                trades.append(
                    {
                        "trade_id": str(10_000_000 + i),
                        "product_id": m.coinbase_id,
                        "price": plain(hist.prices[i]),
                        "size": "0.01",
                        "time": iso_micro(t),
                        "side": "BUY" if i % 2 else "SELL",
                        "bid": "",
                        "ask": "",
                    }
                )
        last = self.venue.last(m)
        return json_response(
            {"trades": trades, "best_bid": plain(last), "best_ask": plain(last + m.tick)}
        )

    def best_bid_ask(self, req: Request) -> Response:
        ids = req.args("product_ids")
        markets = (
            [self.venue.market(i) for i in ids] if ids else list(self.ds.coinbase_markets.values())
        )
        now = iso_micro(self.host.now_ms())
        books = []
        for m in markets:
            last = self.venue.last(m)
            books.append(
                {
                    "product_id": m.coinbase_id,
                    "bids": [{"price": plain(last), "size": "1"}],
                    "asks": [{"price": plain(last + m.tick), "size": "1"}],
                    "time": now,
                }
            )
        return json_response({"pricebooks": books})

    def candles(self, req: Request, product_id: str) -> Response:
        m = self.venue.market(product_id)
        gran = req.arg("granularity") or "ONE_MINUTE"
        sec = GRANULARITY.get(gran)
        if sec is None:
            raise invalid("unknown granularity")
        try:
            start = int(req.arg("start") or "")
            end = int(req.arg("end") or "")
        except ValueError:
            raise invalid("start and end are required (unix seconds)") from None
        iv = sec * 1000
        now = self.host.now_ms()
        first_open = -(-start * 1000 // iv) * iv
        last_open = min(end * 1000 - 1, now) // iv * iv
        n = (last_open - first_open) // iv + 1 if last_open >= first_open else 0
        limit = int_arg(req, "limit", 350)
        if n > 350:
            raise invalid("number of candles requested should be less than 350")
        hist = self.ds.prices.get(m.symbol)
        rows = []
        if hist is not None and len(hist):
            first_pt = hist.first_time() // iv * iv
            o = last_open
            while o >= first_open and o >= first_pt and len(rows) < limit:
                op, hi, lo, cl, cnt = candle(hist, o, iv, now)
                rows.append(
                    {
                        "start": str(o // 1000),
                        "low": plain(lo),
                        "high": plain(hi),
                        "open": plain(op),
                        "close": plain(cl),
                        "volume": str(cnt),
                    }
                )
                o -= iv
        return json_response({"candles": rows})
