"""Binance spot REST, as ccxt's ``binance`` class calls it (paths /api/v3/*, /sapi/v1/*).

Signed endpoints check the key, the clock and the HMAC signature like Binance (``auth.py``);
errors are Binance's ``{"code", "msg"}`` bodies (``errors.py``). The endpoint families live in
``market_data.py``, ``exchange_info.py``, ``account.py``, ``wallet.py``, ``retail.py`` (Convert,
fiat, dust, distributions) and ``earn.py`` (Simple Earn, Funding); ``weights.py`` counts each
request's documented weight and answers Binance's weight headers.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from .._wire import Request, Response, json_response
from ..host import SimHost
from .account import AccountEndpoints
from .auth import authenticate
from .earn import EarnEndpoints
from .errors import BinanceError
from .exchange_info import ExchangeInfo
from .market_data import MarketData
from .orders import OrderEndpoints
from .retail import RetailEndpoints
from .symbols import BinanceMarkets
from .wallet import WalletEndpoints
from .weights import WeightMeter

Handler = Callable[[Request], Response | None]


class BinanceAPI:
    def __init__(self, host: SimHost) -> None:
        self.host = host
        self.markets = BinanceMarkets(host.dataset)
        market = MarketData(host, self.markets)
        info = ExchangeInfo(host, self.markets)
        self.account = AccountEndpoints(host, self.markets)
        wallet = WalletEndpoints(host)
        retail = RetailEndpoints(host)
        earn = EarnEndpoints(host)
        self.weights = WeightMeter()
        self.orders = OrderEndpoints(host, self.markets)
        self.routes: dict[str, tuple[Handler, bool]] = {
            # path: (handler, signed)
            "/api/v3/ping": (market.ping, False),
            "/api/v3/time": (market.time, False),
            "/api/v3/exchangeInfo": (info.exchange_info, False),
            "/api/v3/ticker/price": (market.ticker_price, False),
            "/api/v3/ticker/24hr": (market.ticker_24hr, False),
            "/api/v3/ticker": (market.ticker_24hr, False),
            "/api/v3/ticker/bookTicker": (market.book_ticker, False),
            "/api/v3/avgPrice": (market.avg_price, False),
            "/api/v3/klines": (market.klines, False),
            "/api/v3/uiKlines": (market.klines, False),
            "/sapi/v1/system/status": (market.system_status, False),
            "/api/v3/account": (self.account.account, True),
            "/api/v3/myTrades": (self.account.my_trades, True),
            "/sapi/v1/capital/deposit/hisrec": (wallet.deposits, True),
            "/sapi/v1/capital/withdraw/history": (wallet.withdrawals, True),
            "/sapi/v1/account/apiRestrictions": (self.account.api_restrictions, True),
            "/sapi/v1/capital/config/getall": (wallet.capital_config, True),
            "/sapi/v1/account/status": (self.account.account_status, True),
            "/sapi/v1/convert/tradeFlow": (retail.convert_trade_flow, True),
            "/sapi/v1/fiat/payments": (retail.fiat_payments, True),
            "/sapi/v1/fiat/orders": (retail.fiat_orders, True),
            "/sapi/v1/asset/dribblet": (retail.dribblet, True),
            "/sapi/v1/asset/assetDividend": (retail.asset_dividend, True),
            "/sapi/v1/simple-earn/flexible/position": (earn.flexible_position, True),
            "/sapi/v1/simple-earn/locked/position": (earn.locked_position, True),
            "/sapi/v1/simple-earn/flexible/history/rewardsRecord": (earn.flexible_rewards, True),
            "/sapi/v1/simple-earn/locked/history/rewardsRecord": (earn.locked_rewards, True),
            "/sapi/v1/asset/get-funding-asset": (earn.funding_asset, True),
            "/api/v3/order": (self.orders.dispatch, True),
            "/api/v3/order/test": (self.orders.test_order, True),
        }
        # endpoints Binance serves on POST only (the others answer GET)
        self.post_only = {"/sapi/v1/asset/get-funding-asset"}
        # endpoints answering several methods (orders: place, query, cancel)
        self.methods = {"/api/v3/order": {"GET", "POST", "DELETE"}, "/api/v3/order/test": {"POST"}}

    def handle(self, req: Request) -> Response | None:
        route = self.routes.get(req.path)
        if route is None:
            return Response(404, b"", "text/html")
        handler, signed = route
        allowed = self.methods.get(req.path) or {"POST" if req.path in self.post_only else "GET"}
        if req.method not in allowed:
            return Response(404, b"", "text/html")
        if req.method == "POST" and req.body:
            # SIGNED POST: the parameters (signature included) come form-encoded in the body;
            # Binance signs query string + body, so they read as one parameter string.
            body = req.body.decode()
            req.raw_query = "&".join(p for p in (req.raw_query, body) if p)
            req.query = parse_qs(req.raw_query, keep_blank_values=True)
            req.body = b""
        try:
            if signed:
                req.account = authenticate(req, self.host.dataset.accounts, self.host.now_ms())
                self.orders.match(req.account)  # resting orders the price has reached fill
            headers, wait = self.weights.charge(
                req.path,
                req.client,
                req.account.api_key if req.account else None,
                self.host.now_ms(),
            )
            if wait is not None:
                resp = json_response(
                    {
                        "code": -1003,
                        "msg": "Too much request weight used; please use WebSocket Streams "
                        "for live updates to avoid polling the API.",
                    },
                    429,
                )
                resp.headers.append(("Retry-After", str(wait)))
                return resp
            resp = handler(req)
            if resp is None:  # an order accepted, its answer dropped (fault switch)
                return None
            resp.headers.extend(headers)
            return resp
        except BinanceError as e:
            return e.response()

    def warm(self) -> None:
        """Precompute every account's trade pages (called by ``SimExchange.start``)."""
        self.account.warm()
