"""The Coinbase sim's order records: an Advanced Trade order as "Get Order" / "List Orders"
answer it (fields as ccxt's ``coinbase.parse_order`` comment records them), an account's
book, and the ``{"success": false, "error_response": ...}`` answer of a refused order
(Coinbase Advanced Trade API reference, "Create Order")."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .._wire import Response, json_response, plain
from ..datasets.model import SimMarket, SimTrade
from ..datasets.times import iso_ms
from .errors import invalid

ZERO = Decimal(0)
FEE_RATE = Decimal("0.004")


@dataclass
class CbOrder:
    num: int
    order_id: str
    client_order_id: str
    market: SimMarket
    side: str  # BUY | SELL
    kind: str  # LIMIT | MARKET
    price: Decimal
    size: Decimal
    created: int
    filled: Decimal = ZERO
    filled_value: Decimal = ZERO
    fees: Decimal = ZERO
    fills: int = 0
    status: str = "OPEN"  # OPEN | FILLED | CANCELLED
    last_fill: int = 0

    def config(self) -> dict[str, object]:
        if self.kind == "MARKET":
            return {"market_market_ioc": {"base_size": plain(self.size)}}
        return {
            "limit_limit_gtc": {
                "base_size": plain(self.size),
                "limit_price": plain(self.price),
                "post_only": False,
            }
        }

    def as_json(self, user_id: str) -> dict[str, object]:
        avg = self.filled_value / self.filled if self.filled else ZERO
        pct = self.filled / self.size * 100 if self.size else ZERO
        return {
            "order_id": self.order_id,
            "product_id": self.market.coinbase_id,
            "user_id": user_id,
            "order_configuration": self.config(),
            "side": self.side,
            "client_order_id": self.client_order_id,
            "status": self.status,
            "time_in_force": "GOOD_UNTIL_CANCELLED"
            if self.kind == "LIMIT"
            else "IMMEDIATE_OR_CANCEL",
            "created_time": iso_ms(self.created),
            "completion_percentage": plain(pct.quantize(Decimal("0.01"))),
            "filled_size": plain(self.filled),
            "average_filled_price": plain(avg),
            "fee": "",
            "number_of_fills": str(self.fills),
            "filled_value": plain(self.filled_value),
            "pending_cancel": False,
            "size_in_quote": False,
            "total_fees": plain(self.fees),
            "size_inclusive_of_fees": False,
            "total_value_after_fees": plain(self.filled_value - self.fees),
            "trigger_status": "INVALID_ORDER_TYPE",
            "order_type": self.kind,
            "reject_reason": "REJECT_REASON_UNSPECIFIED",
            "settled": self.status != "OPEN",
            "product_type": "SPOT",
            "reject_message": "",
            "cancel_message": "",
            "order_placement_source": "RETAIL_ADVANCED",
            "outstanding_hold_amount": plain(self.size - self.filled)
            if self.status == "OPEN"
            else "0",
            "last_fill_time": iso_ms(self.last_fill) if self.last_fill else None,
        }


@dataclass
class Book:
    trades: list[SimTrade]  # held so the id() key cannot be reused
    orders: dict[str, CbOrder] = field(default_factory=dict)
    by_client: dict[str, str] = field(default_factory=dict)


def failure(error: str, preview: str, message: str, config: object) -> Response:
    return json_response(
        {
            "success": False,
            "failure_reason": "UNKNOWN_FAILURE_REASON",
            "order_id": "",
            "error_response": {
                "error": error,
                "message": message,
                "error_details": message,
                "preview_failure_reason": preview,
                "new_order_failure_reason": error,
            },
            "order_configuration": config,
        }
    )


def dec(raw: object, name: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise invalid(f"invalid {name}") from None
    if not value.is_finite() or value <= 0:
        raise invalid(f"invalid {name}")
    return value
