"""Average-cost (WAP, not FIFO) positions rebuilt from trades and transfers (SPEC §4).

Every event becomes one or more *legs* on per-asset running totals (`PositionState`):

- an **acquisition** adds quantity and cost, and is the only thing that moves the average;
- a **disposal** removes quantity at the average and realizes `proceeds - qty * avg`;
- a **move** (deposit/withdrawal) adds or removes quantity at the average without any P&L.

A buy of ETH/BTC is therefore an acquisition of ETH *and* a disposal of BTC, both valued in the
reporting quote at the trade's time through `price_at`. A fee in a third asset (BNB) is added to
the buy's cost (or taken from the sale's proceeds) and is also a disposal of that BNB.

Stable assets (`STABLE_QUOTES`, and the reporting quote itself) are cash: worth exactly 1, never
priced, and no position is built for them (their legs are skipped). Their own fees and transfers
are therefore not tracked here.

Quantities never go negative: a disposal or withdrawal beyond what is held takes what is held and
adds the excess to `oversold_qty` (an anomaly to show, e.g. trades missing from the history).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.money import MONEY_CONTEXT, STABLE_QUOTES, require_decimal

__all__ = [
    "Fill",
    "Movement",
    "PositionState",
    "PriceAt",
    "PriceUnavailable",
    "is_cash",
    "rebuild_positions",
]

ZERO = Decimal(0)

# Value of 1 unit of `asset` in the reporting quote at `ts`; raises PriceUnavailable.
PriceAt = Callable[[str, datetime], Decimal]


@dataclass(frozen=True)
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
        for name in ("amount", "price", "cost"):
            if require_decimal(getattr(self, name), name) < 0:
                raise ValueError(f"trade {self.trade_id}: {name} must not be negative")
        if self.amount == 0:
            raise ValueError(f"trade {self.trade_id}: amount must be positive")
        if self.fee_cost is not None:
            require_decimal(self.fee_cost, "fee_cost")
            if self.fee_cost != 0 and self.fee_asset is None:
                raise ValueError(f"trade {self.trade_id}: a fee needs its asset")
        self._check_fee_fits()

    def _check_fee_fits(self) -> None:
        # A fee bigger than what the trade brings in would make an acquisition negative.
        if self.side == "buy" and self.fee_asset == self.base and self.fee >= self.amount:
            raise ValueError(f"trade {self.trade_id}: fee is not less than the amount bought")
        if self.side == "sell" and self.fee_asset == self.quote and self.fee > self.cost:
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


@dataclass
class PositionState:
    """Running totals of one asset, valued in the reporting quote.

    - `quantity`: units held (known cost + `unknown_cost_qty`), never negative.
    - `cost`: cost basis of the units with a known cost.
    - `realized`: realized P&L (disposal proceeds minus their cost at the average, minus fees).
    - `unknown_cost_qty`: units that arrived by deposit before any average existed; excluded
      from the average and from P&L. Disposals consume known-cost units first.
    - `oversold_qty`: units disposed of beyond what was held (anomaly; quantity stays >= 0).
    - `unmatched_proceeds`: proceeds of units whose cost is unknown (unknown-cost or oversold
      units); not in `realized`, since no P&L can be computed for them.
    - `last_avg`: the average, changed only by acquisitions. It survives quantity reaching 0 so
      that a transfer (withdraw everything, deposit it elsewhere) comes back at the same average.
    """

    asset: str
    quantity: Decimal = ZERO
    cost: Decimal = ZERO
    realized: Decimal = ZERO
    unknown_cost_qty: Decimal = ZERO
    oversold_qty: Decimal = ZERO
    unmatched_proceeds: Decimal = ZERO
    last_avg: Decimal | None = None

    @property
    def known_qty(self) -> Decimal:
        """Units with a known cost (those the average covers)."""
        return self.quantity - self.unknown_cost_qty

    @property
    def avg_price(self) -> Decimal | None:
        """cost / known-cost quantity; None when no unit with a known cost is held."""
        return self.last_avg if self.known_qty > 0 else None

    def unrealized(self, price: Decimal) -> Decimal:
        """P&L of the known-cost units at `price` (unknown-cost units have no basis)."""
        with localcontext(MONEY_CONTEXT):
            return self.known_qty * require_decimal(price, "price") - self.cost

    def acquire(self, qty: Decimal, value: Decimal) -> None:
        """Add `qty` units that cost `value` in total; recompute the average."""
        if qty < 0:
            raise ValueError(f"{self.asset}: cannot acquire a negative quantity {qty}")
        if qty == 0:
            return
        with localcontext(MONEY_CONTEXT):
            self.cost += value
            self.quantity += qty
            # From the totals, not incrementally: two buys equal their sum exactly.
            self.last_avg = self.cost / self.known_qty

    def dispose(self, qty: Decimal, proceeds: Decimal) -> None:
        """Sell/spend `qty` units for `proceeds`; realize the gain or loss at the average."""
        self._take(qty, proceeds, realize=True)

    def deposit(self, qty: Decimal) -> None:
        """Units moved in: at the current (last) average if any, otherwise cost unknown."""
        if qty <= 0:
            return
        with localcontext(MONEY_CONTEXT):
            self.quantity += qty
            if self.last_avg is None:
                self.unknown_cost_qty += qty
            else:
                # Not via acquire(): adding at the average must leave it exactly unchanged.
                self.cost += qty * self.last_avg

    def withdraw(self, qty: Decimal) -> None:
        """Units moved out: quantity and cost leave at the average, no P&L."""
        self._take(qty, ZERO, realize=False)

    def _take(self, qty: Decimal, proceeds: Decimal, *, realize: bool) -> None:
        if qty < 0:
            raise ValueError(f"{self.asset}: cannot dispose of a negative quantity {qty}")
        if qty == 0:
            return
        with localcontext(MONEY_CONTEXT):
            from_known = min(qty, self.known_qty)
            from_unknown = min(qty - from_known, self.unknown_cost_qty)
            removed_cost = self._remove_known(from_known)
            self.quantity -= from_unknown
            self.unknown_cost_qty -= from_unknown
            self.oversold_qty += qty - from_known - from_unknown
            if realize:
                # Only the known-cost share of the proceeds has a basis to compare with.
                matched = proceeds if from_known == qty else proceeds * from_known / qty
                self.realized += matched - removed_cost
                self.unmatched_proceeds += proceeds - matched

    def _remove_known(self, qty: Decimal) -> Decimal:
        """Remove `qty` known-cost units and return their cost (qty * average)."""
        if qty <= 0:
            return ZERO
        if qty == self.known_qty:
            removed = self.cost  # all of it: leaves exactly 0, no rounding residue
        else:
            assert self.last_avg is not None  # known_qty > 0 implies an average
            removed = qty * self.last_avg
        self.cost -= removed
        self.quantity -= qty
        return removed


def is_cash(asset: str, quote: str) -> bool:
    """Worth exactly 1 reporting-quote unit: the quote itself, or a stable when it is stable."""
    return asset == quote or (quote in STABLE_QUOTES and asset in STABLE_QUOTES)


class _Book:
    """Positions by asset plus the pricing rules; cash assets have no position."""

    def __init__(self, quote: str, price_at: PriceAt) -> None:
        self.quote = quote
        self._price_at = price_at
        self._prices: dict[tuple[str, datetime], Decimal] = {}
        self.positions: dict[str, PositionState] = {}

    def unit_value(self, asset: str, ts: datetime) -> Decimal:
        """Value of 1 `asset` at `ts`; asked of price_at once per (asset, ts) per rebuild."""
        if is_cash(asset, self.quote):
            return Decimal(1)
        key = (asset, ts)
        if key not in self._prices:
            price = require_decimal(self._price_at(asset, ts), f"price of {asset}")
            if price < 0:
                raise PriceUnavailable(asset, ts, f"negative price {price}")
            self._prices[key] = price
        return self._prices[key]

    def position(self, asset: str) -> PositionState | None:
        if is_cash(asset, self.quote):
            return None
        return self.positions.setdefault(asset, PositionState(asset))

    def acquire(self, asset: str, qty: Decimal, value: Decimal) -> None:
        if (state := self.position(asset)) is not None:
            state.acquire(qty, value)

    def dispose(self, asset: str, qty: Decimal, proceeds: Decimal) -> None:
        if (state := self.position(asset)) is not None:
            state.dispose(qty, proceeds)

    def fee_leg(self, asset: str, qty: Decimal, value: Decimal) -> None:
        """Pay `qty` of `asset` worth `value` as a fee (a rebate when negative)."""
        if qty > 0:
            self.dispose(asset, qty, value)
        elif qty < 0:
            self.acquire(asset, -qty, -value)


def _apply_fill(book: _Book, fill: Fill) -> None:
    with localcontext(MONEY_CONTEXT):
        value = fill.cost * book.unit_value(fill.quote, fill.ts)
        fee_in_base = fill.fee if fill.fee_asset == fill.base else ZERO
        # A fee paid in anything but the base has a value in the reporting quote.
        other_fee = fill.fee if fill.fee_asset not in (None, fill.base) else ZERO
        fee_value = other_fee * book.unit_value(fill.fee_asset, fill.ts) if other_fee else ZERO
        if fill.side == "buy":
            _apply_buy(book, fill, value, fee_in_base, other_fee, fee_value)
        else:
            _apply_sell(book, fill, value, fee_in_base, other_fee, fee_value)


def _apply_buy(
    book: _Book, fill: Fill, value: Decimal, fee_in_base: Decimal, fee: Decimal, fee_value: Decimal
) -> None:
    # SPEC §4: cost += c + fee_in_quote; qty += q - fee_in_base.
    book.acquire(fill.base, fill.amount - fee_in_base, value + fee_value)
    # Paying with a non-stable quote (ETH/BTC) is a disposal of that BTC at its value.
    book.dispose(fill.quote, fill.cost, value)
    if fee and fill.fee_asset is not None:
        book.fee_leg(fill.fee_asset, fee, fee_value)


def _apply_sell(
    book: _Book, fill: Fill, value: Decimal, fee_in_base: Decimal, fee: Decimal, fee_value: Decimal
) -> None:
    # SPEC §4: realized += q*price - fee_in_quote - q*avg. A fee in base is extra units given up.
    book.dispose(fill.base, fill.amount + fee_in_base, value - fee_value)
    if fill.fee_asset == fill.quote:
        # The fee never reached us: we acquired only the net quote, at its value.
        book.acquire(fill.quote, fill.cost - fee, value - fee_value)
        return
    book.acquire(fill.quote, fill.cost, value)
    if fee and fill.fee_asset is not None:
        book.fee_leg(fill.fee_asset, fee, fee_value)


def _apply_movement(book: _Book, move: Movement) -> None:
    state = book.position(move.asset)
    if state is not None:
        if move.kind == "deposit":
            state.deposit(move.amount)
        else:
            state.withdraw(move.amount)
    if move.fee:
        # A transfer fee buys nothing: a disposal for no proceeds, i.e. a loss of fee * avg.
        book.dispose(move.fee_asset or move.asset, move.fee, ZERO)


# Same timestamp: money in before money out, so a transfer or a buy-then-sell logged in the
# same second never shows a spurious oversell. Then by id for a stable, repeatable order.
_PHASE = {"deposit": 0, "buy": 1, "sell": 2, "withdrawal": 3}


def _sort_key(event: Fill | Movement) -> tuple[datetime, int, str, str, str]:
    if isinstance(event, Fill):
        return (event.ts, _PHASE[event.side], event.trade_id, event.base, str(event.amount))
    return (event.ts, _PHASE[event.kind], event.transfer_id, event.asset, str(event.amount))


def rebuild_positions(
    fills: Iterable[Fill],
    movements: Iterable[Movement],
    *,
    quote: str = "USDT",
    price_at: PriceAt,
) -> dict[str, PositionState]:
    """Replay every trade and transfer in time order; return the position of each asset.

    `quote` is the reporting quote; `price_at(asset, ts)` values non-cash quote legs and fees
    at the trade's time (a `PriceUnavailable` it raises propagates). Assets whose quantity is
    back to 0 are kept (their realized P&L still matters). Cash assets are not in the result.
    """
    book = _Book(quote, price_at)
    events: list[Fill | Movement] = [*fills, *movements]
    for event in sorted(events, key=_sort_key):
        if isinstance(event, Fill):
            _apply_fill(book, event)
        else:
            _apply_movement(book, event)
    return book.positions
