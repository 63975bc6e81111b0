"""Lot sizes for the ladder: the quantity step a strategy's amounts are cut to.

The lookup is a parameter of the use cases (`LotStepLookup`), so tests and the demo can give
a fixed step; the entry points pass `exchange_lot_step_lookup(redis)`, the exchanges' own
LOT_SIZE through the markets adapter (cached in that Redis).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from redis import Redis

from exstrat_app.i18n import N_
from exstrat_app.infra import exchanges as xa
from exstrat_app.services.errors import ExchangeUnavailable, InvalidInput
from exstrat_app.services.strategies.inputs import QUOTE, FieldErrors
from exstrat_app.services.strategies.markets import EUR, watched_on

# Lot sizes are per base asset; Coinbase often has no */USDT market but the same increment.
LOT_SYMBOL_QUOTES = ("USDT", "USDC", "USD")
PRICE_EXCHANGE = "binance"  # the one price provider: where a ladder's market is looked for

# (exchange, symbol such as "ETH/USDT") -> its quantity step, None if it lists no such market.
LotStepLookup = Callable[[str, str], Decimal | None]


def exchange_lot_step_lookup(redis: Redis) -> LotStepLookup:
    """The lot steps the exchanges publish; raises ExchangeUnavailable (503) when the
    exchange cannot be reached, InvalidInput for an exchange we don't support."""

    def lookup(exchange: str, symbol: str) -> Decimal | None:
        try:
            return xa.lot_step_for(exchange, symbol, redis=redis)
        except xa.UnsupportedExchange as exc:
            raise InvalidInput(exc.message, fields={"exchange": "unsupported"}) from None
        except xa.MarketsUnavailable as exc:
            raise ExchangeUnavailable(exc.message) from None

    return lookup


@dataclass(frozen=True)
class LadderMarket:
    lot_step: Decimal | None
    watched_on: str  # `ETH/USDT`, `ETH/EUR`, `ETH/USDT via EUR/USDT`


def ladder_market(
    exchange: str, asset: str, quote: str, lookup: LotStepLookup, errors: FieldErrors
) -> LadderMarket:
    """Where a ladder is watched and the lot its quantities are cut to. A EUR ladder is watched
    on ASSET/EUR where Binance (the price provider) lists it, and its quantities follow that
    market's lot on the account's exchange (where it sells); otherwise the asset's lot."""
    if quote == EUR:
        direct = lookup(PRICE_EXCHANGE, f"{asset}/{EUR}") is not None
        step = lookup(exchange, f"{asset}/{EUR}")
        if step is None:
            step = lot_step_of(exchange, asset, lookup, errors)
        return LadderMarket(step, watched_on(asset, EUR, direct=direct))
    step = lot_step_of(exchange, asset, lookup, errors)
    return LadderMarket(step, watched_on(asset, quote, direct=True))


def lot_step_of(
    exchange: str, asset: str, lookup: LotStepLookup, errors: FieldErrors
) -> Decimal | None:
    """The asset's lot step from its first listed quote; a field error if none is listed."""
    for quote in LOT_SYMBOL_QUOTES:
        step = lookup(exchange, f"{asset}/{quote}")
        if step is not None:
            return step
    errors.add(
        "asset",
        N_(
            "{exchange} lists no {asset}/{quote} market",
            exchange=exchange.capitalize(),
            asset=asset,
            quote=QUOTE,
        ),
    )
    return None
