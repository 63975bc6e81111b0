"""to_decimal / fmt: amounts in and out as exact decimal text (SPEC §4: no float anywhere)."""

from __future__ import annotations

from decimal import Context, Decimal

import pytest

from exstrat_app.domain.errors import AmountTypeError, InvalidAmount
from exstrat_app.domain.money import (
    MONEY_CONTEXT,
    STABLE_QUOTES,
    fmt,
    is_stable,
    require_decimal,
    to_decimal,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2200", Decimal("2200")),  # plain integer text
        ("0.80", Decimal("0.8")),  # trailing zero kept by Decimal, equal by value
        ("1e-8", Decimal("0.00000001")),  # exponent notation accepted on input
        ("1E+3", Decimal("1000")),
        (" 4.00 ", Decimal("4")),  # surrounding spaces ignored (pasted values)
        ("-3.5", Decimal("-3.5")),  # sign allowed: P&L can be negative
        (".5", Decimal("0.5")),
        ("0", Decimal(0)),
        # NUMERIC(38,18) limits, exactly at the edge: 20 integer digits, 18 decimals.
        (
            "99999999999999999999.999999999999999999",
            Decimal("99999999999999999999.999999999999999999"),
        ),
        ("0.000000000000000001", Decimal("1E-18")),
        # Trailing zeros past the 18th decimal change nothing, so they are accepted.
        ("2200.0000000000000000000000", Decimal("2200")),
    ],
)
def test_to_decimal_accepts_text(text: str, expected: Decimal) -> None:
    assert to_decimal(text) == expected


def test_to_decimal_accepts_int_and_decimal() -> None:
    assert to_decimal(4) == Decimal(4)
    assert to_decimal(Decimal("2000.5")) == Decimal("2000.5")


@pytest.mark.parametrize("value", [0.1, 2200.0, True, False, None, [1], b"1"])
def test_to_decimal_rejects_non_decimal_types_with_type_error(value: object) -> None:
    # A float already lost precision before we see it: refuse it outright.
    with pytest.raises(TypeError) as info:
        to_decimal(value, field="baseQty")  # type: ignore[arg-type]
    # ...and it is an InvalidAmount too, so an API handler still gets the field name.
    assert isinstance(info.value, AmountTypeError)
    assert isinstance(info.value, InvalidAmount)
    assert info.value.field == "baseQty"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "required"),
        ("   ", "required"),
        ("NaN", "finite"),
        ("-Infinity", "finite"),
        ("inf", "finite"),
        ("abc", "not a decimal number"),
        ("1_000", "not a decimal number"),  # Decimal() would accept this; we do not
        ("1,5", "not a decimal number"),
        ("0x10", "not a decimal number"),
        ("1.2.3", "not a decimal number"),
        # 19 decimals: NUMERIC(38,18) would round it.
        ("0.0000000000000000001", "19 decimals"),
        # 21 digits before the point: NUMERIC(38,18) would overflow.
        ("100000000000000000000", "21 digits before the point"),
        ("1e20", "21 digits before the point"),
        # 39 significant digits.
        ("123456789012345678901.123456789012345678", "39 significant digits"),
    ],
)
def test_to_decimal_rejects_bad_text(text: str, fragment: str) -> None:
    with pytest.raises(InvalidAmount) as info:
        to_decimal(text, field="price")
    assert info.value.field == "price"
    assert fragment in info.value.message
    assert isinstance(info.value, ValueError)


def test_to_decimal_rejects_non_finite_decimal() -> None:
    with pytest.raises(InvalidAmount, match="finite"):
        to_decimal(Decimal("NaN"))
    with pytest.raises(InvalidAmount, match="finite"):
        to_decimal(Decimal("Infinity"))


def test_to_decimal_does_not_round_long_input_away() -> None:
    # 60 significant digits: normalize() at 50 digits would round this to 0.1 and accept it.
    with pytest.raises(InvalidAmount, match=r"significant digits|decimals"):
        to_decimal("0.1" + "0" * 57 + "1")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("2200.000000000000000000"), "2200"),  # as read from NUMERIC(38,18)
        (Decimal("0.80"), "0.8"),
        (Decimal("1E-8"), "0.00000001"),  # never exponent notation
        (Decimal("1E+3"), "1000"),
        (Decimal("0E-18"), "0"),
        (Decimal("-0.00"), "0"),  # no "-0" in the API
        (Decimal("-12.3400"), "-12.34"),
        (
            Decimal("99999999999999999999.999999999999999999"),
            "99999999999999999999.999999999999999999",
        ),
    ],
)
def test_fmt(value: Decimal, text: str) -> None:
    assert fmt(value) == text


def test_fmt_refuses_float_and_non_finite() -> None:
    with pytest.raises(TypeError):
        fmt(0.8)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-finite"):
        fmt(Decimal("NaN"))


def test_require_decimal() -> None:
    assert require_decimal(Decimal("1.5"), "qty") == Decimal("1.5")
    with pytest.raises(TypeError):
        require_decimal(1.5, "qty")
    with pytest.raises(TypeError):
        require_decimal(1, "qty")  # an int is not yet a Decimal: parse it with to_decimal
    with pytest.raises(InvalidAmount, match="finite"):
        require_decimal(Decimal("Infinity"), "qty")


def test_stable_quotes() -> None:
    assert {"USDT", "USDC", "USD"} <= STABLE_QUOTES
    assert is_stable("FDUSD")
    assert not is_stable("BTC")


def test_money_context_is_wide_enough_for_numeric_38_18() -> None:
    # A quantity times a price, both with 18 decimals: 40 significant digits in the product.
    qty = Decimal("1.123456789012345678")
    price = Decimal("2000.123456789012345678")
    exact = Decimal("2247.052276392456940514527968299765279684")
    assert MONEY_CONTEXT.multiply(qty, price) == exact
    # The default 28-digit context would have rounded it.
    assert Context(prec=28).multiply(qty, price) != exact


def test_only_ascii_digits_are_amounts() -> None:
    # Python's Decimal reads Arabic-Indic digits ("١٢" == 12); an amount field must not.
    with pytest.raises(InvalidAmount):
        to_decimal("١٢")
    with pytest.raises(InvalidAmount):
        to_decimal("１２")  # full-width digits
    assert to_decimal("12") == Decimal("12")
