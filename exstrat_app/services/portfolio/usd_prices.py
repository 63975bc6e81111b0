"""The last price of an asset in dollars, for the portfolio's read side (the portfolio, a
token's page, their API routes and the euro figures built on them).

Every USD stablecoin counts 1:1 with the dollar (docs/currencies.md), so there is one dollar
price per asset, whichever of them the figures are reported in: a USDC or USD view reads the
very prices a USDT view reads and differs from it by its label only. Nothing here asks an
ASSET/USDC market for a USDC view: most assets have none, and those that have one would
value the same coins differently from the USDT view.

The price is the last ASSET/USDT, else ASSET/USDC, else the routes the historical prices
take (`price_history.ROUTES`: ASSET/BTC x BTC's price, ASSET/BNB x BNB's, the inverse of
USDT/ASSET or USDC/ASSET, ASSET/EUR x EUR's), so an asset valued in the history is valued
now too rather than shown without a price.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Protocol

from exstrat_app.domain.money import MAX_DECIMALS, MONEY_CONTEXT, STABLE_QUOTES
from exstrat_app.services.portfolio.price_history import PRICING_QUOTES, ROUTES

ONE = Decimal(1)
# A routed price is a product or an inverse: kept to the digits an amount may have.
ROUTED_PLACES = Decimal(1).scaleb(-MAX_DECIMALS)


class Priced(Protocol):
    """What a price source returns per asset (the price provider's `Quote`)."""

    @property
    def price(self) -> Decimal: ...


# The last-prices dependency: `(assets, quote) -> {asset: Priced}`, assets left out when no
# fresh price is known (the price provider's `last_prices`; tests pass a fake).
LastPrices = Callable[[list[str], str], Mapping[str, Priced]]


def usd_prices(prices: LastPrices, assets: Iterable[str]) -> dict[str, Decimal]:
    """{asset: last price in dollars} for the `assets` with one; a stablecoin is 1."""
    wanted = sorted({a for a in assets if a})
    found = {a: ONE for a in wanted if a in STABLE_QUOTES}
    found |= direct_prices(prices, [a for a in wanted if a not in found])
    for kind, other in ROUTES:
        left = [a for a in wanted if a not in found and a != other]
        if not left:
            break
        routed = _inverse(prices, left, other) if kind == "inverse" else None
        found |= routed if routed is not None else _cross(prices, left, other)
    return found


def direct_prices(prices: LastPrices, assets: list[str]) -> dict[str, Decimal]:
    """{asset: last ASSET/USDT, else ASSET/USDC} for the `assets` listed on either."""
    found: dict[str, Decimal] = {}
    for quote in PRICING_QUOTES:
        left = [a for a in assets if a not in found]
        if not left:
            break
        found |= {a: q.price for a, q in prices(left, quote).items() if a in left}
    return found


def _cross(prices: LastPrices, assets: list[str], other: str) -> dict[str, Decimal]:
    """ASSET/OTHER x OTHER's own dollar price, for the assets listed against `other`."""
    legs = {a: q.price for a, q in prices(assets, other).items() if a in assets}
    if not legs:
        return {}
    bridge = ONE if other in STABLE_QUOTES else direct_prices(prices, [other]).get(other)
    if bridge is None:
        return {}
    with localcontext(MONEY_CONTEXT):
        return {a: _routed(leg * bridge) for a, leg in legs.items()}


def _inverse(prices: LastPrices, assets: list[str], other: str) -> dict[str, Decimal]:
    """1 / OTHER/ASSET (a fiat quoted the other way round: USDT/TRY), per asset."""
    found: dict[str, Decimal] = {}
    for asset in assets:
        quoted = prices([other], asset).get(other)
        if quoted is not None and quoted.price > 0:  # 0 cannot be inverted
            with localcontext(MONEY_CONTEXT):
                found[asset] = _routed(ONE / quoted.price)
    return found


def _routed(price: Decimal) -> Decimal:
    return price.quantize(ROUTED_PLACES, rounding=ROUND_HALF_EVEN, context=MONEY_CONTEXT)
