"""The events a position is rebuilt from: trades (`Fill`) and transfers (`Movement`).

Validated at construction, so the replay in `positions.py` can trust every field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from exstrat_app.domain.money import require_decimal

ZERO = Decimal(0)


# slots: smaller and quicker to build and read; a replay creates and reads 100,000s of these.
@dataclass(frozen=True, slots=True)
class Fill:
    """One trade of `amount` base for `cost` quote (`cost` = amount * price, in quote).

    `fee_cost` of `fee_asset` is what the exchange charged; a negative fee (maker rebate) is
    received instead of paid. `cost` (what was actually paid) is used rather than amount*price.
    """

    ts: datetime
    trade_id: str
    base: str
    quote: str
    side: str  # "buy" | "sell"
    amount: Decimal
    price: Decimal
    cost: Decimal
    fee_asset: str | None = None
    fee_cost: Decimal | None = None

    def __post_init__(self) -> None:
        if self.side not in ("buy", "sell"):
            raise ValueError(f"trade {self.trade_id}: side must be 'buy' or 'sell'")
        if self.base == self.quote:
            raise ValueError(f"trade {self.trade_id}: base and quote are both {self.base}")
        amount, price, cost, fee_cost = self.amount, self.price, self.cost, self.fee_cost
        # Fast path for the usual case (plain finite Decimals, which is all require_decimal
        # would let through anyway); anything else gets require_decimal's errors, in order.
        if (
            type(amount) is Decimal
            and type(price) is Decimal
            and type(cost) is Decimal
            and amount.is_finite()
            and price.is_finite()
            and cost.is_finite()
        ):
            if amount < ZERO or price < ZERO or cost < ZERO:
                name = "amount" if amount < ZERO else "price" if price < ZERO else "cost"
                raise ValueError(f"trade {self.trade_id}: {name} must not be negative")
        else:
            for name in ("amount", "price", "cost"):
                if require_decimal(getattr(self, name), name) < 0:
                    raise ValueError(f"trade {self.trade_id}: {name} must not be negative")
        if amount == ZERO:
            raise ValueError(f"trade {self.trade_id}: amount must be positive")
        fee = ZERO
        if fee_cost is not None:
            if type(fee_cost) is not Decimal or not fee_cost.is_finite():
                require_decimal(fee_cost, "fee_cost")
            if fee_cost != ZERO and self.fee_asset is None:
                raise ValueError(f"trade {self.trade_id}: a fee needs its asset")
            fee = fee_cost
        # A fee bigger than what the trade brings in would make an acquisition negative.
        if self.side == "buy" and self.fee_asset == self.base and fee >= amount:
            raise ValueError(f"trade {self.trade_id}: fee is not less than the amount bought")
        if self.side == "sell" and self.fee_asset == self.quote and fee > cost:
            raise ValueError(f"trade {self.trade_id}: fee exceeds the {self.quote} received")

    @property
    def fee(self) -> Decimal:
        """The fee as a Decimal (0 when there is none)."""
        return self.fee_cost if self.fee_cost is not None else ZERO


@dataclass(frozen=True)
class Movement:
    """A deposit or a withdrawal of `amount` (the quantity that moved).

    `fee` is charged on top, out of the account's balance of `fee_asset` (the moved asset when
    None): a withdrawal of 1 ETH with a 0.01 fee lowers the balance by 1.01.
    """

    ts: datetime
    transfer_id: str
    asset: str
    kind: str  # "deposit" | "withdrawal"
    amount: Decimal
    fee: Decimal = ZERO
    fee_asset: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("deposit", "withdrawal"):
            raise ValueError(f"transfer {self.transfer_id}: kind must be deposit or withdrawal")
        if require_decimal(self.amount, "amount") < 0:
            raise ValueError(f"transfer {self.transfer_id}: amount must not be negative")
        if require_decimal(self.fee, "fee") < 0:
            raise ValueError(f"transfer {self.transfer_id}: fee must not be negative")
