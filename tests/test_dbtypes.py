"""SQLite's money encoding (`dbtypes.encode_sortable`): exact, and ordered like the numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exstrat_app.infra.db.types import decode_sortable, encode_sortable, quantize_money

# Every amount NUMERIC(38,18) can hold: 20 integer digits, 18 decimals, either sign.
amounts = st.decimals(
    min_value=Decimal("-99999999999999999999.999999999999999999"),
    max_value=Decimal("99999999999999999999.999999999999999999"),
    places=18,
    allow_nan=False,
    allow_infinity=False,
)


@given(amounts)
def test_every_amount_round_trips_exactly(value: Decimal) -> None:
    assert decode_sortable(encode_sortable(value)) == value


@given(amounts, amounts)
def test_text_order_is_numeric_order(a: Decimal, b: Decimal) -> None:
    assert (encode_sortable(a) < encode_sortable(b)) == (a < b)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (Decimal("2051.8"), "P" + "2051".zfill(20) + "8".ljust(18, "0")),
        (Decimal("0"), "P" + "0" * 38),
        (Decimal("-0"), "P" + "0" * 38),  # no negative zero in the index
        (Decimal("1E-18"), "P" + "0" * 37 + "1"),
        (Decimal("-1E-18"), "N" + "9" * 37 + "8"),
        (Decimal("-1.25"), "N" + "9" * 19 + "8" + "74" + "9" * 16),
    ],
)
def test_worked_encodings(value: Decimal, encoded: str) -> None:
    assert encode_sortable(value) == encoded


def test_38_digit_negative_keeps_every_digit() -> None:
    # Built with a 28-digit context this came back as -100000000000000000000.0000000.
    value = Decimal("-99999999999999999999.999999999999999999")
    assert str(decode_sortable(encode_sortable(value))) == str(value)


def test_more_than_18_decimals_rounds_half_away_from_zero_like_postgresql() -> None:
    assert decode_sortable(encode_sortable(Decimal("5E-19"))) == Decimal("1E-18")
    assert decode_sortable(encode_sortable(Decimal("-5E-19"))) == Decimal("-1E-18")
    assert quantize_money(Decimal("2.0000000000000000005")) == Decimal("2.000000000000000001")


@pytest.mark.parametrize("bad", [Decimal("1E20"), Decimal("-1E20"), Decimal("NaN")])
def test_out_of_range_or_not_a_number_is_refused(bad: Decimal) -> None:
    with pytest.raises((ValueError, ArithmeticError)):
        encode_sortable(bad)


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**20), max_value=10**20))
def test_plain_amounts_encode_like_their_quantized_value(value: Decimal) -> None:
    # The fast path (padding the exchange's own string) must agree with quantizing first.
    from exstrat_app.infra.db.types import _encode_quantized

    try:
        expected = _encode_quantized(value)
    except ValueError:
        with pytest.raises(ValueError):
            encode_sortable(value)
        return
    assert encode_sortable(value) == expected
