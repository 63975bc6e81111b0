"""Coinbase Advanced Trade orders: ``POST /api/v3/brokerage/orders`` (``limit_limit_gtc`` and
``market_market_ioc``, ``client_order_id``), ``POST /api/v3/brokerage/orders/preview``,
``GET /api/v3/brokerage/orders/historical/{order_id}``, ``GET .../orders/historical/batch``
(the list, filtered by product and status, newest first) and
``POST /api/v3/brokerage/orders/batch_cancel``, in the shapes of the Coinbase Advanced Trade API
reference ("Create Order", "Preview Order", "Get Order", "List Orders", "Cancel Orders") as
ccxt's ``coinbase.create_order`` / ``parse_order`` / ``cancel_orders`` comments and
``ts/src/test/static/response/coinbase.json`` record them.

- A refused order answers 200 ``{"success": false, "error_response": {"error":
  "INSUFFICIENT_FUND", "preview_failure_reason": "PREVIEW_INSUFFICIENT_FUND", ...}}`` (ccxt
  raises ``InsufficientFunds``), or ``INVALID_SIZE_PRECISION`` / ``INVALID_PRICE_PRECISION`` /
  ``PREVIEW_INVALID_BASE_SIZE_TOO_SMALL`` / ``PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL`` for
  ``base_increment``, ``quote_increment``, ``base_min_size`` and ``quote_min_size``.
- ``client_order_id``: "If the ID provided is not unique, the order will not be created and the
  order corresponding with that ID will be returned instead" (Create Order reference): a second
  POST with the same id answers the first order, never a second one.
- A key without ``can_trade`` gets 403 ``PERMISSION_DENIED`` (ccxt ``PermissionDenied``).
- A SELL holds its base size (available -> hold). Matching is lazy, as for Binance: every
  signed request of the account first fills resting orders the current price has reached
  (in full, at the limit). ``fill(acct, order_id, qty)`` fills part of an order (tests:
  partial fills). Partially filled orders stay ``OPEN`` with ``filled_size`` > 0, as on
  Coinbase. A fill is a ``SimTrade`` (commission 0.4 % in the quote) the fills endpoint lists.
- Fault switch: ``drop_responses(n)`` accepts the next ``n`` orders and drops their answers.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal

from .._wire import Request, Response, json_response, plain
from ..datasets.ids import sim_uuid
from ..datasets.model import SimAccount, SimMarket, SimTrade
from ..host import SimHost
from .errors import CoinbaseError, int_arg, invalid, not_found_v3
from .order_model import FEE_RATE, ZERO, Book, CbOrder, dec, failure
from .venue import CoinbaseVenue


class OrderEndpoints:
    def __init__(self, host: SimHost, venue: CoinbaseVenue) -> None:
        self.host = host
        self.venue = venue
        self._lock = threading.RLock()
        self._books: dict[int, Book] = {}
        self._drop = 0
        self._nums = 7_000_000

    # ---- test hooks ---------------------------------------------------------------------

    def drop_responses(self, count: int = 1) -> None:
        """Accept the next ``count`` orders but close their connections unanswered."""
        with self._lock:
            self._drop = int(count)

    def _book(self, acct: SimAccount) -> Book:
        with self._lock:
            book = self._books.get(id(acct.trades))
            if book is None or book.trades is not acct.trades:
                book = self._books[id(acct.trades)] = Book(acct.trades)
            return book

    def orders_of(self, acct: SimAccount) -> list[CbOrder]:
        return list(self._book(acct).orders.values())

    def fill(
        self, acct: SimAccount, order_id: str, qty: Decimal | str, price: Decimal | None = None
    ) -> CbOrder:
        """Fill ``qty`` more of an open order (at its limit unless ``price``): partial fills."""
        with self._lock, acct.lock:
            order = self._book(acct).orders[order_id]
            if order.status != "OPEN":
                raise ValueError(f"order {order_id} is {order.status}")
            self._fill(acct, order, Decimal(qty), price or order.price)
            return order

    def match(self, acct: SimAccount) -> None:
        """Fill the account's resting orders that the current price has reached."""
        with self._lock, acct.lock:
            for order in self._book(acct).orders.values():
                if order.status != "OPEN":
                    continue
                last = self.venue.last(order.market)
                if not last:
                    continue
                if (order.side == "SELL" and last >= order.price) or (
                    order.side == "BUY" and last <= order.price
                ):
                    self._fill(acct, order, order.size - order.filled, order.price)

    def _fill(self, acct: SimAccount, order: CbOrder, qty: Decimal, price: Decimal) -> None:
        qty = min(qty, order.size - order.filled)
        if qty <= 0:
            return
        now = self.host.now_ms()
        m = order.market
        value = qty * price
        fee = (value * FEE_RATE).quantize(Decimal("0.00000001"))
        seq = max((t.id for t in acct.trades), default=100000) + 1
        side = order.side.lower()
        acct.trades.append(SimTrade(m.symbol, side, qty, price, fee, m.quote, now, seq, order.num))
        base_free, base_hold = acct.balances.get(m.base, (ZERO, ZERO))
        quote_free, quote_hold = acct.balances.get(m.quote, (ZERO, ZERO))
        if side == "sell":
            acct.balances[m.base] = (base_free, base_hold - qty)
            acct.balances[m.quote] = (quote_free + value - fee, quote_hold)
        else:
            acct.balances[m.base] = (base_free + qty, base_hold)
            held = qty * order.price
            acct.balances[m.quote] = (quote_free + held - value - fee, quote_hold - held)
        order.filled += qty
        order.filled_value += value
        order.fees += fee
        order.fills += 1
        order.last_fill = now
        if order.filled >= order.size:
            order.status = "FILLED"
        for other in self.host.dataset.accounts.values():
            if other.trades is acct.trades:
                other.version += 1

    # ---- endpoints ----------------------------------------------------------------------

    def _user(self, acct: SimAccount) -> str:
        return sim_uuid("cb-user", acct.uid)

    def _parse(self, req: Request) -> tuple[dict, SimMarket, str, str, Decimal, Decimal | None]:
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            raise invalid("invalid JSON body") from None
        if not isinstance(body, dict):
            raise invalid("invalid JSON body")
        m = self.venue.market(str(body.get("product_id") or ""))
        side = str(body.get("side") or "").upper()
        if side not in ("BUY", "SELL"):
            raise invalid("invalid side")
        config = body.get("order_configuration") or {}
        if "limit_limit_gtc" in config:
            c = config["limit_limit_gtc"] or {}
            size, price = dec(c.get("base_size"), "base_size"), dec(c.get("limit_price"), "price")
            return body, m, side, "LIMIT", size, price
        if "market_market_ioc" in config and (config["market_market_ioc"] or {}).get("base_size"):
            size = dec(config["market_market_ioc"]["base_size"], "base_size")
            return body, m, side, "MARKET", size, None
        raise CoinbaseError(
            failure(
                "UNSUPPORTED_ORDER_CONFIGURATION",
                "PREVIEW_INVALID_ORDER_CONFIG",
                "the sim supports limit_limit_gtc and market_market_ioc (base_size)",
                config,
            )
        )

    def _check(
        self,
        acct: SimAccount,
        m: SimMarket,
        side: str,
        size: Decimal,
        price: Decimal,
        config: object,
    ) -> None:
        """The product's rules and the balance, as Coinbase's preview checks them."""
        if size % m.step != 0:
            raise CoinbaseError(
                failure(
                    "INVALID_SIZE_PRECISION", "PREVIEW_INVALID_SIZE_PRECISION",
                    f"base_size must be a multiple of base_increment {plain(m.step)}", config,
                )
            )  # fmt: skip
        if price % m.tick != 0:
            raise CoinbaseError(
                failure(
                    "INVALID_PRICE_PRECISION", "PREVIEW_INVALID_PRICE_PRECISION",
                    f"limit_price must be a multiple of quote_increment {plain(m.tick)}", config,
                )
            )  # fmt: skip
        min_size = m.min_qty if m.min_qty is not None else m.step
        if size < min_size:
            raise CoinbaseError(
                failure(
                    "INVALID_ARGUMENT", "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL",
                    f"base_size is below base_min_size {plain(min_size)}", config,
                )
            )  # fmt: skip
        if size * price < m.min_notional:
            raise CoinbaseError(
                failure(
                    "INVALID_ARGUMENT", "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL",
                    f"order value is below quote_min_size {plain(m.min_notional)}", config,
                )
            )  # fmt: skip
        asset, need = (m.base, size) if side == "SELL" else (m.quote, size * price)
        if acct.balances.get(asset, (ZERO, ZERO))[0] < need:
            raise CoinbaseError(
                failure(
                    "INSUFFICIENT_FUND", "PREVIEW_INSUFFICIENT_FUND",
                    "Insufficient balance in source account", config,
                )
            )  # fmt: skip

    def _trader(self, req: Request) -> SimAccount:
        acct = req.signed_account()
        if not acct.permissions.get("can_trade", False):
            raise CoinbaseError(
                json_response(
                    {
                        "error": "PERMISSION_DENIED",
                        "error_details": "Missing required scopes",
                        "message": "Missing required scopes",
                    },
                    403,
                )
            )
        return acct

    def create(self, req: Request) -> Response | None:
        acct = self._trader(req)
        body, m, side, kind, size, limit = self._parse(req)
        config = body.get("order_configuration")
        client_id = str(body.get("client_order_id") or "") or sim_uuid("cb-client", self._nums)
        last = self.venue.last(m)
        price = limit if limit is not None else last
        book = self._book(acct)
        with self._lock, acct.lock:
            known = book.by_client.get(client_id)
            if known is not None:  # not unique: the existing order is returned, none created
                order = book.orders[known]
            else:
                self._check(acct, m, side, size, price, config)
                self._nums += 1
                num = self._nums
                order = CbOrder(
                    num, sim_uuid("cb-order", acct.uid, num), client_id, m, side, kind,
                    price, size, self.host.now_ms(),
                )  # fmt: skip
                asset, need = (m.base, size) if side == "SELL" else (m.quote, size * price)
                free, hold = acct.balances.get(asset, (ZERO, ZERO))
                acct.balances[asset] = (free - need, hold + need)
                book.orders[order.order_id] = order
                book.by_client[client_id] = order.order_id
                marketable = (side == "SELL" and last >= price) or (side == "BUY" and last <= price)
                if last and marketable:
                    fill_at = max(price, last) if side == "SELL" else price
                    self._fill(acct, order, size, fill_at)
            drop = self._drop > 0
            if drop:
                self._drop -= 1
        if drop:
            return None  # accepted, the answer lost on the way
        return json_response(
            {
                "success": True,
                "failure_reason": "UNKNOWN_FAILURE_REASON",
                "order_id": order.order_id,
                "success_response": {
                    "order_id": order.order_id,
                    "product_id": m.coinbase_id,
                    "side": order.side,
                    "client_order_id": order.client_order_id,
                },
                "order_configuration": order.config(),
            }
        )

    def preview(self, req: Request) -> Response:
        acct = self._trader(req)
        body, m, side, _kind, size, limit = self._parse(req)
        price = limit if limit is not None else self.venue.last(m)
        errs: list[str] = []
        try:
            self._check(acct, m, side, size, price, body.get("order_configuration"))
        except CoinbaseError as refused:
            errs.append(json.loads(refused.resp.body)["error_response"]["preview_failure_reason"])
        value = size * price
        fee = (value * FEE_RATE).quantize(Decimal("0.00000001"))
        return json_response(
            {
                "order_total": plain(value + fee if side == "BUY" else value - fee),
                "commission_total": plain(fee),
                "errs": errs,
                "warning": [],
                "quote_size": plain(value),
                "base_size": plain(size),
                "best_bid": plain(self.venue.last(m)),
                "best_ask": plain(self.venue.last(m)),
                "is_max": False,
                "preview_id": sim_uuid("cb-preview", acct.uid, self.host.now_ms()),
            }
        )

    def get(self, req: Request, order_id: str) -> Response:
        acct = req.signed_account()
        order = self._book(acct).orders.get(order_id)
        if order is None:
            raise not_found_v3("order with this orderID was not found")
        return json_response({"order": order.as_json(self._user(acct))})

    def list(self, req: Request) -> Response:
        acct = req.signed_account()
        products = {p.upper() for p in req.args("product_ids") + req.args("product_id")}
        statuses = set(req.args("order_status"))
        wanted_ids = set(req.args("order_ids"))
        limit = max(1, min(int_arg(req, "limit", 100), 1000))
        offset = int_arg(req, "cursor", 0)
        rows = sorted(self._book(acct).orders.values(), key=lambda o: -o.num)
        rows = [
            o
            for o in rows
            if (not products or o.market.coinbase_id in products)
            and (not statuses or o.status in statuses)
            and (not wanted_ids or o.order_id in wanted_ids)
        ]
        page = rows[offset : offset + limit]
        has_next = offset + limit < len(rows)
        return json_response(
            {
                "orders": [o.as_json(self._user(acct)) for o in page],
                "sequence": "0",
                "has_next": has_next,
                "cursor": str(offset + limit) if has_next else "",
            }
        )

    def batch_cancel(self, req: Request) -> Response:
        acct = self._trader(req)
        try:
            ids = json.loads(req.body or b"{}").get("order_ids") or []
        except (ValueError, AttributeError):
            raise invalid("invalid JSON body") from None
        book = self._book(acct)
        results = []
        with self._lock, acct.lock:
            for order_id in ids:
                order = book.orders.get(str(order_id))
                if order is None or order.status != "OPEN":
                    reason = "UNKNOWN_CANCEL_ORDER" if order is None else "INVALID_CANCEL_REQUEST"
                    results.append(
                        {"success": False, "failure_reason": reason, "order_id": str(order_id)}
                    )
                    continue
                m = order.market
                rest = order.size - order.filled
                asset, held = (
                    (m.base, rest) if order.side == "SELL" else (m.quote, rest * order.price)
                )
                free, hold = acct.balances.get(asset, (ZERO, ZERO))
                acct.balances[asset] = (free + held, hold - held)
                order.status = "CANCELLED"
                results.append(
                    {
                        "success": True,
                        "failure_reason": "UNKNOWN_CANCEL_FAILURE_REASON",
                        "order_id": order.order_id,
                    }
                )
        return json_response({"results": results})
