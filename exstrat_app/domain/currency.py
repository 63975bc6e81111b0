"""The reporting currency: US dollars (the USD stablecoins counted 1:1) or euros.

The rules, told in full in docs/currencies.md:

- Every cost, proceed, fee and income enters the books in the reporting currency at its own
  minute. A leg priced in the book's currency is its own value, exactly. In a euro book a
  USDT/USDC leg is worth `amount / EURUSDT` at that minute, any other asset its USDT price
  at that minute (the price router's) divided by the same EURUSDT close. In a dollar book a
  EUR leg is worth `amount * EURUSDT` at its minute (the router prices EUR like any asset).
- The current value of an asset in euros is its last ASSET/EUR price where that market
  exists, else its last ASSET/USDT price divided by the last EURUSDT. Euros held are worth
  their amount; dollar stablecoins held are worth `1 / EURUSDT` each.

Pure functions over Decimals: the services pass the prices in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, localcontext

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.money import FIAT, MONEY_CONTEXT, STABLE_QUOTES

EUR = "EUR"
USD_BOOK = "USDT"  # the dollar book: every USD stablecoin is worth 1 in it
BOOKS = (USD_BOOK, EUR)
# What `?quote=` accepts: the dollar stables (one book) and the euro.
REPORTING_QUOTES = ("USDT", "USDC", "USD", EUR)
ONE = Decimal(1)
ZERO = Decimal(0)

# (asset, ts) -> value of one unit in the reporting currency; raises PriceUnavailable.
PriceAt = Callable[[str, datetime], Decimal]


def quote_for_currency(currency: str | None) -> str:
    """The quote a user's currency choice ("USD" | "EUR") reports in: EUR, else USDT."""
    return EUR if (currency or "").upper() == EUR else USD_BOOK


def book_of(quote: str) -> str:
    """Which stored book a reporting quote reads: EUR for EUR, the dollar book otherwise."""
    return EUR if quote.upper() == EUR else USD_BOOK


def book_fiat(book: str) -> frozenset[str]:
    """Assets valued at their minute but never given a position (cash-like) in `book`.

    In the dollar book: the fiat currencies (the stables are cash there, worth 1). In the
    euro book: the other fiat currencies and the dollar stables, which are no longer worth
    a fixed 1 but are still money, not an investment.
    """
    if book == EUR:
        return (FIAT - {EUR}) | STABLE_QUOTES
    return FIAT


def eur_price_at(usdt_price_at: PriceAt) -> PriceAt:
    """`price_at` for the euro book, from the dollar book's (`usdt_price_at(asset, ts)`,
    the 1-minute close in USDT, which also prices EUR itself: the EURUSDT close).

    EUR is 1; a USD stable is 1 / EURUSDT; anything else is its USDT price / EURUSDT, both
    at the same minute. No EURUSDT close at that minute: `PriceUnavailable` (the engine
    values the leg at 0 and lists it, like any unpriced leg).
    """

    def price_at(asset: str, ts: datetime) -> Decimal:
        if asset == EUR:
            return ONE
        rate = usdt_price_at(EUR, ts)
        if rate <= ZERO:
            raise PriceUnavailable(EUR, ts, f"EURUSDT close {rate} cannot divide")
        usdt = ONE if asset in STABLE_QUOTES else usdt_price_at(asset, ts)
        with localcontext(MONEY_CONTEXT):
            return usdt / rate

    return price_at


def eur_close(
    usdt_close: Callable[[str, date], Decimal | None],
) -> Callable[[str, date], Decimal | None]:
    """A day's close in euros for the value history, from the dollar one (which also closes
    EUR itself: the day's EURUSDT): EUR is 1, a USD stable 1 / EURUSDT, anything else its
    USDT close / EURUSDT; None when either close is missing."""

    def close(asset: str, day: date) -> Decimal | None:
        if asset == EUR:
            return ONE
        rate = usdt_close(EUR, day)
        usdt = ONE if asset in STABLE_QUOTES else usdt_close(asset, day)
        if rate is None or rate <= ZERO or usdt is None:
            return None
        return usdt_to_eur(usdt, rate)

    return close


def usdt_to_eur(amount: Decimal, eur_usdt: Decimal) -> Decimal:
    """`amount` USDT in euros at an EURUSDT rate (EUR = USDT / EURUSDT)."""
    with localcontext(MONEY_CONTEXT):
        return amount / eur_usdt


def eur_to_usdt(amount: Decimal, eur_usdt: Decimal) -> Decimal:
    """`amount` euros in USDT at an EURUSDT rate (the dollar book's rule for EUR legs)."""
    with localcontext(MONEY_CONTEXT):
        return amount * eur_usdt


def current_eur_price(
    asset: str,
    *,
    eur_price: Decimal | None,
    usdt_price: Decimal | None,
    eur_usdt: Decimal | None,
) -> Decimal | None:
    """The last price of one `asset` in euros, None when it cannot be told.

    `eur_price`: the last ASSET/EUR (None when Binance lists no such market); `usdt_price`:
    the last ASSET/USDT; `eur_usdt`: the last EURUSDT.
    """
    if asset == EUR:
        return ONE
    usable_rate = eur_usdt is not None and eur_usdt > ZERO
    if asset in STABLE_QUOTES:
        return usdt_to_eur(ONE, eur_usdt) if usable_rate else None  # type: ignore[arg-type]
    if eur_price is not None:
        return eur_price
    if usdt_price is not None and usable_rate:
        return usdt_to_eur(usdt_price, eur_usdt)  # type: ignore[arg-type]
    return None
