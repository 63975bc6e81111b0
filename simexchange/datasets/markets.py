"""Spot market tables, and a dataset of markets and prices only (no accounts).

``market_dataset`` serves the public endpoints alone: ``/api/v3/ticker/price`` and
``/api/v3/exchangeInfo`` (LOT_SIZE from each market's step), which is all the price alerts read.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .model import SimDataset, SimMarket
from .prices import PriceHistory

D = Decimal


def binance_markets(symbols: list[tuple[str, str, str, str]]) -> dict[str, SimMarket]:
    """``[(base, quote, step, tick), ...]`` -> ``{"ETH/USDT": SimMarket, ...}``; Binance's
    LOT_SIZE minQty equals the step, as on most spot markets."""
    out = {}
    for base, quote, step, tick in symbols:
        m = SimMarket(base, quote, D(step), D(tick), min_qty=D(step))
        out[m.symbol] = m
    return out


def market_dataset(
    prices: Mapping[str, Decimal | str],
    *,
    step: Decimal | str = "0.0001",
    tick: Decimal | str = "0.01",
    name: str = "markets",
) -> SimDataset:
    """Binance spot markets ``{"ETH/USDT": "2000.00", ...}`` priced from the epoch on (so the
    price holds whatever the clock says, until ``SimExchange.set_price`` moves it), every
    one with the LOT_SIZE ``step`` and PRICE_FILTER ``tick``; no accounts."""
    rows = []
    for symbol in prices:
        base, quote = symbol.split("/")
        rows.append((base, quote, str(step), str(tick)))
    return SimDataset(
        name=name,
        binance_markets=binance_markets(rows),
        coinbase_markets={},
        prices={symbol: PriceHistory([(0, D(str(p)))]) for symbol, p in prices.items()},
        accounts={},
    )
