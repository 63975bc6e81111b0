"""Lot sizes for the ladder: the quantity step a strategy's amounts are cut to.

The lookup is a parameter of the use cases (`LotStepLookup`), so tests and the demo can give
a fixed step; the entry points pass `exchange_lot_step_lookup(redis)`, the exchanges' own
LOT_SIZE through the markets adapter (cached in that Redis).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from redis import Redis

from exstrat_app.infra import exchanges as xa
from exstrat_app.services.errors import ExchangeUnavailable, InvalidInput
from exstrat_app.services.strategies.inputs import QUOTE, FieldErrors

# Lot sizes are per base asset; Coinbase often has no */USDT market but the same increment.
LOT_SYMBOL_QUOTES = ("USDT", "USDC", "USD")

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


def lot_step_of(
    exchange: str, asset: str, lookup: LotStepLookup, errors: FieldErrors
) -> Decimal | None:
    """The asset's lot step from its first listed quote; a field error if none is listed."""
    for quote in LOT_SYMBOL_QUOTES:
        step = lookup(exchange, f"{asset}/{quote}")
        if step is not None:
            return step
    errors.add("asset", f"{exchange.capitalize()} lists no {asset}/{QUOTE} market")
    return None
