"""Which markets the price stream listens to for the watch keys, and how their ticks become
each key's price: a USDT key (`ETH`) and a EUR key with its own market (`ETH/EUR` on ETHEUR)
take their market's ticks as they are; a EUR key without one takes ASSET/USDT ticks divided
by the last EUR/USDT tick (and a new EUR/USDT tick moves every such key)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from exstrat_app.domain.touch import PriceTouch
from exstrat_app.infra.exchanges.stream import Tick
from exstrat_app.services.portfolio.prices import PriceProvider, symbol_for
from exstrat_app.services.strategies.markets import (
    CONVERSION_PAIR,
    EUR,
    USDT,
    converted,
    split_key,
)

RATE_MARKET = symbol_for(EUR, USDT)  # EURUSDT


@dataclass(frozen=True)
class Route:
    key: str
    market: str  # the market id whose ticks price the key
    via: bool = False  # divided by the EUR/USDT rate


def routes_for(provider: PriceProvider, keys: Iterable[str]) -> dict[str, Route]:
    """Each key's route: a EUR key is converted only when the ticker lists no ASSET/EUR
    market (the provider's cache holds every market Binance lists)."""
    keys = sorted(set(keys))
    eur_assets = [split_key(k)[0] for k in keys if split_key(k)[1] == EUR]
    listed = provider.last_prices(eur_assets, EUR, include_stale=True) if eur_assets else {}
    routes: dict[str, Route] = {}
    for key in keys:
        asset, quote = split_key(key)
        if quote == EUR and asset not in listed:
            routes[key] = Route(key, symbol_for(asset, USDT), via=True)
        else:
            routes[key] = Route(key, symbol_for(asset, quote))
    return routes


def markets_of(routes: Iterable[Route]) -> set[str]:
    """Every market id the routes read (EURUSDT too when one is converted)."""
    markets: set[str] = set()
    for route in routes:
        markets.add(route.market)
        if route.via:
            markets.add(RATE_MARKET)
    return markets


def seed_ticks(provider: PriceProvider, routes: Iterable[Route]) -> list[Tick]:
    """The cached last prices of the converted keys' markets and of EUR/USDT, as ticks: a
    quiet market sends no tick, and a rate move must still convert its last price."""
    assets = sorted({split_key(r.key)[0] for r in routes if r.via})
    if not assets:
        return []
    found = provider.last_prices([*assets, EUR], USDT)
    return [Tick(symbol_for(a, USDT), q.price, q.at) for a, q in sorted(found.items())]


class TickRouter:
    """Ticks in, (key, observation) out, for one set of routes. `seed`: ticks known before
    the first one arrives (`seed_ticks`), remembered without being observed."""

    def __init__(self, routes: Iterable[Route], seed: Iterable[Tick] = ()) -> None:
        self._by_market: dict[str, list[Route]] = {}
        self._converted: list[Route] = []
        for route in routes:
            self._by_market.setdefault(route.market, []).append(route)
            if route.via:
                self._converted.append(route)
        self._rate: Decimal | None = None
        self._last: dict[str, Tick] = {}  # the last tick of each converted key's market
        for tick in seed:
            if tick.market_id == RATE_MARKET and tick.price > 0:
                self._rate = tick.price
            elif tick.market_id in self._by_market:
                self._last[tick.market_id] = tick

    def observations(self, tick: Tick) -> list[PriceTouch]:
        seen: list[PriceTouch] = []
        if tick.market_id == RATE_MARKET and self._converted:
            self._rate = tick.price if tick.price > 0 else self._rate
            # the rate moved: every converted key's euro price moved with it
            for route in self._converted:
                if (last := self._last.get(route.market)) is not None:
                    seen.append(self._converted_seen(route.key, last.price, tick))
        for route in self._by_market.get(tick.market_id, ()):
            if not route.via:
                seen.append(PriceTouch.at_price(route.key, tick.price, tick.at))
                continue
            self._last[route.market] = tick
            if self._rate is not None:
                seen.append(self._converted_seen(route.key, tick.price, tick))
        return seen

    def _converted_seen(self, key: str, usdt_price: Decimal, tick: Tick) -> PriceTouch:
        assert self._rate is not None
        price = converted(usdt_price, self._rate)
        return PriceTouch(key, price, price, price, tick.at, via=CONVERSION_PAIR)
