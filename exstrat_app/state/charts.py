"""The history charts' points: the service's day points (exact Decimals) as the
numeric strings recharts scales, cut to the chosen range and thinned to what a chart can
show; and the last day's figures as display text, money with its currency sign in euros
(the dollar quotes keep bare figures, their quote named beside them).

The states keep every point on the server and send the browser one range at a time, so a
range change costs no database read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol, TypeVar

from exstrat_app.i18n import _, ngettext
from exstrat_app.state.display import (
    DASH,
    chart_number,
    day_text,
    dec,
    money_in,
    money_text,
    price_text,
    qty_text,
)

RANGE_DAYS = {"1M": 30, "3M": 91, "1Y": 365, "All": None}
DEFAULT_RANGE = "1Y"
MAX_POINTS = 400  # more than a chart's width in pixels shows nothing more
CENT = Decimal("0.01")
# Reporting currencies written with their sign ("€1,721.75"); the USD quotes (USDT, USDC)
# keep the bare figures their pages have always shown, the quote named beside them.
SIGNED_CURRENCIES = ("EUR",)
SMALL_PRICE = Decimal("1E-8")


def with_sign(currency: str) -> bool:
    return currency in SIGNED_CURRENCIES


def money_shown(value: object, currency: str) -> str:
    """Money as a page shows it: "13,996.50" in a USD quote, "€13,996.50" in euros."""
    return money_in(value, currency) if with_sign(currency) else money_text(value)


def price_shown(value: object, currency: str) -> str:
    """A price as a page shows it: `price_text`'s digits, with the euro sign in euros."""
    d = dec(value)
    if d is None:
        return DASH
    if not with_sign(currency):
        return price_text(d)
    if abs(d) >= 1:
        return money_in(d, currency)
    small = d.quantize(SMALL_PRICE, rounding=ROUND_HALF_EVEN).normalize()
    exponent = small.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return money_in(d, currency, max(2, places))


def tooltip_unit(currency: str) -> str:
    """What a chart's tooltip writes after a money figure: the euro sign, nothing in a USD
    quote (the raw coordinates recharts shows are not localized)."""
    return "\u00a0€" if with_sign(currency) else ""


class DayFigures(Protocol):
    """A portfolio day (services.portfolio.history's DayPoint)."""

    @property
    def day(self) -> date: ...
    @property
    def value(self) -> Decimal: ...
    @property
    def invested(self) -> Decimal: ...
    @property
    def realized(self) -> Decimal: ...
    @property
    def unrealized(self) -> Decimal: ...
    @property
    def income(self) -> Decimal: ...


class AssetDay(Protocol):
    """A token's day (services.portfolio.history's AssetDayPoint)."""

    @property
    def day(self) -> date: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def price(self) -> Decimal | None: ...
    @property
    def value(self) -> Decimal | None: ...
    @property
    def avg_price(self) -> Decimal | None: ...


P = TypeVar("P", bound=DayFigures | AssetDay)


def in_range(points: Sequence[P], range_: str) -> list[P]:
    """The points of the range's last N days, counted back from the last point (All: all)."""
    days = RANGE_DAYS.get(range_)
    if days is None or not points:
        return list(points)
    start = points[-1].day - timedelta(days=days - 1)
    return [p for p in points if p.day >= start]


def thinned(points: Sequence[P], most: int = MAX_POINTS) -> list[P]:
    """At most `most` points, evenly spaced, the last one always kept (it is today)."""
    if len(points) <= most:
        return list(points)
    step = -(-len(points) // most)
    kept = list(points[::-1][::step])[::-1]
    return kept


def _coordinate(value: Decimal | None, places: Decimal | None = CENT) -> str | None:
    if value is None:
        return None
    return chart_number(
        value.quantize(places, rounding=ROUND_HALF_EVEN) if places is not None else value
    )


def value_points(points: Sequence[DayFigures], range_: str) -> list[dict[str, str | None]]:
    return [
        {
            "day": p.day.isoformat(),
            "value": _coordinate(p.value),
            "invested": _coordinate(p.invested),
            "realized": _coordinate(p.realized),
            "unrealized": _coordinate(p.unrealized),
            "income": _coordinate(p.income),
        }
        for p in thinned(in_range(points, range_))
    ]


def position_points(points: Sequence[AssetDay], range_: str) -> list[dict[str, str | None]]:
    return [
        {
            "day": p.day.isoformat(),
            "value": _coordinate(p.value),
            "avg": _coordinate(p.avg_price, None),
            "price": _coordinate(p.price, None),
            "quantity": _coordinate(p.quantity, None),
        }
        for p in thinned(in_range(points, range_))
    ]


def last_day_text(points: Sequence[DayFigures], currency: str = "USDT") -> dict[str, str]:
    """The last day's figures as the page writes them (empty when there is no point)."""
    if not points:
        return {}
    p = points[-1]
    return {
        "day": day_text(p.day),
        "value": money_shown(p.value, currency),
        "invested": money_shown(p.invested, currency),
        "realized": money_shown(p.realized, currency),
        "unrealized": money_shown(p.unrealized, currency),
        "income": money_shown(p.income, currency),
    }


def last_position_text(points: Sequence[AssetDay], currency: str = "USDT") -> dict[str, str]:
    if not points:
        return {}
    p = points[-1]
    return {
        "day": day_text(p.day),
        "quantity": qty_text(p.quantity),
        "value": money_shown(p.value, currency),
        "avg": price_shown(p.avg_price, currency),
    }


def progress_text(progress: Decimal | None) -> str:
    """0..1 -> "42" (whole percent) for the building state's bar."""
    if progress is None:
        return "0"
    return str(int(max(Decimal(0), min(progress, Decimal(1))) * 100))


class QuantityGapFigures(Protocol):
    asset: str
    held: Decimal
    explained: Decimal


def gap_text(gaps: Sequence[QuantityGapFigures]) -> str:
    """One sentence naming what the history cannot explain (the page values the live
    balances, the history what the trades and transfers explain), empty when nothing."""
    if not gaps:
        return ""
    parts = [
        _("{explained} of the {held} {asset} held", explained=qty_text(g.explained),
          held=qty_text(g.held), asset=g.asset)
        for g in gaps[:5]
    ]  # fmt: skip
    listed = "; ".join(parts)
    if len(gaps) > 5:
        more = len(gaps) - 5
        listed = ngettext("{listed} and {n} more asset", "{listed} and {n} more assets", more,
                          listed=listed)  # fmt: skip
    return _(
        "The history values what your trades and transfers explain: {listed} (the figures "
        "above value what the exchange holds today).",
        listed=listed,
    )
