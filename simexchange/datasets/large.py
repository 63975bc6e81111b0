"""``large_dataset(n_trades, n_symbols, seed)``: generated, deterministic, fast; for benchmarks
and the sync's scale tests."""

from __future__ import annotations

import random
from decimal import Decimal

from .accounts import add_binance_aliases
from .ids import txhash
from .keys import BINANCE_READONLY_KEY, BINANCE_READONLY_PERMISSIONS, BINANCE_READONLY_SECRET
from .model import ZERO, SimAccount, SimDataset, SimMarket, SimTrade, SimTransfer
from .prices import PriceHistory
from .times import DAY_MS, MINUTE_MS, ms

D = Decimal

LARGE_START = ms("2023-01-01T00:00:00.000Z")
_E8 = 100_000_000


def _d8(v: int) -> Decimal:
    """An integer in units of 1e-8 -> Decimal (exact)."""
    return Decimal(v).scaleb(-8)


def large_dataset(n_trades: int = 100_000, n_symbols: int = 50, seed: int = 42) -> SimDataset:
    """``n_trades`` Binance trades over ``n_symbols`` markets ``ASSET{i}/USDT`` for the key
    ``BINANCE_READONLY_KEY`` (aliases for the trading/withdraw keys too).

    Trades are spread over 2023-01-01 .. ~2024-08 (time increases with the trade id of each
    symbol). Buys pay the fee in the base asset (0.1 %), sells in USDT (0.1 %). One USDT
    deposit per 90-day window keeps the account funded (so windows hold deposits), and one
    withdrawal of ASSET0 happens at the end. Balances equal what trades and transfers imply
    exactly (no unexplained difference). Amounts are exact in 1e-8 units.
    """
    rng = random.Random(seed)
    n_symbols = max(1, n_symbols)
    assets = [f"ASSET{i}" for i in range(n_symbols)]
    markets = {}
    price_ticks = []  # price in cents (tick 0.01)
    for a in assets:
        m = SimMarket(a, "USDT", D("0.001"), D("0.01"), D("0.001"), D("1"))
        markets[m.symbol] = m
        price_ticks.append(rng.randint(100, 100_000))  # 1.00 .. 1000.00 USDT
    span_ms = 600 * DAY_MS
    gap = max(1, span_ms // max(1, n_trades))
    holdings = [0] * n_symbols  # in 1e-8
    usdt = 0
    trades: list[SimTrade] = []
    deposits: list[SimTransfer] = []
    next_id = [1_000_000 * (i + 1) for i in range(n_symbols)]
    hist_pts: list[list[tuple[int, Decimal]]] = [[] for _ in range(n_symbols)]
    dep_every = 90 * DAY_MS
    next_dep_t = LARGE_START
    t = LARGE_START + MINUTE_MS
    rnd = rng.random
    randint = rng.randint
    dep_amount = max(100_000, n_trades * 150) * _E8

    def deposit(t_dep: int, amt: int) -> None:
        n = len(deposits)
        deposits.append(
            SimTransfer(
                "deposit",
                "USDT",
                _d8(amt),
                t_dep,
                id=f"dep-large-{n}",
                txid="0x" + txhash("large", seed, n),
                network="ETH",
                address="0x9f3a7c1e5b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a",
            )
        )

    for k in range(n_trades):
        t += gap // 2 + int(rnd() * gap)
        while t >= next_dep_t:
            usdt += dep_amount
            deposit(next_dep_t, dep_amount)
            next_dep_t += dep_every
        i = randint(0, n_symbols - 1)
        # random walk of the price (ticks of 0.01), never below 0.10
        p = price_ticks[i]
        p = max(10, p + int((rnd() - 0.5) * p * 0.01))
        price_ticks[i] = p
        price_e8 = p * 1_000_000
        qty_steps = randint(1, 5000)  # 0.001 .. 5.000
        qty_e8 = qty_steps * 100_000
        quote_e8 = price_e8 * qty_e8 // _E8  # exact: <= 5 decimals
        sell = holdings[i] >= qty_e8 and rnd() < 0.4
        if sell:
            fee_e8 = quote_e8 // 1000  # 0.1 % of quote, exact in 1e-8
            holdings[i] -= qty_e8
            usdt += quote_e8 - fee_e8
            fee_asset = "USDT"
        else:
            if usdt < quote_e8:  # top up just before the trade (rare)
                usdt += dep_amount
                deposit(t - 1, dep_amount)
            fee_e8 = qty_e8 // 1000
            holdings[i] += qty_e8 - fee_e8
            usdt -= quote_e8
            fee_asset = assets[i]
        tid = next_id[i]
        next_id[i] = tid + 1
        price = _d8(price_e8)
        trades.append(
            SimTrade(
                f"{assets[i]}/USDT",
                "sell" if sell else "buy",
                _d8(qty_e8),
                price,
                _d8(fee_e8),
                fee_asset,
                t,
                id=tid,
                order_id=9_000_000 + k,
                is_maker=bool(k & 1),
                quote_qty=_d8(quote_e8),
            )
        )
        hist_pts[i].append((t, price))
    withdrawals: list[SimTransfer] = []
    if holdings[0] > 10 * 100_000:
        w_amt = holdings[0] // 2 // 100_000 * 100_000
        fee = 100_000  # 0.001
        holdings[0] -= w_amt + fee
        withdrawals.append(
            SimTransfer(
                "withdrawal",
                assets[0],
                _d8(w_amt),
                t + MINUTE_MS,
                fee=_d8(fee),
                id="wd-large-0",
                txid="0x" + txhash("large-wd", seed),
                network="ETH",
                address="0x1111222233334444555566667777888899990000",
            )
        )
    balances = {a: (_d8(holdings[i]), ZERO) for i, a in enumerate(assets)}
    balances["USDT"] = (_d8(usdt), ZERO)
    prices = {}
    for i, a in enumerate(assets):
        first = (LARGE_START, hist_pts[i][0][1] if hist_pts[i] else _d8(price_ticks[i] * 10**6))
        h = PriceHistory()
        h.times = [first[0]] + [p[0] for p in hist_pts[i]]
        h.prices = [first[1]] + [p[1] for p in hist_pts[i]]
        prices[f"{a}/USDT"] = h
    ro = SimAccount(
        exchange="binance",
        api_key=BINANCE_READONLY_KEY,
        secret=BINANCE_READONLY_SECRET,
        permissions=dict(BINANCE_READONLY_PERMISSIONS),
        balances=balances,
        trades=trades,
        deposits=deposits,
        withdrawals=withdrawals,
    )
    ds = SimDataset(
        name=f"large-{n_trades}-{n_symbols}-{seed}",
        binance_markets=markets,
        coinbase_markets={},
        prices=prices,
        accounts={},
    )
    ds.add_account(ro)
    add_binance_aliases(ds, ro)
    return ds
