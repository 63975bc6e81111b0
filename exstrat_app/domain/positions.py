"""Average-cost (WAP, not FIFO) positions rebuilt from trades and transfers (SPEC §4).

Every event becomes one or more *legs* on per-asset running totals (`PositionState`):

- an **acquisition** adds quantity and cost, and is the only thing that moves the average;
- a **disposal** removes quantity at the average and realizes `proceeds - qty * avg`;
- a **move** (deposit/withdrawal) adds or removes quantity at the average without any P&L;
- an **income** is an acquisition at market value (`amount * price_at`), also counted in
  `income`; an **opening** is an acquisition at its declared total cost.

A buy of ETH/BTC is therefore an acquisition of ETH *and* a disposal of BTC, both valued in the
reporting quote at the trade's time through `price_at`. A fee in a third asset (BNB) is added to
the buy's cost (or taken from the sale's proceeds) and is also a disposal of that BNB.

Stable assets (`STABLE_QUOTES`, and the reporting quote itself) are cash: worth exactly 1, never
priced, and no position is built for them (their legs are skipped). Their own fees and transfers
are therefore not tracked here. Fiat (`FIAT`: EUR, GBP, ...) is cash-like too (no position:
a card buy's EUR never sat in the account) but is valued through `price_at` (EUR/USDT).

A price that cannot be found never fails the replay: when `price_at` raises `PriceUnavailable`
the leg is valued at 0 and an `Unvalued` item is appended to the affected position's
`unvalued` list (and to the caller's `unvalued` list); every other figure stays exact.

Quantities never go negative: a disposal or withdrawal beyond what is held takes what is held and
adds the excess to `oversold_qty` (an anomaly to show, e.g. trades missing from the history).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal, localcontext
from typing import TypeVar

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.events import Fill, Movement, Unvalued
from exstrat_app.domain.money import FIAT, MONEY_CONTEXT, STABLE_QUOTES, require_decimal
from exstrat_app.domain.state import PositionState

__all__ = [
    "Fill",
    "Movement",
    "PositionState",
    "PriceAt",
    "PriceUnavailable",
    "Unvalued",
    "is_cash",
    "rebuild_positions",
]

ZERO = Decimal(0)
ONE = Decimal(1)

_K = TypeVar("_K")
_V = TypeVar("_V")

# Value of 1 unit of `asset` in the reporting quote at `ts`; raises PriceUnavailable.
PriceAt = Callable[[str, datetime], Decimal]


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


# Cached in place of a price that price_at could not give (never a real price: those are >= 0).
_UNPRICED = Decimal(-1)


class _Book:
    """Positions by asset plus the pricing rules; cash and fiat assets have no position.

    Its users run inside `rebuild_positions`' MONEY_CONTEXT. The replay reads `cash` and
    `states` directly (plain lookups, no method call per leg).
    """

    def __init__(
        self,
        quote: str,
        price_at: PriceAt,
        fiat: frozenset[str],
        unvalued: list[Unvalued],
        strict_prices: bool,
    ) -> None:
        self.quote = quote
        self._price_at = price_at
        self._fiat = fiat
        self._strict = strict_prices
        # (asset, ts) -> price, or _UNPRICED when price_at had none (asked once either way).
        self._prices: dict[tuple[str, datetime], Decimal] = {}
        self.positions: dict[str, PositionState] = {}
        self.unvalued = unvalued
        # asset -> is_cash(asset, quote) (worth exactly 1), computed once per asset.
        self.cash: _Lazy[str, bool] = _Lazy(lambda asset: is_cash(asset, quote))
        # asset -> its position, None for cash and fiat. Created on the asset's first leg, so
        # that `positions` (the result) lists assets in the order they first had one.
        self.states: _Lazy[str, PositionState | None] = _Lazy(self._new_state)

    def _new_state(self, asset: str) -> PositionState | None:
        if self.cash[asset] or asset in self._fiat:
            return None
        state = self.positions[asset] = PositionState(asset)
        return state

    def unit_value(self, asset: str, ts: datetime) -> Decimal | None:
        """Value of 1 `asset` at `ts`, None when it has no price; asked of price_at once per
        (asset, ts) per rebuild (a miss is cached too)."""
        if self.cash[asset]:
            return ONE
        key = (asset, ts)
        price = self._prices.get(key)
        if price is None:
            price = self._prices[key] = self._ask(asset, ts)
        return None if price is _UNPRICED else price

    def _ask(self, asset: str, ts: datetime) -> Decimal:
        try:
            price = require_decimal(self._price_at(asset, ts), f"price of {asset}")
            if price < ZERO:
                raise PriceUnavailable(asset, ts, f"negative price {price}")
        except PriceUnavailable:
            if self._strict:
                raise
            return _UNPRICED
        return price

    def value(
        self, asset: str, amount: Decimal, for_asset: str, role: str, ref: str, ts: datetime
    ) -> Decimal:
        """`amount` of `asset` in the reporting quote; 0 (and an Unvalued item) if unpriced."""
        price = self.unit_value(asset, ts)
        if price is None:
            self.record(for_asset, asset, amount, role, ref, ts)
            return ZERO
        return amount * price

    def record(
        self, for_asset: str, asset: str, amount: Decimal, role: str, ref: str, ts: datetime
    ) -> None:
        """Note a leg valued at 0 on `for_asset`'s position (if it has one) and in the list."""
        item = Unvalued(for_asset, asset, amount, role, ref, ts)
        self.unvalued.append(item)
        if (state := self.states[for_asset]) is not None:
            state.unvalued.append(item)

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
    if book.cash[quote]:
        value = cost
    elif (price := book.unit_value(quote, ts)) is not None:
        value = cost * price
    else:  # the quote could not be priced: the legs it values are at 0
        book.record(base, quote, cost, "quote", fill.trade_id, ts)
        value = ZERO
    # A fee paid in anything but the base has a value in the reporting quote.
    fee_value = ZERO
    if fee_asset == base:
        fee_in_base, other_fee = fee, ZERO
    elif fee_asset is None:
        fee_in_base = other_fee = ZERO
    else:
        fee_in_base, other_fee = ZERO, fee
        if other_fee:
            if (price := book.unit_value(fee_asset, ts)) is not None:
                fee_value = other_fee * price
            else:
                book.record(base, fee_asset, other_fee, "fee", fill.trade_id, ts)
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
    kind, asset = move.kind, move.asset
    state = book.states[asset]
    if state is not None:
        if kind == "deposit":
            state._deposit(move.amount)
        elif kind == "withdrawal":
            state._take(move.amount, ZERO, realize=False)
        elif kind == "income":
            if move.value is None:  # at market: its value at receipt is its cost basis
                value = book.value(asset, move.amount, asset, "income", move.transfer_id, move.ts)
            else:
                value = _given_value(book, move, "income")
            state._acquire(move.amount, value)
            state.income += value
        else:  # opening: at its declared total cost
            state._acquire(move.amount, _given_value(book, move, "opening"))
    if move.fee:
        # A transfer fee buys nothing: a disposal for no proceeds, i.e. a loss of fee * avg.
        book.dispose(move.fee_asset or asset, move.fee, ZERO)


