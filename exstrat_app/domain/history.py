"""The portfolio day by day: the average-cost engine of `positions.py` replayed one
UTC day at a time, each day's holdings valued at that day's daily close.

One `DayPoint` per day, figures in the reporting quote:

- `value`: every position's quantity * the day's close, plus cash held (stables at 1, fiat at
  its close); each position's value is rounded to 8 decimals before summing, as the portfolio
  page rounds each row, so the last point equals the page's total for the same quantities
  and prices;
- `invested` (net invested): the cost basis of what is held; cash counts at its value (it is
  its own cost: no P&L is made up for it);
- `realized`, `income`: the engine's running totals (cumulative since day one);
- `unrealized`: (close - average) * known-cost units, summed over priced positions, as the
  portfolio page computes it;
- `unpriced`: how many held assets had no close that day (left out of value and unrealized,
  their cost still in `invested`).

The engine has no position for cash (stables, fiat): the book here also follows their
quantities from the same events (a buy with USDT spends it, a sale brings it in, a deposit
adds it), never below 0 (like the engine: a cash leg whose source the history does not show,
a card payment, is not a debt).

The replay can stop at any day and go on later from a `Snapshot` of its state (JSON-safe,
exact decimal strings): the stored history grows by one step per new day, and a change in
the past is replayed from the latest snapshot before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from exstrat_app.domain.events import Fill, Movement
from exstrat_app.domain.money import FIAT, MONEY_CONTEXT

# The engine's own book and leg rules, shared on purpose (same package, same rules): the
# history must be the positions rebuild, stopped at each day's end.
from exstrat_app.domain.positions import (
    PriceAt,
    _apply_fill,
    _apply_movement,
    _Book,
    _sort_key,
    is_cash,
)
from exstrat_app.domain.state import PositionState

ZERO = Decimal(0)
ONE = Decimal(1)
DAY = timedelta(days=1)
VALUE_PLACES = Decimal("0.00000001")  # as the portfolio page: 8 decimals per row

# The close of `asset` on `day` in the reporting quote (the daily candle opening at 00:00 UTC);
# None when no route knows it.
DayClose = Callable[[str, date], Decimal | None]
Event = Fill | Movement

_STATE_FIELDS = (
    "quantity",
    "cost",
    "realized",
    "unknown_cost_qty",
    "oversold_qty",
    "unmatched_proceeds",
    "last_avg",
    "income",
)


@dataclass(frozen=True, slots=True)
class DayPoint:
    """The portfolio at the close of one UTC day (see the module's docstring)."""

    day: date
    value: Decimal
    invested: Decimal
    realized: Decimal
    unrealized: Decimal
    income: Decimal
    unpriced: int = 0


@dataclass(frozen=True, slots=True)
class AssetDay:
    """One asset's position at the close of one UTC day."""

    day: date
    quantity: Decimal
    price: Decimal | None  # the day's close
    value: Decimal | None  # quantity * price, 8 decimals
    avg_price: Decimal | None  # None when no known-cost unit is held
    cost: Decimal


@dataclass(slots=True)
class Snapshot:
    """The replay's state at the end of `day`: every position and every cash quantity."""

    day: date
    positions: dict[str, PositionState] = field(default_factory=dict)
    cash: dict[str, Decimal] = field(default_factory=dict)
    # The euro book's state at the same day's end (docs/currencies.md); None in a snapshot
    # taken before the history had one (that history is then replayed from its first day).
    eur: Snapshot | None = None

    def to_json(self) -> dict[str, Any]:
        data = self._book_json()
        if self.eur is not None:
            data["eur"] = self.eur._book_json()
        return data

    def _book_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "positions": {
                asset: {
                    name: None if (v := getattr(state, name)) is None else str(v)
                    for name in _STATE_FIELDS
                }
                for asset, state in self.positions.items()
            },
            "cash": {asset: str(qty) for asset, qty in self.cash.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        positions = {
            asset: PositionState(
                asset,
                **{n: None if v is None else Decimal(v) for n, v in values.items()},
            )
            for asset, values in data["positions"].items()
        }
        cash = {asset: Decimal(qty) for asset, qty in data["cash"].items()}
        eur = cls.from_json(data["eur"]) if "eur" in data else None
        return cls(date.fromisoformat(data["day"]), positions, cash, eur)


def day_of(ts: datetime) -> date:
    """The UTC day of a moment (naive times are UTC already)."""
    return ts.astimezone(UTC).date() if ts.tzinfo is not None else ts.date()


def sort_events(fills: Iterable[Fill], movements: Iterable[Movement]) -> list[Event]:
    """The events in the engine's replay order."""
    events: list[Event] = [*fills, *movements]
    events.sort(key=_sort_key)
    return events


class HistoryBook:
    """The engine's book plus cash quantities, fed one day's events at a time."""

    def __init__(
        self,
        *,
        price_at: PriceAt,
        quote: str = "USDT",
        fiat: frozenset[str] = FIAT,
        snapshot: Snapshot | None = None,
    ) -> None:
        self.quote = quote
        self._book = _Book(quote, price_at, fiat, [], strict_prices=False)
        self.cash: dict[str, Decimal] = {}
        if snapshot is not None:
            for asset, state in snapshot.positions.items():
                copy = PositionState(asset, **{n: getattr(state, n) for n in _STATE_FIELDS})
                self._book.positions[asset] = copy
                self._book.states[asset] = copy
            self.cash.update(snapshot.cash)

    @property
    def positions(self) -> dict[str, PositionState]:
        return self._book.positions

    def apply(self, events: Iterable[Event]) -> None:
        """Replay `events` (already in replay order) onto the positions and the cash."""
        book, states, cash = self._book, self._book.states, self.cash

        def move_cash(asset: str | None, delta: Decimal) -> None:
            if asset is None or not delta or states[asset] is not None:
                return  # not cash: the engine's position carries it
            held = cash.get(asset, ZERO) + delta
            cash[asset] = held if held > ZERO else ZERO

        with localcontext(MONEY_CONTEXT):
            for event in events:
                if isinstance(event, Fill):
                    _apply_fill(book, event)
                    sign = ONE if event.side == "buy" else -ONE
                    move_cash(event.base, sign * event.amount)
                    move_cash(event.quote, -sign * event.cost)
                    move_cash(event.fee_asset, -event.fee)
                else:
                    _apply_movement(book, event)
                    sign = -ONE if event.kind == "withdrawal" else ONE
                    move_cash(event.asset, sign * event.amount)
                    move_cash(event.fee_asset or event.asset, -event.fee)

    def point(self, day: date, close: DayClose) -> DayPoint:
        """The figures at `day`'s close (the events up to its end already applied)."""
        value = invested = unrealized = realized = income = ZERO
        unpriced = 0
        with localcontext(MONEY_CONTEXT):
            for asset, state in self._book.positions.items():
                realized += state.realized
                income += state.income
                if state.quantity <= ZERO:
                    continue
                invested += state.cost
                price = close(asset, day)
                if price is None:
                    unpriced += 1
                    continue
                value += _q(state.quantity * price)
                avg = state.avg_price
                if avg is not None:
                    unrealized += _q((price - avg) * state.known_qty)
            for asset, qty in self.cash.items():
                if qty <= ZERO:
                    continue
                price = ONE if is_cash(asset, self.quote) else close(asset, day)
                if price is None:
                    unpriced += 1
                    continue
                cash_value = _q(qty * price)
                value += cash_value
                invested += cash_value
        return DayPoint(day, value, _q(invested), _q(realized), unrealized, _q(income), unpriced)

    def snapshot(self, day: date) -> Snapshot:
        positions = {
            a: PositionState(a, **{n: getattr(s, n) for n in _STATE_FIELDS})
            for a, s in self._book.positions.items()
        }
        return Snapshot(day, positions, dict(self.cash))


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += DAY


def replay_days(
    events: list[Event],
    *,
    first: date,
    last: date,
    close: DayClose,
    price_at: PriceAt,
    snapshot: Snapshot | None = None,
    quote: str = "USDT",
    fiat: frozenset[str] = FIAT,
    on_day: Callable[[HistoryBook, date], None] | None = None,
) -> tuple[list[DayPoint], HistoryBook]:
    """One point per day from `first` to `last`, starting from `snapshot` (the state at the
    end of the day before `first`) or from nothing. `events` are in replay order; those
    before `first` must already be in the snapshot and are skipped. `on_day(book, day)` is
    called after each day's point (to take snapshots)."""
    book = HistoryBook(price_at=price_at, quote=quote, fiat=fiat, snapshot=snapshot)
    points: list[DayPoint] = []
    i, n = 0, len(events)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    while i < n and _aware(events[i].ts) < start:
        i += 1
    for day in days(first, last):
        end = start + DAY * ((day - first).days + 1)
        j = i
        while j < n and _aware(events[j].ts) < end:
            j += 1
        book.apply(events[i:j])
        i = j
        points.append(book.point(day, close))
        if on_day is not None:
            on_day(book, day)
    return points, book


def asset_days(
    events: list[Event],
    asset: str,
    *,
    first: date,
    last: date,
    close: DayClose,
    price_at: PriceAt,
    quote: str = "USDT",
    fiat: frozenset[str] = FIAT,
) -> list[AssetDay]:
    """`asset`'s position day by day. A position only moves with the legs on its own asset,
    so only the events that touch it are replayed."""
    mine = [e for e in events if _touches(e, asset)]
    out: list[AssetDay] = []

    def record(book: HistoryBook, day: date) -> None:
        state = book.positions.get(asset)
        if state is None:
            return
        price = close(asset, day)
        with localcontext(MONEY_CONTEXT):
            value = _q(state.quantity * price) if price is not None else None
        out.append(AssetDay(day, state.quantity, price, value, state.avg_price, state.cost))

    replay_days(mine, first=first, last=last, close=close, price_at=price_at, quote=quote,
                fiat=fiat, on_day=record)  # fmt: skip
    return out


def _touches(event: Event, asset: str) -> bool:
    if isinstance(event, Fill):
        return asset in (event.base, event.quote, event.fee_asset)
    return event.asset == asset or event.fee_asset == asset


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def _q(value: Decimal) -> Decimal:
    return value.quantize(VALUE_PLACES, rounding=ROUND_HALF_EVEN, context=MONEY_CONTEXT)
