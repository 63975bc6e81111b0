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


# Movement kinds. income/opening are acquisitions (they set the cost basis, so they move the
# average); deposit/withdrawal move units at the average without any P&L.
MOVEMENT_KINDS = ("deposit", "withdrawal", "income", "opening")


@dataclass(frozen=True, slots=True)
class Movement:
    """Coins moving in or out without a trade: `amount` (>= 0) is the quantity that moved.

    - `deposit` / `withdrawal`: units in/out at the average, no P&L. `fee` is charged on top,
      out of the account's balance of `fee_asset` (the moved asset when None): a withdrawal of
      1 ETH with a 0.01 fee lowers the balance by 1.01. (An unclassified transfer reaches the
      engine as one of these: amount > 0 a deposit, amount < 0 a withdrawal of |amount|.)
    - `income` (staking, Earn interest, distributions, airdrops): an acquisition at market
      value, `amount * price_at(asset, ts)`, which is its cost basis and is added to
      `PositionState.income`. A known `value` (e.g. the exchange's own valuation) is used
      instead of the market price when given.
    - `opening` (a position the user declares, held before the history starts): an
      acquisition at its given total cost `value` (required).

    `value` is in the reporting quote, or in `value_asset` when that is set (e.g. "EUR": the
    engine converts it through price_at at `ts`; a stable or the quote itself counts 1:1).
    """

    ts: datetime
    transfer_id: str
    asset: str
    kind: str  # one of MOVEMENT_KINDS
    amount: Decimal
    fee: Decimal = ZERO
    fee_asset: str | None = None
    value: Decimal | None = None
    value_asset: str | None = None

    def __post_init__(self) -> None:
        kind = self.kind
        if kind not in MOVEMENT_KINDS:
            raise ValueError(
                f"transfer {self.transfer_id}: kind must be one of {', '.join(MOVEMENT_KINDS)}"
            )
        if require_decimal(self.amount, "amount") < 0:
            raise ValueError(f"transfer {self.transfer_id}: amount must not be negative")
        if require_decimal(self.fee, "fee") < 0:
            raise ValueError(f"transfer {self.transfer_id}: fee must not be negative")
        value = self.value
        if value is None:
            if kind == "opening":
                raise ValueError(f"transfer {self.transfer_id}: an opening needs its value")
        else:
            if kind not in ("income", "opening"):
                raise ValueError(f"transfer {self.transfer_id}: a {kind} carries no value")
            if require_decimal(value, "value") < 0:
                raise ValueError(f"transfer {self.transfer_id}: value must not be negative")
        if self.value_asset is not None and value is None:
            raise ValueError(f"transfer {self.transfer_id}: value_asset without a value")


# Roles of an unvalued item: what the missing price was needed for.
UNVALUED_ROLES = ("fee", "quote", "income", "opening")


@dataclass(frozen=True, slots=True)
class Unvalued:
    """A leg the replay could not value (`price_at` raised PriceUnavailable): valued at 0.

    - `asset`: the position whose figures lack that value (a trade's base: its cost on a buy,
      its proceeds on a sale; the income's or opening's asset).
    - `item_asset` / `amount`: what could not be priced (0.01 OLDX of fee; 12 OLDX given up).
    - `role`: "fee" (a fee in a third asset), "quote" (a non-stable, non-priced quote leg: the
      quote's own disposal/acquisition is at 0 too), "income" or "opening" (its value_asset).
    - `ref`: the trade id or transfer id; `ts`: the event's time.

    Everything else stays exact: cost/proceeds are lower (or, for a fee on a sale, higher) by
    exactly `amount * the missing price`, as if that price were 0.
    """

    asset: str
    item_asset: str
    amount: Decimal
    role: str
    ref: str
    ts: datetime
