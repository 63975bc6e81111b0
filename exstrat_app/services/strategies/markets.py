"""Where a ladder's price comes from: its quote (USDT, or EUR) and the market it is watched on.

A USDT ladder is watched on ASSET/USDT, as it always was, and its watch key is the bare asset
(`ETH`): the keys of the watcher's touches, the stream's subscriptions and the evaluated
moments kept in Redis stay what they were. A EUR ladder's key is `ETH/EUR`: its targets are in
euros, so it is compared with a euro price only. That price is the ASSET/EUR market's where
Binance lists it, else ASSET/USDT divided by the live EUR/USDT (docs/watching.md, "Ladders in
euros"); a touch priced that way carries `via="EUR/USDT"` and the alert says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext

from exstrat_app.domain.money import MONEY_CONTEXT
from exstrat_app.i18n import N_, Msg
from exstrat_app.services.portfolio.prices import PriceProvider, Quote

USDT = "USDT"
EUR = "EUR"
QUOTES = (USDT, EUR)  # what a ladder may be priced in
# The person's reporting currency -> the quote their ladders are offered in ("USD" is USDT).
QUOTE_OF_CURRENCY = {"USD": USDT, "EUR": EUR}
CONVERSION_PAIR = "EUR/USDT"
Seen = tuple[Quote, str | None]  # a last price, and the pair it was converted through or None


def watch_key(asset: str, quote: str) -> str:
    """`ETH` for a USDT ladder (the key it always had), `ETH/EUR` for a EUR one."""
    return asset if quote == USDT else f"{asset}/{quote}"


def split_key(key: str) -> tuple[str, str]:
    """The (asset, quote) of a watch key: `ETH` -> (ETH, USDT), `ETH/EUR` -> (ETH, EUR)."""
    asset, _sep, quote = key.partition("/")
    return asset, quote or USDT


def watched_on(asset: str, quote: str, *, direct: bool) -> str:
    """The market as people read it: `ETH/EUR`, or `ETH/USDT via EUR/USDT`."""
    if quote == USDT or direct:
        return f"{asset}/{quote}"
    return f"{asset}/{USDT} via {CONVERSION_PAIR}"


def via_note(asset: str) -> Msg:
    """The sentence an alert adds when a EUR ladder's price was converted."""
    return N_(
        "Binance lists no {asset}/EUR market: this price is {asset}/USDT converted at the "
        "live EUR/USDT rate.",
        asset=asset,
    )


def converted(usdt_price: Decimal, eur_usdt: Decimal) -> Decimal:
    """A USDT price in euros: EUR = USDT / EURUSDT."""
    with localcontext(MONEY_CONTEXT):
        return usdt_price / eur_usdt


def last_quotes(provider: PriceProvider, keys: Iterable[str]) -> dict[str, Seen]:
    """{watch key: (its last price, the pair it was converted through or None)}, fresh prices
    only (a stale price never triggers). A EUR key takes its ASSET/EUR market where the ticker
    lists it (even stale: then it waits for a fresh one rather than switch markets), else
    ASSET/USDT / EUR/USDT, as old as the older of the two."""
    by_quote: dict[str, list[str]] = {}
    for key in keys:
        asset, quote = split_key(key)
        by_quote.setdefault(quote, []).append(asset)
    found: dict[str, Seen] = {}
    for quote, assets in sorted(by_quote.items()):
        listed = provider.last_prices(assets, quote, include_stale=True)
        for asset, seen in listed.items():
            if seen.age_seconds() <= provider.stale_after_seconds:
                found[watch_key(asset, quote)] = (seen, None)
        unlisted = [a for a in assets if a not in listed]
        if quote == EUR and unlisted:
            found |= _converted_quotes(provider, unlisted)
    return found


def _converted_quotes(provider: PriceProvider, assets: list[str]) -> dict[str, Seen]:
    rate = provider.last_prices([EUR], USDT).get(EUR)
    if rate is None or rate.price <= 0:
        return {}
    return {
        watch_key(asset, EUR): (
            Quote(converted(seen.price, rate.price), min(seen.at, rate.at)),
            CONVERSION_PAIR,
        )
        for asset, seen in provider.last_prices(assets, USDT).items()
    }
