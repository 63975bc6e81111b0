"""The running totals of one asset (`PositionState`), which `rebuild_positions` replays into.

The accounting rules themselves (what a trade or a transfer does to these totals) are in
`positions.py`; this module holds the per-asset arithmetic: acquire, take, deposit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from exstrat_app.domain.events import Unvalued
from exstrat_app.domain.money import MONEY_CONTEXT, require_decimal

ZERO = Decimal(0)


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
    - `income`: the value at receipt of every income (staking, interest...); it is also in
      `cost` (an income's value is its cost basis), so P&L = realized + unrealized + income.
    - `unvalued`: the legs of this position that could not be priced (valued at 0), in replay
      order.

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
    income: Decimal = ZERO
    unvalued: list[Unvalued] = field(default_factory=list)

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
