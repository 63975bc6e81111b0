"""Coinbase Advanced Trade (v3) and Coinbase App (v2) REST, as ccxt's ``coinbase`` class calls
them, with CDP key authentication (a JWT per request, ES256 or EdDSA: ``auth.py``).

A failed authentication answers 401 ``Unauthorized`` (text, like Coinbase), which ccxt raises
as ``AuthenticationError``. The endpoint families: ``market.py`` (v3 public), ``brokerage.py``
and ``fills.py`` (v3 private), ``v2_public.py``, ``v2_accounts.py`` and ``v2_ledger.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .._wire import Request, Response
from ..host import SimHost
from .auth import CdpAuth
from .brokerage import BrokerageEndpoints
from .errors import CoinbaseError, not_found_v2, not_found_v3
from .fills import FillEndpoints
from .market import MarketEndpoints
from .orders import OrderEndpoints
from .v2_accounts import AccountV2Endpoints
from .v2_ledger import LedgerEndpoints
from .v2_public import PublicV2Endpoints
from .venue import CoinbaseVenue

PUBLIC_PREFIXES = ("/api/v3/brokerage/market/", "/v2/currencies", "/v2/prices/")
PUBLIC_PATHS = {"/api/v3/brokerage/time", "/v2/time", "/v2/exchange-rates"}


class CoinbaseAPI:
    def __init__(self, host: SimHost) -> None:
        self.venue = CoinbaseVenue(host)
        self.auth = CdpAuth(host)
        market = MarketEndpoints(host, self.venue)
        public_v2 = PublicV2Endpoints(host, self.venue)
        brokerage = BrokerageEndpoints(host, self.venue)
        self.fills = FillEndpoints(host, self.venue)
        accounts_v2 = AccountV2Endpoints(self.venue)
        ledger = LedgerEndpoints(self.venue)
        self.orders = OrderEndpoints(host, self.venue)
        b = "/api/v3/brokerage"
        self.exact: dict[str, Callable[[Request], Response | None]] = {
            f"{b}/orders": self.orders.create,
            f"{b}/orders/preview": self.orders.preview,
            f"{b}/orders/historical/batch": self.orders.list,
            f"{b}/orders/batch_cancel": self.orders.batch_cancel,
            f"{b}/time": market.time_v3,
            f"{b}/market/products": market.products,
            f"{b}/products": market.products,
            f"{b}/best_bid_ask": market.best_bid_ask,
            f"{b}/transaction_summary": brokerage.transaction_summary,
            f"{b}/key_permissions": brokerage.key_permissions,
            f"{b}/accounts": brokerage.accounts_v3,
            f"{b}/orders/historical/fills": self.fills.fills,
            f"{b}/portfolios": brokerage.portfolios,
            "/v2/time": public_v2.time_v2,
            "/v2/currencies": public_v2.currencies_fiat,
            "/v2/currencies/crypto": public_v2.currencies_crypto,
            "/v2/exchange-rates": public_v2.exchange_rates,
            "/v2/accounts": accounts_v2.accounts_v2,
            "/v2/user": accounts_v2.user,
        }
        self.patterns: list[tuple[re.Pattern[str], Callable[..., Response]]] = [
            (re.compile(rf"^{b}/orders/historical/([^/]+)$"), self.orders.get),
            (re.compile(rf"^{b}/(?:market/)?products/([^/]+)/ticker$"), market.product_ticker),
            (re.compile(rf"^{b}/(?:market/)?products/([^/]+)/candles$"), market.candles),
            (re.compile(rf"^{b}/(?:market/)?products/([^/]+)$"), market.product),
            (re.compile(rf"^{b}/accounts/([^/]+)$"), brokerage.account_v3),
            (re.compile(r"^/v2/accounts/([^/]+)/transactions$"), ledger.transactions),
            (re.compile(r"^/v2/accounts/([^/]+)/deposits$"), ledger.fiat_deposits),
            (re.compile(r"^/v2/accounts/([^/]+)/withdrawals$"), ledger.fiat_withdrawals),
            (re.compile(r"^/v2/accounts/([^/]+)$"), accounts_v2.account_v2),
            (re.compile(r"^/v2/prices/([^/]+)/(spot|buy|sell)$"), public_v2.v2_price),
        ]

    def handle(self, req: Request) -> Response | None:
        """The answer to ``req``; None: an accepted order whose answer is dropped."""
        try:
            fn = self.exact.get(req.path)
            groups: tuple[str, ...] = ()
            if fn is None:
                for pat, f in self.patterns:
                    mt = pat.match(req.path)
                    if mt:
                        fn, groups = f, mt.groups()
                        break
            if fn is None:
                raise not_found_v2() if req.path.startswith("/v2/") else not_found_v3()
            public = req.path in PUBLIC_PATHS or req.path.startswith(PUBLIC_PREFIXES)
            req.account = None if public else self.auth.authenticate(req)
            if req.account is not None:
                self.orders.match(req.account)  # resting orders the price has reached fill
            return fn(req, *groups)
        except CoinbaseError as e:
            return e.resp

    def warm(self) -> None:
        """Precompute every account's fill pages (called by ``SimExchange.start``)."""
        self.fills.warm()
