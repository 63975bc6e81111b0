"""Simulated Binance (spot) + Coinbase (Advanced Trade) REST server for tests, benchmarks and
the demo. ccxt talks to it with its real signing and parsing; only the URLs are rewritten.

    from simexchange import SimExchange, small_dataset
    sim = SimExchange(small_dataset())
    base = sim.start()          # "http://127.0.0.1:NNNN"
    sim.set_price("ETH/USDT", "2200")
    sim.inject_fault("429", count=2, path_contains="/api/v3/myTrades", retry_after=1)
    sim.stop()
"""

from .datasets import (
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
    SMALL_BINANCE_BALANCES,
    SMALL_BINANCE_IMPLIED,
    SMALL_BINANCE_UNEXPLAINED,
    SMALL_COINBASE_BALANCES,
    SMALL_T,
    PriceHistory,
    SimAccount,
    SimDataset,
    SimMarket,
    SimTrade,
    SimTransfer,
    compute_balances,
    demo_dataset,
    large_dataset,
    retail_dataset,
    small_dataset,
)
from .server import FAULT_KINDS, SimExchange

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
    "FAULT_KINDS",
    "SMALL_BINANCE_BALANCES",
    "SMALL_BINANCE_IMPLIED",
    "SMALL_BINANCE_UNEXPLAINED",
    "SMALL_COINBASE_BALANCES",
    "SMALL_T",
    "PriceHistory",
    "SimAccount",
    "SimDataset",
    "SimExchange",
    "SimMarket",
    "SimTrade",
    "SimTransfer",
    "compute_balances",
    "demo_dataset",
    "large_dataset",
    "retail_dataset",
    "small_dataset",
]
