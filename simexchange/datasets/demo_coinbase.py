"""The demo's Coinbase account: USD products whose prices follow the Binance USDT paths, ~20
fills, a fiat deposit, a send and a receive."""

from __future__ import annotations

import random
from decimal import Decimal

from .ids import sim_uuid, txhash
from .keys import COINBASE_READONLY_KEY, COINBASE_READONLY_PERMISSIONS, COINBASE_READONLY_SECRET
from .model import ZERO, SimAccount, SimMarket, SimTrade, SimTransfer
from .prices import PriceHistory, quantize_down
from .times import DAY_MS

D = Decimal


def coinbase_demo_account(
    rng: random.Random, t0: int, prices: dict[str, PriceHistory]
) -> tuple[dict[str, SimMarket], SimAccount]:
    """The demo's Coinbase markets and read-only account; adds the USD price paths (and each
    fill's price) to ``prices``."""
    cmk = {
        m.symbol: m
        for m in [
            SimMarket("BTC", "USD", D("0.00000001"), D("0.01"), D("0.00000001"), D("1")),
            SimMarket("ETH", "USD", D("0.00000001"), D("0.01"), D("0.00000001"), D("1")),
            SimMarket("SOL", "USD", D("0.00000001"), D("0.01"), D("0.00000001"), D("1")),
        ]
    }
    for m in cmk.values():
        src = prices[f"{m.base}/USDT"]
        prices[m.symbol] = PriceHistory(list(zip(src.times, src.prices, strict=True)))
    cbal: dict[str, Decimal] = {"USD": ZERO}
    c_trades: list[SimTrade] = []
    c_dep: list[SimTransfer] = []
    c_wd: list[SimTransfer] = []
    c_dep.append(
        SimTransfer(
            "deposit",
            "USD",
            D("8000.00"),
            t0 + 20 * DAY_MS,
            id=sim_uuid("demo-cb-fiat"),
            cb_type="fiat_deposit",
        )
    )
    cbal["USD"] += D("8000.00")
    seq = 500_000
    for k, t in enumerate(sorted(t0 + rng.randint(21, 340) * DAY_MS for _ in range(20))):
        sym = rng.choice(sorted(cmk))
        base = cmk[sym].base
        price = prices[sym].at(t)
        held = cbal.get(base, ZERO)
        if held > 0 and rng.random() < 0.25:
            qty = quantize_down(held / 2, D("0.00000001"))
            side = "sell"
        else:
            qty = quantize_down(D(rng.choice((100, 200, 400))) / price, D("0.00000001"))
            side = "buy"
        quote_qty = qty * price
        fee = (quote_qty * D("0.006")).quantize(D("0.01"))
        if side == "buy":
            if cbal["USD"] < quote_qty + fee:
                continue
            cbal[base] = held + qty
            cbal["USD"] -= quote_qty + fee
        else:
            cbal[base] = held - qty
            cbal["USD"] += quote_qty - fee
        seq += rng.randint(1, 20)
        c_trades.append(SimTrade(sym, side, qty, price, fee, "USD", t, id=seq, order_id=k + 1))
        prices[sym].add(t, price)
    if cbal.get("ETH", ZERO) > D("0.01"):
        amt = quantize_down(cbal["ETH"] / 4, D("0.0001"))
        c_wd.append(
            SimTransfer(
                "withdrawal",
                "ETH",
                amt,
                t0 + 345 * DAY_MS,
                fee=D("0.0004"),
                id=sim_uuid("demo-cb-send"),
                txid="0x" + txhash("demo-cb-send"),
                network="ethereum",
                address="0x" + txhash("demo-cb-ext")[:40],
                cb_type="send",
            )
        )
        cbal["ETH"] -= amt + D("0.0004")
    c_dep.append(
        SimTransfer(
            "deposit",
            "BTC",
            D("0.01"),
            t0 + 350 * DAY_MS,
            id=sim_uuid("demo-cb-recv"),
            txid=txhash("demo-cb-recv"),
            network="bitcoin",
            cb_type="receive",
        )
    )
    cbal["BTC"] = cbal.get("BTC", ZERO) + D("0.01")
    for a in ("BTC", "ETH", "SOL", "USDC"):
        cbal.setdefault(a, ZERO)
    cro = SimAccount(
        exchange="coinbase",
        api_key=COINBASE_READONLY_KEY,
        secret=COINBASE_READONLY_SECRET,
        permissions=dict(COINBASE_READONLY_PERMISSIONS),
        balances={a: (v, ZERO) for a, v in cbal.items()},
        trades=c_trades,
        deposits=c_dep,
        withdrawals=c_wd,
    )
    return cmk, cro
