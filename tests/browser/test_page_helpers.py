"""The pure helpers behind the pages (no browser needed): exact Decimal text, sorting, the
allocation series, redirects. They run with the browser tests' files but need no app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from exstrat_app.services.portfolio.views import PortfolioRow
from exstrat_app.state.base import login_url, session_cookie
from exstrat_app.state.display import (
    DASH,
    ago_text,
    dec,
    decimals_of,
    money_text,
    pct_text,
    price_text,
    qty_text,
    sign_of,
)
from exstrat_app.state.portfolio import allocation, display_row, sorted_rows
from exstrat_app.state.strategies import distance_text


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        (qty_text, Decimal("3.999"), "3.999"),
        (qty_text, "0.80000000", "0.8"),
        (qty_text, "1234.56789", "1,234.56789"),
        (qty_text, "0.123456789", "0.12345678"),  # cut to 8 decimals, never rounded up
        (money_text, "13996.5", "13,996.50"),
        (money_text, "-0.001", "0.00"),  # no "-0.00"
        (price_text, "2262.733333333333333333", "2,262.73"),
        (price_text, "0.05224", "0.05224"),
        (pct_text, "54.6754", "+54.68 %"),
        (pct_text, "-2.77", "-2.77 %"),
        (money_text, None, DASH),
    ],
)
def test_decimal_text_is_exact(fn, value, expected) -> None:  # type: ignore[no-untyped-def]
    assert fn(value) == expected


def test_floats_are_not_amounts() -> None:
    assert dec(1.5) is None
    assert qty_text(1.5) == DASH
    assert sign_of(2.0) == 0


def test_decimals_of_a_lot_step() -> None:
    assert decimals_of("0.0001") == 4
    assert decimals_of("1") == 0
    assert decimals_of(None) is None
    assert qty_text("2.3594", decimals_of("0.01")) == "2.35"


def test_ago_text() -> None:
    now = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert ago_text(None) == "never"
    assert ago_text(now - timedelta(seconds=5), now) == "just now"
    assert ago_text(now - timedelta(minutes=5), now) == "5 min ago"
    assert ago_text(now - timedelta(days=3), now) == "2024-05-29 12:00 UTC"


def _row(asset: str, quantity: str, avg: str | None, price: str | None, value: str | None,
         pnl_pct: str | None, unexplained: str) -> PortfolioRow:  # fmt: skip
    """A service row (exact Decimals; figures the helpers below do not read are neutral)."""
    avg_price, last, worth, pct = (
        None if t is None else Decimal(t) for t in (avg, price, value, pnl_pct)
    )
    held, unexplained_qty = Decimal(quantity), Decimal(unexplained)
    return PortfolioRow(
        asset=asset, quantity=held, computed_quantity=held - unexplained_qty, avg_price=avg_price,
        price=last, value=worth, pnl=None, pnl_pct=pct, realized_pnl=Decimal(0),
        unexplained=unexplained_qty, cost_unknown_qty=Decimal(0),
    )  # fmt: skip


def _rows() -> tuple[list[dict[str, str]], dict[str, PortfolioRow]]:
    service = [
        _row("ETH", "3.999", "2262.7", "3500", "13996.5", "54.68", "0"),
        _row("BNB", "1", "300.3", "600", "600", "99.8", "0.0125"),
        _row("XYZ", "5", None, None, None, None, "0"),
    ]
    return [display_row(r) for r in service], {r.asset: r for r in service}


def test_rows_sort_by_exact_value_unknown_last() -> None:
    rows, raw = _rows()
    assert [r["asset"] for r in sorted_rows(rows, raw, "value", True)] == ["ETH", "BNB", "XYZ"]
    assert [r["asset"] for r in sorted_rows(rows, raw, "asset", False)] == ["BNB", "ETH", "XYZ"]
    bnb = next(r for r in rows if r["asset"] == "BNB")
    assert bnb["unexplained"] == "0.0125 BNB"
    assert next(r for r in rows if r["asset"] == "ETH")["unexplained"] == ""


def test_allocation_uses_whole_cents() -> None:
    _, raw = _rows()
    slices = allocation(raw)
    assert [(s["name"], s["value"]) for s in slices] == [("ETH", 1399650), ("BNB", 60000)]
    assert all(isinstance(s["value"], int) for s in slices)
    assert [s["share"] for s in slices] == ["95.9 %", "4.1 %"]  # text, from the Decimals


def test_distance_to_the_next_target() -> None:
    assert distance_text("2800", Decimal("2200")) == "+27.27 %"
    assert distance_text("2800", None) == DASH


def test_redirect_targets_stay_on_this_site() -> None:
    assert login_url("/portfolio") == "/login?next=/portfolio"
    assert login_url("/login") == "/login"


def test_session_cookie_is_read_from_the_header() -> None:
    assert session_cookie("a=1; exstrat_session=tok.en.value; b=2") == "tok.en.value"
    assert session_cookie("a=1") == ""
    assert session_cookie("") == ""
