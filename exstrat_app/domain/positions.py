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
from typing import TypeVar

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.events import Fill, Movement
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
ONE = Decimal(1)

_K = TypeVar("_K")
_V = TypeVar("_V")

# Value of 1 unit of `asset` in the reporting quote at `ts`; raises PriceUnavailable.
PriceAt = Callable[[str, datetime], Decimal]


@dataclass(slots=True)  # slots: the replay reads and writes these fields millions of times
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

    The public methods compute in `MONEY_CONTEXT` whatever the caller's context. Their `_`
    twins expect the caller to be in it already: `rebuild_positions` enters it once for the
    whole replay instead of once per leg (entering a context costs more than the arithmetic).
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
        with localcontext(MONEY_CONTEXT):
            self._acquire(qty, value)

    def dispose(self, qty: Decimal, proceeds: Decimal) -> None:
        """Sell/spend `qty` units for `proceeds`; realize the gain or loss at the average."""
        with localcontext(MONEY_CONTEXT):
            self._take(qty, proceeds, realize=True)

    def deposit(self, qty: Decimal) -> None:
        """Units moved in: at the current (last) average if any, otherwise cost unknown."""
        with localcontext(MONEY_CONTEXT):
            self._deposit(qty)

    def withdraw(self, qty: Decimal) -> None:
        """Units moved out: quantity and cost leave at the average, no P&L."""
        with localcontext(MONEY_CONTEXT):
            self._take(qty, ZERO, realize=False)

    def _acquire(self, qty: Decimal, value: Decimal) -> None:
        if qty < ZERO:
            raise ValueError(f"{self.asset}: cannot acquire a negative quantity {qty}")
        if qty == ZERO:
            return
        self.cost = cost = self.cost + value
        self.quantity = quantity = self.quantity + qty
        # From the totals, not incrementally: two buys equal their sum exactly.
        self.last_avg = cost / (quantity - self.unknown_cost_qty)

    def _deposit(self, qty: Decimal) -> None:
        if qty <= ZERO:
            return
        self.quantity += qty
        if self.last_avg is None:
            self.unknown_cost_qty += qty
        else:
            # Not via _acquire(): adding at the average must leave it exactly unchanged.
            self.cost += qty * self.last_avg

    def _take(self, qty: Decimal, proceeds: Decimal, *, realize: bool) -> None:
        if qty < ZERO:
            raise ValueError(f"{self.asset}: cannot dispose of a negative quantity {qty}")
        if qty == ZERO:
            return
        unknown = self.unknown_cost_qty
        known = self.quantity - unknown
        # Spelled-out min(qty, known) / min(rest, unknown): same pick on ties (the first
        # argument), without the builtin's call overhead.
        from_known = known if known < qty else qty
        rest = qty - from_known
        from_unknown = unknown if unknown < rest else rest
        # Remove the known-cost units at the average.
        if from_known <= ZERO:
            removed_cost = ZERO
        else:
            if from_known == known:
                removed_cost = self.cost  # all of it: leaves exactly 0, no rounding residue
            else:
                assert self.last_avg is not None  # known > 0 implies an average
                removed_cost = from_known * self.last_avg
            self.cost -= removed_cost
            self.quantity -= from_known
        self.quantity -= from_unknown
        self.unknown_cost_qty = unknown - from_unknown
        self.oversold_qty += qty - from_known - from_unknown
        if realize:
            # Only the known-cost share of the proceeds has a basis to compare with.
            matched = proceeds if from_known == qty else proceeds * from_known / qty
            self.realized += matched - removed_cost
            self.unmatched_proceeds += proceeds - matched


def is_cash(asset: str, quote: str) -> bool:
    """Worth exactly 1 reporting-quote unit: the quote itself, or a stable when it is stable."""
    return asset == quote or (quote in STABLE_QUOTES and asset in STABLE_QUOTES)


class _Lazy(dict[_K, _V]):
    """A dict that fills a missing key with `make(key)` on first lookup (`d[key]`)."""

    def __init__(self, make: Callable[[_K], _V]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: _K) -> _V:
        value = self[key] = self._make(key)
        return value