def _given_value(book: _Book, move: Movement, role: str) -> Decimal:
    value = move.value
    assert value is not None  # Movement checks it for openings; income tests before calling
    if move.value_asset is None:
        return value
    return book.value(move.value_asset, value, move.asset, role, move.transfer_id, move.ts)


# Same timestamp: money in before money out, so a transfer or a buy-then-sell logged in the
# same second never shows a spurious oversell. Then by id for a stable, repeatable order.
_PHASE = {"deposit": 0, "opening": 0, "income": 0, "buy": 1, "sell": 2, "withdrawal": 3}


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
    fiat: frozenset[str] = FIAT,
    unvalued: list[Unvalued] | None = None,
    strict_prices: bool = False,
) -> dict[str, PositionState]:
    """Replay every trade and transfer in time order; return the position of each asset.

    `quote` is the reporting quote; `price_at(asset, ts)` values non-cash quote legs, fees in
    a third asset, fiat legs and incomes at the event's time. When it raises
    `PriceUnavailable` the leg is valued at 0 and an `Unvalued` item is appended to the
    affected position's `unvalued` and, when given, to the `unvalued` list (every item, in
    replay order, including those whose affected asset has no position); with
    `strict_prices=True` the error propagates instead. `fiat` assets are valued but get no
    position. Assets whose quantity is back to 0 are kept (their realized P&L still matters).
    Cash and fiat assets are not in the result.
    """
    book = _Book(quote, price_at, fiat, [] if unvalued is None else unvalued, strict_prices)
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
