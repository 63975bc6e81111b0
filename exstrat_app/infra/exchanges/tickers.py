"""Every Binance market's last price in one HTTP request (`GET /api/v3/ticker/price`, no
symbol), parsed as Decimals from the text. The cache around it is the price provider's
(`services/portfolio/prices.py`); this module only talks HTTP.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from exstrat_app.settings import Settings

DEFAULT_BINANCE_URL = "https://api.binance.com"
TICKER_PATH = "/api/v3/ticker/price"
DAY_PATH = "/api/v3/ticker/24hr?type=MINI"  # every market, weight 80: highs and lows of 24 h


class TickerUnavailable(Exception):
    """The ticker endpoint could not be read, or answered something that is not a price list.

    Not the domain's `PriceUnavailable` (no price for an asset at a moment, a bookkeeping
    fact): this is one failed upstream request, which the provider retries then cools down.
    """


def binance_base_url(settings: Settings) -> str:
    return (settings.binance_url or DEFAULT_BINANCE_URL).rstrip("/")


_http: tuple[int, httpx.Client] | None = None


def _http_client() -> httpx.Client:
    """One client per process, kept between cycles: `httpx.get` builds a client (and loads
    the CA bundle, ~40 ms) per call and opens a new connection each time. Keyed by pid so a
    forked worker never shares its parent's sockets."""
    global _http
    pid = os.getpid()
    if _http is None or _http[0] != pid:
        _http = (pid, httpx.Client())
    return _http[1]


def fetch_binance_tickers(base_url: str, *, timeout: float = 10.0) -> dict[str, Decimal]:
    """Every market's last price, in one request: {market id (`ETHUSDT`): price}."""
    try:
        response = _http_client().get(f"{base_url}{TICKER_PATH}", timeout=timeout)
        response.raise_for_status()
        rows = json.loads(response.text, parse_float=Decimal)
    except (httpx.HTTPError, ValueError) as exc:
        raise TickerUnavailable(f"ticker request failed: {exc}") from exc
    if not isinstance(rows, list):
        raise TickerUnavailable("ticker answer is not a list")
    return _parse_ticker_rows(rows)


def _parse_ticker_rows(rows: list[Any]) -> dict[str, Decimal]:
    prices: dict[str, Decimal] = {}
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("symbol"), str):
            continue
        try:
            price = Decimal(str(row.get("price")))
        except InvalidOperation:
            continue
        if price.is_finite() and price > 0:
            prices[row["symbol"]] = price
    return prices


def fetch_binance_day_ranges(
    base_url: str | None = None, *, timeout: float = 10.0
) -> dict[str, tuple[Decimal, Decimal]]:
    """Every market's 24-hour (high, low) in one request: {market id: (high, low)}. Through
    the kept client like the ticker (going through ccxt's throttle, its weight 80 would make
    the next request of the shared schedule wait 0.8 s); once per REST watch cycle it is
    ~5 % of Binance's 6000-a-minute IP budget. `base_url` defaults to the settings'."""
    if base_url is None:
        from exstrat_app.settings import get_settings

        base_url = binance_base_url(get_settings())
    try:
        response = _http_client().get(f"{base_url}{DAY_PATH}", timeout=timeout)
        response.raise_for_status()
        rows = json.loads(response.text, parse_float=Decimal)
    except (httpx.HTTPError, ValueError) as exc:
        raise TickerUnavailable(f"24 h ticker request failed: {exc}") from exc
    if not isinstance(rows, list):
        raise TickerUnavailable("24 h ticker answer is not a list")
    ranges: dict[str, tuple[Decimal, Decimal]] = {}
    for row in rows:
        try:
            high, low = Decimal(str(row["highPrice"])), Decimal(str(row["lowPrice"]))
            ranges[str(row["symbol"])] = (high, low)
        except (KeyError, TypeError, ArithmeticError):
            continue
    return ranges
