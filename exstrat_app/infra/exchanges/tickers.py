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