class _Book:
    """Positions by asset plus the pricing rules; cash assets have no position.

    Its users run inside `rebuild_positions`' MONEY_CONTEXT. The replay reads `cash` and
    `states` directly (plain lookups, no method call per leg).
    """

    def __init__(self, quote: str, price_at: PriceAt) -> None:
        self.quote = quote
        self._price_at = price_at
        self._prices: dict[tuple[str, datetime], Decimal] = {}
        self.positions: dict[str, PositionState] = {}
        # asset -> is_cash(asset, quote), computed once per asset.
        self.cash: _Lazy[str, bool] = _Lazy(lambda asset: is_cash(asset, quote))
        # asset -> its position, None for cash. Created on the asset's first leg, so that
        # `positions` (the result) lists assets in the order they first had one.
        self.states: _Lazy[str, PositionState | None] = _Lazy(self._new_state)

    def _new_state(self, asset: str) -> PositionState | None:
        if self.cash[asset]:
            return None
        state = self.positions[asset] = PositionState(asset)
        return state

    def unit_value(self, asset: str, ts: datetime) -> Decimal:
        """Value of 1 `asset` at `ts`; asked of price_at once per (asset, ts) per rebuild."""
        if self.cash[asset]:
            return ONE
        key = (asset, ts)
        price = self._prices.get(key)
        if price is None:
            price = require_decimal(self._price_at(asset, ts), f"price of {asset}")
            if price < ZERO:
                raise PriceUnavailable(asset, ts, f"negative price {price}")
            self._prices[key] = price
        return price

    def dispose(self, asset: str, qty: Decimal, proceeds: Decimal) -> None:
        if (state := self.states[asset]) is not None:
            state._take(qty, proceeds, realize=True)


def _apply_fill(book: _Book, fill: Fill) -> None:
    # The legs below are the SPEC §4 rules; each looks its asset's position up at its turn
    # (creating it), in the order: base, quote, fee asset.
    states = book.states
    ts, base, quote, cost = fill.ts, fill.base, fill.quote, fill.cost
    fee_asset, fee = fill.fee_asset, fill.fee_cost
    if fee is None:
        fee = ZERO
    value = cost * (ONE if book.cash[quote] else book.unit_value(quote, ts))
    # A fee paid in anything but the base has a value in the reporting quote.
    fee_value = ZERO
    if fee_asset == base:
        fee_in_base, other_fee = fee, ZERO
    elif fee_asset is None:
        fee_in_base = other_fee = ZERO
    else:
        fee_in_base, other_fee = ZERO, fee
        if other_fee:
            fee_value = other_fee * book.unit_value(fee_asset, ts)
    if fill.side == "buy":
        # SPEC §4: cost += c + fee_in_quote; qty += q - fee_in_base.
        qty, paid = fill.amount - fee_in_base, value + fee_value
        if (state := states[base]) is not None:
            state._acquire(qty, paid)
        # Paying with a non-stable quote (ETH/BTC) is a disposal of that BTC at its value.
        if (state := states[quote]) is not None:
            state._take(cost, value, realize=True)
    else:
        # SPEC §4: realized += q*price - fee_in_quote - q*avg. A fee in base is extra units
        # given up.
        qty, proceeds = fill.amount + fee_in_base, value - fee_value
        if (state := states[base]) is not None:
            state._take(qty, proceeds, realize=True)
        if fee_asset == quote:
            # The fee never reached us: we acquired only the net quote, at its value.
            qty = cost - fee
            if (state := states[quote]) is not None:
                state._acquire(qty, proceeds)
            return
        if (state := states[quote]) is not None:
            state._acquire(cost, value)
    if other_fee and fee_asset is not None:
        # The fee itself: a disposal of that asset at its value (a rebate, when negative,
        # is an acquisition).
        if other_fee > ZERO:
            if (state := states[fee_asset]) is not None:
                state._take(other_fee, fee_value, realize=True)
        else:
            qty, paid = -other_fee, -fee_value
            if (state := states[fee_asset]) is not None:
                state._acquire(qty, paid)


def _apply_movement(book: _Book, move: Movement) -> None:
    state = book.states[move.asset]
    if state is not None:
        if move.kind == "deposit":
            state._deposit(move.amount)
        else:
            state._take(move.amount, ZERO, realize=False)
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
    events.sort(key=_sort_key)
    # One context for the whole replay (the _Book and PositionState._* methods rely on it).
    with localcontext(MONEY_CONTEXT):
        for event in events:
            if isinstance(event, Fill):
                _apply_fill(book, event)
            else:
                _apply_movement(book, event)
    return book.positions
