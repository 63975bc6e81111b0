"""Parsing and printing of amounts: every amount is a `Decimal`, never a float.

Amounts are stored as NUMERIC(38,18): at most 20 digits before the point and 18 after it.
`to_decimal` refuses anything that would not fit, so a value accepted here survives the database
unchanged. Arithmetic on such values needs more than the default 28 digits of precision, hence
`MONEY_CONTEXT` (use it with `decimal.localcontext(MONEY_CONTEXT)`).
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation

from exstrat_app.domain.errors import AmountTypeError, InvalidAmount

MAX_DIGITS = 38
MAX_DECIMALS = 18
MAX_INT_DIGITS = MAX_DIGITS - MAX_DECIMALS

# 50 digits: a product of two 38-digit amounts is exact to well past the 18th decimal.
MONEY_CONTEXT = Context(prec=50)

# Stablecoins (and USD) counted 1:1 with the reporting quote in V1 (SPEC §4).
STABLE_QUOTES: frozenset[str] = frozenset({"USDT", "USDC", "USD", "BUSD", "FDUSD", "DAI", "TUSD"})

# Fiat currencies: cash-like (no position is built for them) but not 1:1 with the reporting
# quote, so their legs are valued through `price_at` (EUR/USDT at that minute). USD is not here:
# it is in STABLE_QUOTES (worth exactly 1).
FIAT: frozenset[str] = frozenset(
    {
        "EUR", "GBP", "TRY", "BRL", "AUD", "CAD", "CHF", "JPY", "PLN", "NZD", "SEK", "NOK",
        "DKK", "CZK", "HUF", "RON", "BGN", "UAH", "RUB", "KZT", "NGN", "ZAR", "ARS", "MXN",
        "COP", "PEN", "CLP", "INR", "IDR", "VND", "PHP", "THB", "KRW", "HKD", "SGD", "TWD",
        "AED", "SAR", "ILS", "EGP", "PKR", "BDT", "GHS", "KES",
    }
)  # fmt: skip

# Strict: Decimal() alone would also take "1_000", "NaN", "Infinity" and surrounding spaces.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?", re.ASCII)
_NON_FINITE = {"nan", "snan", "inf", "infinity"}


def to_decimal(value: str | int | Decimal, *, field: str = "amount") -> Decimal:
    """Parse an amount from text, an int or a Decimal; raise `InvalidAmount` if it is not one.

    Accepts "2200", "0.80", "-3", "1e-8"; leading/trailing spaces are ignored. Rejects floats
    and bools (`AmountTypeError`, also a `TypeError`), empty text, NaN/Infinity, and values that
    do not fit NUMERIC(38,18). The value is returned as written (Decimal("0.80") keeps its
    exponent); compare amounts by value, print them with `fmt`.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        # bool is an int subclass; True as an amount is always a bug.
        raise AmountTypeError(
            field, f"must be a decimal string or Decimal, not {type(value).__name__}"
        )
    if isinstance(value, str):
        value = _parse_text(value, field)
    elif isinstance(value, int):
        value = Decimal(value)
    _check_fits(value, field)
    return value


def _parse_text(text: str, field: str) -> Decimal:
    stripped = text.strip()
    if not stripped:
        raise InvalidAmount(field, "is required")
    if stripped.lstrip("+-").lower() in _NON_FINITE:
        raise InvalidAmount(field, "must be a finite number")
    if not _NUMBER.fullmatch(stripped):
        raise InvalidAmount(field, f"{text!r} is not a decimal number (write it like 12.5)")
    try:
        return Decimal(stripped)
    except (InvalidOperation, ValueError) as exc:  # pragma: no cover - the regex guards this
        raise InvalidAmount(field, f"{text!r} is not a decimal number") from exc


def _check_fits(value: Decimal, field: str) -> None:
    """Refuse what NUMERIC(38,18) cannot hold exactly (it would be rounded or overflow)."""
    if not value.is_finite():
        raise InvalidAmount(field, "must be a finite number")
    significant, decimals, int_digits = _digit_counts(value)
    if significant > MAX_DIGITS:
        raise InvalidAmount(field, f"has {significant} significant digits (at most {MAX_DIGITS})")
    if decimals > MAX_DECIMALS:
        raise InvalidAmount(field, f"has {decimals} decimals (at most {MAX_DECIMALS})")
    if int_digits > MAX_INT_DIGITS:
        raise InvalidAmount(
            field, f"has {int_digits} digits before the point (at most {MAX_INT_DIGITS})"
        )


def _digit_counts(value: Decimal) -> tuple[int, int, int]:
    """(significant digits, decimals, digits before the point), trailing zeros ignored.

    Done on the digit tuple rather than with normalize(), which would round to the context's
    precision and so could hide a 60-digit input.
    """
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite values only
    trimmed = list(digits)
    while len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()
        exponent += 1
    if trimmed == [0]:
        return 1, 0, 1
    decimals = max(0, -exponent)
    int_digits = max(0, len(trimmed) + exponent)
    # Zeros between the last digit and the point (1E+5 = 100000) are significant in NUMERIC.
    significant = len(trimmed) + max(0, exponent) if int_digits else len(trimmed)
    return significant, decimals, int_digits


def fmt(d: Decimal) -> str:
    """Plain text of a Decimal: no exponent, no trailing zeros, "0" for any zero.

    Decimal("2200.000000000000000000") -> "2200", Decimal("0.80") -> "0.8",
    Decimal("1E-8") -> "0.00000001". Never rounds: quantize first if the value carries more
    decimals than you want to show (e.g. an average computed at 50 digits).
    """
    if isinstance(d, bool) or not isinstance(d, Decimal):
        raise TypeError(f"fmt() takes a Decimal, not {type(d).__name__}")
    if not d.is_finite():
        raise ValueError(f"cannot format a non-finite amount: {d}")
    # 'f' without a precision prints the exact value in positional notation.
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def require_decimal(value: object, field: str) -> Decimal:
    """Check that an already-parsed amount is a finite Decimal (floats raise a TypeError)."""
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise AmountTypeError(field, f"must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise InvalidAmount(field, "must be a finite number")
    return value


def is_stable(asset: str) -> bool:
    """True for the stablecoins/fiat treated 1:1 with the reporting quote in V1."""
    return asset in STABLE_QUOTES


def is_fiat(asset: str) -> bool:
    """True for a fiat currency of `FIAT` (valued through price_at, never a position)."""
    return asset in FIAT
