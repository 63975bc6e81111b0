"""ccxt's decimal_to_precision sets the calling thread's decimal context to ROUND_HALF_UP (with
Underflow trapped) and never restores it: our rounding must not depend on the ambient context."""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal as D

import ccxt
from ccxt.base.decimal_to_precision import ROUND, TRUNCATE, decimal_to_precision

from exstrat_app.infra.exchanges.client import call
from exstrat_app.state.charts import value_points
from tests.browser.test_chart_points import Day


def test_half_even_survives_ccxt_changing_the_thread_context() -> None:
    saved = decimal.getcontext().copy()
    try:
        decimal_to_precision("1.005", ROUND, 2)  # as ccxt's create_order does
        assert decimal.getcontext().rounding == decimal.ROUND_HALF_UP  # ccxt left it so
        day = Day(date(2024, 1, 1), D("1"), D("1"), D("-12.005"), D("1"), D("0"))
        assert value_points([day], "All")[0]["realized"] == "-12"  # half-even: -12.00
    finally:
        decimal.setcontext(saved)


def test_a_ccxt_call_through_the_client_leaves_the_context_as_it_was() -> None:
    saved = decimal.getcontext().copy()
    decimal.setcontext(decimal.Context())  # half-even, Underflow not trapped
    exchange = ccxt.binance()
    try:
        call(exchange, "decimal_to_precision", "1.00005", TRUNCATE, 4)
        context = decimal.getcontext()
        assert context.rounding == decimal.ROUND_HALF_EVEN
        assert not context.traps[decimal.Underflow]
    finally:
        decimal.setcontext(saved)
