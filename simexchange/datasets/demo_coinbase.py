"""The demo's Coinbase account: USD products whose prices follow the Binance USDT paths, ~20
fills, a fiat deposit, a send and a receive, and what the app's retail user does (v2
transactions, ``cb_transactions.py``): a Buy of ETH paid from the USD wallet, a Convert of
BTC into ETH, and ETH staking rewards."""

from __future__ import annotations

import random
from decimal import Decimal

from .cb_transactions import SimCbTransaction
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
    retail = _retail(t0, prices, cbal)
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
        cb_v2=retail,
    )
    return cmk, cro


def _retail(t0: int, prices: dict[str, PriceHistory], cbal: dict[str, Decimal]) -> list:
    """The last days' retail transactions (no random draw: the rest of the dataset stays what
    it was); moves ``cbal``."""
    out: list[SimCbTransaction] = []
    sat = D("0.00000001")
    t = t0 + 352 * DAY_MS
    if cbal["USD"] >= D("300.00"):
        # Buy: 300.00 USD paid, 4.45 of it the fee (Coinbase's ~1.49 %).
        qty = quantize_down(D("295.55") / prices["ETH/USD"].at(t), sat)
        out.append(
            SimCbTransaction("buy", "ETH", qty, t, sim_uuid("demo-cb-buy"), quote="USD",
                             quote_amount=D("300.00"), fee=D("4.45"))
        )  # fmt: skip
        cbal["USD"] -= D("300.00")
        cbal["ETH"] = cbal.get("ETH", ZERO) + qty
    t = t0 + 354 * DAY_MS
    btc = quantize_down(cbal.get("BTC", ZERO) / 5, sat)
    if btc > D("0.0001"):
        # Convert: a fifth of the BTC into ETH, 1 % spread inside the amounts.
        p_btc, p_eth = prices["BTC/USD"].at(t), prices["ETH/USD"].at(t)
        eth = quantize_down(btc * p_btc / p_eth * D("0.99"), sat)
        out.append(
            SimCbTransaction("trade", "BTC", -btc, t, sim_uuid("demo-cb-convert"), quote="ETH",
                             quote_amount=eth, ref=sim_uuid("demo-cb-trade"))
        )  # fmt: skip
        cbal["BTC"] -= btc
        cbal["ETH"] = cbal.get("ETH", ZERO) + eth
    if cbal.get("ETH", ZERO) > 0:
        for k, day in enumerate((353, 356, 359)):
            out.append(
                SimCbTransaction("staking_reward", "ETH", D("0.0004"), t0 + day * DAY_MS,
                                 sim_uuid("demo-cb-staking", k))
            )  # fmt: skip
            cbal["ETH"] += D("0.0004")
    return out
