"""Fixtures for the simulated exchange tests: a running SimExchange and real ccxt clients
pointed at it (only the URLs are rewritten; ccxt signs and parses for real)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import ccxt
import pytest

from simexchange import (
    BINANCE_READONLY_KEY,
    BINANCE_READONLY_SECRET,
    COINBASE_READONLY_KEY,
    COINBASE_READONLY_SECRET,
    SimExchange,
    small_dataset,
)

_BINANCE_HOST = re.compile(r"^https?://[^/]*binance\.(?:com|vision|us|me)")


def point_binance(exchange: ccxt.binance, base_url: str) -> ccxt.binance:
    """Replace the scheme+host of every REST URL ccxt's binance uses with ``base_url``."""

    def rewrite(node: object) -> object:
        if isinstance(node, str):
            return _BINANCE_HOST.sub(base_url, node)
        if isinstance(node, dict):
            return {k: rewrite(v) for k, v in node.items()}
        return node

    exchange.urls["api"] = rewrite(exchange.urls["api"])
    return exchange


def point_coinbase(exchange: ccxt.coinbase, base_url: str) -> ccxt.coinbase:
    exchange.urls["api"]["rest"] = base_url
    return exchange


def make_binance(
    base_url: str,
    key: str = BINANCE_READONLY_KEY,
    secret: str = BINANCE_READONLY_SECRET,
    **config: object,
) -> ccxt.binance:
    options = {"fetchMarkets": {"types": ["spot"]}, "fetchMargins": False, "fetchCurrencies": False}
    options.update(config.pop("options", {}))  # type: ignore[arg-type]
    ex = ccxt.binance(
        {"apiKey": key, "secret": secret, "enableRateLimit": False, "options": options, **config}
    )
    ex.number = str
    return point_binance(ex, base_url)


def make_coinbase(
    base_url: str,
    key: str = COINBASE_READONLY_KEY,
    secret: str = COINBASE_READONLY_SECRET,
    **config: object,
) -> ccxt.coinbase:
    ex = ccxt.coinbase({"apiKey": key, "secret": secret, "enableRateLimit": False, **config})
    ex.number = str
    return point_coinbase(ex, base_url)


@pytest.fixture
def sim() -> Iterator[SimExchange]:
    s = SimExchange(small_dataset())
    s.start()
    yield s
    s.stop()


@pytest.fixture
def binance(sim: SimExchange) -> Callable[..., ccxt.binance]:
    return lambda **kw: make_binance(sim.url, **kw)


@pytest.fixture
def coinbase(sim: SimExchange) -> Callable[..., ccxt.coinbase]:
    return lambda **kw: make_coinbase(sim.url, **kw)


@pytest.fixture
def make_binance_client() -> Callable[..., ccxt.binance]:
    """``make_binance_client(base_url, key=..., secret=..., **ccxt_config)``."""
    return make_binance


@pytest.fixture
def make_coinbase_client() -> Callable[..., ccxt.coinbase]:
    return make_coinbase
