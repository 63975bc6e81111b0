"""The history charts' points (state/charts.py; no browser needed): the range cut from the
last day, thinning that keeps the last day, exact figures as recharts' numeric strings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from exstrat_app.state.charts import (
    in_range,
    last_day_text,
    position_points,
    progress_text,
    thinned,
    value_points,
)

D = Decimal
DAY1 = date(2024, 1, 1)


@dataclass(frozen=True)
class Day:
    day: date
    value: Decimal
    invested: Decimal
    realized: Decimal = Decimal("0")
    unrealized: Decimal = Decimal("0")
    income: Decimal = Decimal("0")


@dataclass(frozen=True)
class AssetDay:
    day: date
    quantity: Decimal
    price: Decimal | None
    value: Decimal | None
    avg_price: Decimal | None


def _days(n: int) -> list[Day]:
    return [Day(DAY1 + timedelta(days=i), D(i), D(100)) for i in range(n)]


def test_a_range_counts_back_from_the_last_day() -> None:
    days = _days(400)  # 2024-01-01 .. 2025-02-03
    assert len(in_range(days, "1M")) == 30
    assert in_range(days, "1M")[0].day == date(2025, 1, 5)  # 2025-02-03 minus 29 days
    assert len(in_range(days, "3M")) == 91
    assert len(in_range(days, "1Y")) == 365
    assert len(in_range(days, "All")) == 400
    assert in_range(_days(10), "1Y") == _days(10)  # shorter than the range: all of it


def test_thinning_keeps_the_last_day_and_at_most_the_limit() -> None:
    days = _days(1000)
    kept = thinned(days, 400)
    assert len(kept) <= 400 and kept[-1] == days[-1]  # step 3: 334 points
    assert len(kept) == 334
    assert thinned(days[:50], 400) == days[:50]


def test_points_are_exact_numeric_strings() -> None:
    day = Day(DAY1, D("13996.5"), D("9050.123"), D("-12.005"), D("4946.377"), D("20"))
    [point] = value_points([day], "All")
    # Cents, half-even as quantize does: 9,050.123 -> 9050.12; -12.005 -> -12.00 -> "-12".
    assert point == {"day": "2024-01-01", "value": "13996.5", "invested": "9050.12",
                     "realized": "-12", "unrealized": "4946.38", "income": "20"}  # fmt: skip
    assert last_day_text([day]) == {"day": "2024-01-01", "value": "13,996.50",
                                    "invested": "9,050.12", "realized": "-12.00",
                                    "unrealized": "4,946.38", "income": "20.00"}  # fmt: skip
    assert last_day_text([]) == {}


def test_a_position_day_without_price_has_no_value() -> None:
    day2 = DAY1 + timedelta(days=1)
    days = [AssetDay(DAY1, D("0.5"), None, None, D("2000")),
            AssetDay(day2, D("0.5"), D("2100"), D("1050"), D("2000"))]  # fmt: skip
    first, second = position_points(days, "All")
    assert first["value"] is None and first["price"] is None and first["avg"] == "2000"
    assert second == {"day": "2024-01-02", "value": "1050", "avg": "2000", "price": "2100",
                      "quantity": "0.5"}  # fmt: skip


def test_progress_text() -> None:
    assert progress_text(D("0.427")) == "42"
    assert progress_text(None) == "0"
    assert progress_text(D("1.2")) == "100"
