"""Datasets for the simulated exchange: markets, price histories and accounts keyed by API key.

Every amount is a ``Decimal`` (never a float). The server turns them into the strings the real
exchanges send. The datasets provided:

- ``small_dataset()``: hand-checkable; every figure is documented in ``small.py`` so tests can
  compute the expected trades, balances and positions by hand.
- ``large_dataset(n_trades, n_symbols, seed)``: generated, deterministic, for benchmarks.
- ``demo_dataset(seed)``: a few hundred trades over ~10 assets for the demo, with an ETH
  position of ~4 ETH at an average near 2000 USDT and ETH/USDT at 2190 (a +10 % step is close).
- ``retail_dataset()``: Binance Convert, card buys, fiat, dust, distributions, Simple Earn and
  Funding, hand-checkable (``retail.py``).
- ``market_dataset(prices)``: Binance spot markets and their prices only (no accounts).

All datasets with accounts use the same API keys (``keys.py``), so a demo user can paste them.
"""

from .balances import compute_balances
from .demo import demo_dataset
from .keys import (
    BINANCE_READONLY_KEY,
    BINANCE_READONLY_PERMISSIONS,
    BINANCE_READONLY_SECRET,
    BINANCE_TRADING_KEY,
    BINANCE_TRADING_SECRET,
    BINANCE_WITHDRAW_KEY,
    BINANCE_WITHDRAW_SECRET,
    COINBASE_ED25519_KEY,
    COINBASE_ED25519_SECRET,
    COINBASE_READONLY_KEY,
    COINBASE_READONLY_PERMISSIONS,
    COINBASE_READONLY_SECRET,
    COINBASE_TRADING_KEY,
    COINBASE_TRADING_SECRET,
    COINBASE_TRANSFER_KEY,
    COINBASE_TRANSFER_SECRET,
)
from .large import large_dataset
from .markets import market_dataset
from .model import SimAccount, SimDataset, SimMarket, SimTrade, SimTransfer
from .prices import PriceHistory
from .retail import RETAIL_WALLETS, retail_dataset
from .small import (
    SMALL_BINANCE_BALANCES,
    SMALL_BINANCE_IMPLIED,
    SMALL_BINANCE_UNEXPLAINED,
    SMALL_COINBASE_BALANCES,
    SMALL_T,
    small_dataset,
)

__all__ = [
    "BINANCE_READONLY_KEY",
    "BINANCE_READONLY_PERMISSIONS",
    "BINANCE_READONLY_SECRET",
    "BINANCE_TRADING_KEY",
    "BINANCE_TRADING_SECRET",
    "BINANCE_WITHDRAW_KEY",
    "BINANCE_WITHDRAW_SECRET",
    "COINBASE_ED25519_KEY",
    "COINBASE_ED25519_SECRET",
    "COINBASE_READONLY_KEY",
    "COINBASE_READONLY_PERMISSIONS",
    "COINBASE_READONLY_SECRET",
    "COINBASE_TRADING_KEY",
    "COINBASE_TRADING_SECRET",
    "COINBASE_TRANSFER_KEY",
    "COINBASE_TRANSFER_SECRET",
    "RETAIL_WALLETS",
    "SMALL_BINANCE_BALANCES",
    "SMALL_BINANCE_IMPLIED",
    "SMALL_BINANCE_UNEXPLAINED",
    "SMALL_COINBASE_BALANCES",
    "SMALL_T",
    "PriceHistory",
    "SimAccount",
    "SimDataset",
    "SimMarket",
    "SimTrade",
    "SimTransfer",
    "compute_balances",
    "demo_dataset",
    "large_dataset",
    "market_dataset",
    "retail_dataset",
    "small_dataset",
]
