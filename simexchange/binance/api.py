"""Binance spot REST, as ccxt's ``binance`` class calls it (paths /api/v3/*, /sapi/v1/*).

Signed endpoints check the key, the clock and the HMAC signature like Binance (``auth.py``);
errors are Binance's ``{"code", "msg"}`` bodies (``errors.py``). The endpoint families live in
``market_data.py``, ``exchange_info.py``, ``account.py`` and ``wallet.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from .._wire import Request, Response
from ..host import SimHost
from .account import AccountEndpoints
from .auth import authenticate
from .errors import BinanceError
from .exchange_info import ExchangeInfo
from .market_data import MarketData
from .symbols import BinanceMarkets
from .wallet import WalletEndpoints

Handler = Callable[[Request], Response]


class BinanceAPI:
    def __init__(self, host: SimHost) -> None:
        self.host = host
        self.markets = BinanceMarkets(host.dataset)
        market = MarketData(host, self.markets)
        info = ExchangeInfo(host, self.markets)
        self.account = AccountEndpoints(host, self.markets)
        wallet = WalletEndpoints(host)
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
        }

    def handle(self, req: Request) -> Response:
        route = self.routes.get(req.path)
        if route is None:
            return Response(404, b"", "text/html")
        handler, signed = route
        try:
            if signed:
                req.account = authenticate(req, self.host.dataset.accounts, self.host.now_ms())
            return handler(req)
        except BinanceError as e:
            return e.response()

    def warm(self) -> None:
        """Precompute every account's trade pages (called by ``SimExchange.start``)."""
        self.account.warm()
