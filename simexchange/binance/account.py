"""Binance account endpoints: the balances (``GET /api/v3/account``), the trade list
(``GET /api/v3/myTrades``: fromId / startTime+endTime within 24 h / orderId, limit <= 1000) and
the key's restrictions (``GET /sapi/v1/account/apiRestrictions``), in the shapes of the Binance
Spot API docs ("Account information", "Account trade list") and Wallet docs ("Get API Key
Permission"), as ccxt's ``ts/src/test/static/response/binance.json`` records them."""

from __future__ import annotations

import bisect
import threading

from .._wire import Request, Response, f8, json_response
from ..datasets.model import SimAccount, SimMarket, SimTrade
from ..datasets.times import DAY_MS
from ..host import SimHost
from .errors import BinanceError, int_param
from .symbols import BinanceMarkets


class _TradeIndex:
    """Per (account, symbol): trades sorted by id, with their JSON precomputed."""

    __slots__ = ("frags", "ids", "order_ids", "times")

    def __init__(self, trades: list[SimTrade], market_id: str) -> None:
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


class AccountEndpoints:
    def __init__(self, host: SimHost, markets: BinanceMarkets) -> None:
        self.host = host
        self.markets = markets
        self.ds = host.dataset
        self._lock = threading.Lock()
        # id(account.trades) -> (account version, trade index per symbol)
        self._indexes: dict[int, tuple[int, dict[str, _TradeIndex]]] = {}

    def account(self, req: Request) -> Response:
        acct = req.signed_account()
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
                "updateTime": self.host.now_ms(),
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
                by_sym: dict[str, list[SimTrade]] = {}
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
        acct = req.signed_account()
        m = self.markets.required(req)
        limit = int_param(req, "limit")
        if limit is None:
            limit = 500
        if not 1 <= limit <= 1000:
            raise BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        from_id = int_param(req, "fromId")
        start = int_param(req, "startTime")
        end = int_param(req, "endTime")
        order_id = int_param(req, "orderId")
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

    def api_restrictions(self, req: Request) -> Response:
        acct = req.signed_account()
        body = {"ipRestrict": False, "createTime": acct.created_ms}
        body.update({k: v for k, v in acct.permissions.items()})
        return json_response(body)

    def account_status(self, req: Request) -> Response:
        return json_response({"data": "Normal"})
