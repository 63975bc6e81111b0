"""Binance spot orders: ``POST /api/v3/order`` (LIMIT GTC or MARKET, ``newClientOrderId``),
``POST /api/v3/order/test``, ``GET /api/v3/order`` (by ``orderId`` or ``origClientOrderId``) and
``DELETE /api/v3/order``, in the shapes of the Binance Spot API docs ("New order (TRADE)",
"Test new order (TRADE)", "Query order (USER_DATA)", "Cancel order (TRADE)") as ccxt's
``ts/src/test/static/response/binance.json`` records them (createOrder with
``newOrderRespType=FULL``, fetchOrder, cancelOrder).

Refusals are Binance's: -1013 ``Filter failure: PRICE_FILTER | LOT_SIZE | NOTIONAL`` (the
sim's exchangeInfo advertises the NOTIONAL filter, Binance's successor of MIN_NOTIONAL), -2010
``Account has insufficient balance for requested action.``, -2010 ``Duplicate order sent.``
(``newClientOrderId`` is unique among OPEN orders, per the docs: a filled order's id may be
reused, so a client must not count on this refusal for exactly-once), -2013 ``Order does not
exist.``, -2011 ``Unknown order sent.``, -2015 for a key without "Enable Spot & Margin Trading".

A SELL locks its quantity (free -> locked). Orders fill in full, at their limit, when the sim
price reaches it (at once, at the current price, if marketable); a fill becomes a ``myTrades``
row (fee 0.1 % in the quote asset). Matching is lazy: every signed request of the account
first matches its open orders against the current price (``match``).

Fault switch: ``drop_responses(n)`` accepts the next ``n`` orders and drops their responses
(the connection is closed unanswered), to prove the no-duplicate path.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from decimal import Decimal

from .._wire import Request, Response, f8, json_response
from ..datasets.model import SimAccount, SimMarket, SimTrade
from ..host import SimHost
from .errors import BinanceError, mandatory
from .symbols import BinanceMarkets

ZERO = Decimal(0)
FEE_RATE = Decimal("0.001")
OPEN = ("NEW", "PARTIALLY_FILLED")


@dataclass
class SimOrder:
    order_id: int
    client_order_id: str
    market: SimMarket
    side: str  # BUY | SELL
    type: str  # LIMIT | MARKET
    price: Decimal
    orig_qty: Decimal
    time: int
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    status: str = "NEW"
    update_time: int = 0
    fills: tuple[tuple[Decimal, Decimal, Decimal, int], ...] = ()  # price, qty, fee, trade id

    def as_json(self) -> dict[str, object]:
        return {
            "symbol": self.market.binance_id,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "price": f8(self.price),
            "origQty": f8(self.orig_qty),
            "executedQty": f8(self.executed_qty),
            "cummulativeQuoteQty": f8(self.cum_quote),
            "status": self.status,
            "timeInForce": "GTC",
            "type": self.type,
            "side": self.side,
            "stopPrice": "0.00000000",
            "icebergQty": "0.00000000",
            "time": self.time,
            "updateTime": self.update_time or self.time,
            "isWorking": True,
            "workingTime": self.time,
            "origQuoteOrderQty": "0.00000000",
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }


class _Book:
    """The orders of one exchange account (its keys share the trade list)."""

    def __init__(self, trades: list[SimTrade]) -> None:
        self.trades = trades  # held so the id() key cannot be reused
        self.orders: dict[int, SimOrder] = {}
        self.by_client: dict[str, int] = {}


_BOOKS: dict[int, _Book] = {}
_BOOKS_LOCK = threading.Lock()
_ORDER_IDS = itertools.count(5_000_000)


def _book(acct: SimAccount) -> _Book:
    with _BOOKS_LOCK:
        book = _BOOKS.get(id(acct.trades))
        if book is None or book.trades is not acct.trades:
            book = _BOOKS[id(acct.trades)] = _Book(acct.trades)
        return book


def _dec(req: Request, name: str) -> Decimal | None:
    raw = req.arg(name)
    if raw is None or raw == "":
        return None
    try:
        return Decimal(raw)
    except ArithmeticError:
        raise BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'.") from None


def _filter_failure(name: str) -> BinanceError:
    return BinanceError(400, -1013, f"Filter failure: {name}")


class OrderEndpoints:
    def __init__(self, host: SimHost, markets: BinanceMarkets) -> None:
        self.host = host
        self.markets = markets
        self._lock = threading.RLock()
        self._drop = 0

    # ---- fault switch -------------------------------------------------------------------

    def drop_responses(self, count: int = 1) -> None:
        """Accept the next ``count`` orders but close their connections unanswered."""
        with self._lock:
            self._drop = int(count)

    def orders_of(self, acct: SimAccount) -> list[SimOrder]:
        """Every order of the account behind ``acct`` (tests read them directly)."""
        return list(_book(acct).orders.values())

    # ---- matching -----------------------------------------------------------------------

    def match(self, acct: SimAccount) -> None:
        """Fill the account's open orders that the current price has reached."""
        book = _book(acct)
        now = self.host.now_ms()
        with self._lock, acct.lock:
            for order in book.orders.values():
                if order.status not in OPEN:
                    continue
                last = self.host.dataset.price_at(order.market.symbol, now)
                if last is None:
                    continue
                reached = last >= order.price if order.side == "SELL" else last <= order.price
                if reached:
                    self._fill(acct, order, order.price, now)

    def _fill(self, acct: SimAccount, order: SimOrder, price: Decimal, now: int) -> None:
        qty = order.orig_qty - order.executed_qty
        quote = qty * price
        fee = (quote * FEE_RATE).quantize(Decimal("0.00000001"))
        m = order.market
        same = [t.id for t in acct.trades if t.symbol == m.symbol]
        trade_id = (max(same) if same else 1000) + 1
        side = order.side.lower()
        acct.trades.append(
            SimTrade(m.symbol, side, qty, price, fee, m.quote, now, trade_id, order.order_id)
        )
        base_free, base_locked = acct.balances.get(m.base, (ZERO, ZERO))
        quote_free, quote_locked = acct.balances.get(m.quote, (ZERO, ZERO))
        if side == "sell":
            acct.balances[m.base] = (base_free, base_locked - qty)
            acct.balances[m.quote] = (quote_free + quote - fee, quote_locked)
        else:
            acct.balances[m.base] = (base_free + qty, base_locked)
            acct.balances[m.quote] = (quote_free - fee, quote_locked - quote)
        order.executed_qty += qty
        order.cum_quote += quote
        order.status = "FILLED"
        order.update_time = now
        order.fills += ((price, qty, fee, trade_id),)
        for other in self.host.dataset.accounts.values():
            if other.trades is acct.trades:
                other.version += 1

    # ---- endpoints ----------------------------------------------------------------------

    def new_order(self, req: Request) -> Response | None:
        return self._place(req, test=False)

    def test_order(self, req: Request) -> Response | None:
        return self._place(req, test=True)

    def _place(self, req: Request, *, test: bool) -> Response | None:
        acct = req.signed_account()
        if not acct.permissions.get("enableSpotAndMarginTrading", False):
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        m = self.markets.required(req)
        side = (req.arg("side") or "").upper()
        kind = (req.arg("type") or "").upper()
        if side not in ("BUY", "SELL"):
            raise mandatory("side")
        if kind not in ("LIMIT", "MARKET"):
            raise BinanceError(400, -1116, "Invalid orderType.")
        qty = _dec(req, "quantity")
        if qty is None:
            raise mandatory("quantity")
        now = self.host.now_ms()
        last = self.host.dataset.price_at(m.symbol, now) or ZERO
        if kind == "LIMIT":
            if not req.arg("timeInForce"):
                raise mandatory("timeInForce")
            price = _dec(req, "price")
            if price is None:
                raise mandatory("price")
            if price < m.tick or price % m.tick != 0:
                raise _filter_failure("PRICE_FILTER")
        else:
            price = last
        min_qty = m.min_qty if m.min_qty is not None else m.step
        if qty < min_qty or qty % m.step != 0:
            raise _filter_failure("LOT_SIZE")
        if qty * price < m.min_notional:
            raise _filter_failure("NOTIONAL")
        book = _book(acct)
        with self._lock, acct.lock:
            client_id = req.arg("newClientOrderId") or f"sim{next(_ORDER_IDS)}"
            known = book.by_client.get(client_id)
            if known is not None and book.orders[known].status in OPEN:
                raise BinanceError(400, -2010, "Duplicate order sent.")
            asset, need = (m.base, qty) if side == "SELL" else (m.quote, qty * price)
            free, locked = acct.balances.get(asset, (ZERO, ZERO))
            if free < need:
                raise BinanceError(
                    400, -2010, "Account has insufficient balance for requested action."
                )
            if test:
                return json_response({})
            acct.balances[asset] = (free - need, locked + need)
            order = SimOrder(next(_ORDER_IDS), client_id, m, side, kind, price, qty, now)
            book.orders[order.order_id] = order
            book.by_client[client_id] = order.order_id
            marketable = (side == "SELL" and last >= price) or (side == "BUY" and last <= price)
            if last and marketable:
                self._fill(acct, order, max(price, last) if side == "SELL" else price, now)
            drop = self._drop > 0
            if drop:
                self._drop -= 1
        if drop:
            return None  # accepted, the answer lost on the way
        body = order.as_json()
        body["transactTime"] = now
        body["fills"] = [
            {
                "price": f8(p),
                "qty": f8(q),
                "commission": f8(fee),
                "commissionAsset": m.quote,
                "tradeId": tid,
            }
            for p, q, fee, tid in order.fills
        ]
        return json_response(body)

    def _find(self, req: Request, acct: SimAccount) -> SimOrder | None:
        book = _book(acct)
        self.markets.required(req)
        raw_id = req.arg("orderId")
        client_id = req.arg("origClientOrderId")
        if not raw_id and not client_id:
            raise BinanceError(
                400,
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        if raw_id:
            try:
                return book.orders.get(int(raw_id))
            except ValueError:
                raise BinanceError(400, -1100, "Illegal characters in 'orderId'.") from None
        known = book.by_client.get(client_id or "")
        return book.orders.get(known) if known is not None else None

    def query_order(self, req: Request) -> Response:
        acct = req.signed_account()
        order = self._find(req, acct)
        if order is None:
            raise BinanceError(400, -2013, "Order does not exist.")
        return json_response(order.as_json())

    def cancel_order(self, req: Request) -> Response:
        acct = req.signed_account()
        with self._lock, acct.lock:
            order = self._find(req, acct)
            if order is None or order.status not in OPEN:
                raise BinanceError(400, -2011, "Unknown order sent.")
            m = order.market
            rest = order.orig_qty - order.executed_qty
            asset, held = (m.base, rest) if order.side == "SELL" else (m.quote, rest * order.price)
            free, locked = acct.balances.get(asset, (ZERO, ZERO))
            acct.balances[asset] = (free + held, locked - held)
            order.status = "CANCELED"
            order.update_time = self.host.now_ms()
        body = order.as_json()
        body["origClientOrderId"] = order.client_order_id
        body["transactTime"] = order.update_time
        return json_response(body)

    def dispatch(self, req: Request) -> Response | None:
        """``/api/v3/order``: POST places, GET queries, DELETE cancels."""
        if req.method == "POST":
            return self.new_order(req)
        if req.method == "DELETE":
            return self.cancel_order(req)
        return self.query_order(req)
