"""``GET /api/v3/exchangeInfo``: the spot markets with their filters (PRICE_FILTER tickSize,
LOT_SIZE stepSize/minQty, NOTIONAL minNotional), in the shape of Binance Spot API docs,
"Exchange information" (as recorded in ccxt's ``ts/src/test/static/response/binance.json``)."""

from __future__ import annotations

import threading
from decimal import Decimal

from .._wire import Request, Response, f8, jbytes
from ..datasets.model import SimMarket
from ..host import SimHost
from .symbols import BinanceMarkets


class ExchangeInfo:
    def __init__(self, host: SimHost, markets: BinanceMarkets) -> None:
        self.host = host
        self.markets = markets
        # every market's JSON, built once (ccxt's load_markets asks for all of them)
        self._all_json: bytes | None = None
        self._lock = threading.Lock()

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
        wanted = self.markets.symbols_param(req)
        if wanted is None:
            with self._lock:
                if self._all_json is None:
                    self._all_json = jbytes([self._symbol_info(m) for m in self.markets.all()])
                symbols = self._all_json
        else:
            symbols = jbytes([self._symbol_info(m) for m in wanted])
        head = jbytes(
            {
                "timezone": "UTC",
                "serverTime": self.host.now_ms(),
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
