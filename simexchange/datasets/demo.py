"""``demo_dataset(seed)``: a year of activity for the demo, with an ETH position of ~4 ETH at an
average near 2000 USDT and ETH/USDT at 2190 (a +10 % step is close)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

from .accounts import add_binance_aliases, add_coinbase_aliases
from .demo_coinbase import coinbase_demo_account
from .demo_retail import add_eur_market, demo_binance_retail
from .ids import txhash
from .keys import BINANCE_READONLY_KEY, BINANCE_READONLY_PERMISSIONS, BINANCE_READONLY_SECRET
from .markets import binance_markets
from .model import ZERO, SimAccount, SimDataset, SimMarket, SimTrade, SimTransfer
from .prices import PriceHistory, quantize_down, random_walk
from .times import DAY_MS

D = Decimal

DEMO_ASSETS = {
    # asset: (current price USDT, lot step, tick)
    "BTC": ("67000.00", "0.00001", "0.01"),
    "ETH": ("2190.00", "0.0001", "0.01"),
    "BNB": ("600.00", "0.001", "0.01"),
    "SOL": ("150.00", "0.001", "0.01"),
    "ADA": ("0.4500", "0.1", "0.0001"),
    "XRP": ("0.5200", "1", "0.0001"),
    "DOGE": ("0.12000", "1", "0.00001"),
    "DOT": ("6.500", "0.01", "0.001"),
    "LINK": ("14.00", "0.01", "0.01"),
    "MATIC": ("0.7000", "0.1", "0.0001"),
}
DEMO_ETH_TARGET_AVG = D("2000")


def demo_dataset(seed: int = 7, now_ms: int | None = None) -> SimDataset:
    """A year of activity ending at ``now_ms`` (default: today 00:00 UTC, so the dataset is
    stable for a day). Binance: a few hundred trades over BTC, ETH, BNB, SOL, ADA, XRP, DOGE,
    DOT, LINK, MATIC (all /USDT) plus one ETH/BTC buy; fees in BNB or in the received asset;
    USDT/BTC deposits, SOL/ETH withdrawals; beside the order book (``demo_retail.py``) a card
    buy and a Convert of ETH in EUR, Simple Earn interest and ETH in Funding. ETH in spot:
    ~4 ETH at an average near 2000 USDT; the
    current ETH/USDT price is 2190.00 (just below a +10 % step at ~2200). Coinbase: ~20 fills
    on BTC-USD, ETH-USD, SOL-USD, a fiat deposit, a send and a receive.
    """
    rng = random.Random(seed)
    if now_ms is None:
        now_ms = int(datetime.now(UTC).timestamp() * 1000) // DAY_MS * DAY_MS
    t0 = now_ms - 360 * DAY_MS
    every = 4 * 3600 * 1000
    bmk = binance_markets([(a, "USDT", v[1], v[2]) for a, v in DEMO_ASSETS.items()])
    bmk["ETH/BTC"] = SimMarket("ETH", "BTC", D("0.0001"), D("0.00001"), D("0.0001"), D("0.0001"))
    prices = _price_paths(rng, t0, now_ms, every)
    ro = _binance_account(rng, seed, t0, bmk, prices)
    # ETH partly by card and Convert, Simple Earn interest, some in Funding (no random draws)
    ro.binance_retail = demo_binance_retail(t0, prices)
    add_eur_market(bmk, prices)
    # drawn after the Binance activity from the same generator: the dataset stays what it was
    cmk, cro = coinbase_demo_account(rng, t0, prices)
    ds = SimDataset(
        name=f"demo-{seed}",
        binance_markets=bmk,
        coinbase_markets=cmk,
        prices=prices,
        accounts={},
    )
    ds.add_account(ro)
    add_binance_aliases(ds, ro)
    ds.add_account(cro)
    add_coinbase_aliases(ds, cro)
    return ds


def _price_paths(rng: random.Random, t0: int, now_ms: int, every: int) -> dict[str, PriceHistory]:
    """Every DEMO_ASSETS path against USDT (ETH mean-reverting around 2000, then climbing to
    2190 over the last two weeks) and ETH/BTC derived from them."""
    prices: dict[str, PriceHistory] = {}
    for a, (p, _step, tick) in DEMO_ASSETS.items():
        if a == "ETH":
            # mean-reverting around 2000, then a climb to 2190 in the last two weeks
            pts = []
            x = 0.0
            n = (now_ms - 14 * DAY_MS - t0) // every
            for k in range(n):
                x = 0.9 * x + rng.gauss(0, 0.02)
                pts.append(
                    (
                        t0 + k * every,
                        quantize_down(DEMO_ETH_TARGET_AVG * D(str(round(1 + x, 6))), D(tick)),
                    )
                )
            climb = random_walk(rng, now_ms - 14 * DAY_MS, now_ms, every, D(p), D(tick), 0.004)
            start_p = pts[-1][1]
            for k, (t, _v) in enumerate(climb):
                frac = D(k) / D(len(climb) - 1)
                pts.append((t, quantize_down(start_p + (D(p) - start_p) * frac, D(tick))))
            pts.append((now_ms, D(p)))
        else:
            pts = random_walk(rng, t0, now_ms, every, D(p), D(tick), 0.015)
            pts.append((now_ms, D(p)))
        prices[f"{a}/USDT"] = PriceHistory(pts)
    prices["ETH/BTC"] = PriceHistory(
        [
            (t, quantize_down(prices["ETH/USDT"].at(t) / prices["BTC/USDT"].at(t), D("0.00001")))
            for t in prices["BTC/USDT"].times
        ]
    )
    return prices


def _binance_account(
    rng: random.Random,
    seed: int,
    t0: int,
    bmk: dict[str, SimMarket],
    prices: dict[str, PriceHistory],
) -> SimAccount:
    """The read-only key's year: deposits, ~330 trades and two withdrawals, replayed in time
    order so no balance is ever negative in between; each trade's price joins the path."""
    bal: dict[str, Decimal] = {}

    def add(asset: str, v: Decimal) -> None:
        bal[asset] = bal.get(asset, ZERO) + v

    trades: list[SimTrade] = []
    deposits: list[SimTransfer] = []
    withdrawals: list[SimTransfer] = []
    ids = {s: 100_000_000 + 1_000_000 * k for k, s in enumerate(sorted(bmk))}
    order = [7_000_000_000]

    def px(symbol: str, t: int) -> Decimal:
        return prices[symbol].at(t)

    def trade(symbol: str, side: str, qty: Decimal, t: int, fee_mode: str) -> bool:
        m = bmk[symbol]
        qty = quantize_down(qty, m.step)
        price = px(symbol, t)
        if qty <= 0 or price is None:
            return False
        quote_qty = qty * price
        base, quote = m.base, m.quote
        if side == "buy" and bal.get(quote, ZERO) < quote_qty:
            return False
        if side == "sell" and bal.get(base, ZERO) < qty:
            return False
        bnb_px = px("BNB/USDT", t)
        quote_usdt = quote_qty if quote == "USDT" else quote_qty * px(f"{quote}/USDT", t)
        fee_bnb = (quote_usdt * D("0.00075") / bnb_px).quantize(D("0.00000001"))
        if fee_mode == "bnb" and base != "BNB" and bal.get("BNB", ZERO) >= fee_bnb > 0:
            fee, fee_asset = fee_bnb, "BNB"
        elif side == "buy":
            fee, fee_asset = (qty * D("0.001")).quantize(D("0.00000001")), base
        else:
            fee, fee_asset = (quote_qty * D("0.001")).quantize(D("0.00000001")), quote
        ids[symbol] += rng.randint(1, 50)
        order[0] += rng.randint(1, 1000)
        trades.append(
            SimTrade(
                symbol,
                side,
                qty,
                price,
                fee,
                fee_asset,
                t,
                id=ids[symbol],
                order_id=order[0],
                is_maker=rng.random() < 0.3,
                quote_qty=quote_qty,
            )
        )
        if side == "buy":
            add(base, qty)
            add(quote, -quote_qty)
        else:
            add(base, -qty)
            add(quote, quote_qty)
        add(fee_asset, -fee)
        # the trade's price is a point of the history at the trade's time
        prices[symbol].add(t, price)
        return True

    def deposit(asset: str, amount: Decimal, t: int, network: str) -> None:
        n = len(deposits)
        deposits.append(
            SimTransfer(
                "deposit",
                asset,
                amount,
                t,
                id=f"dep-demo-{n}",
                txid="0x" + txhash("demo-dep", seed, n),
                network=network,
                address="0x" + txhash("demo-addr", asset)[:40],
            )
        )
        add(asset, amount)

    def withdraw(asset: str, amount: Decimal, fee: Decimal, t: int, network: str) -> None:
        n = len(withdrawals)
        withdrawals.append(
            SimTransfer(
                "withdrawal",
                asset,
                amount,
                t,
                fee=fee,
                id=f"wd-demo-{n}",
                txid="0x" + txhash("demo-wd", seed, n),
                network=network,
                address="0x" + txhash("demo-ext", n)[:40],
            )
        )
        add(asset, -(amount + fee))

    hour = 3_600_000
    # Every event runs in time order, so no balance is ever negative in between.
    events: list[tuple[int, int, str, tuple]] = []

    def at(t: int, kind: str, *args: object) -> None:
        events.append((t, len(events), kind, args))

    at(t0 + 2 * hour, "deposit", "USDT", D("30000"), "TRX")
    at(t0 + 5 * hour, "trade", "BNB/USDT", "buy", D("3"), "base")
    at(t0 + 120 * DAY_MS, "deposit", "USDT", D("15000"), "ETH")
    at(t0 + 150 * DAY_MS, "deposit", "BTC", D("0.05"), "BTC")
    # ETH: 8 buys totalling 4.4 ETH near 2000, one sell of 0.5 ETH, one ETH/BTC buy of 0.2,
    # one withdrawal of 0.1 (+0.001 fee)  ->  ~4.0 ETH at an average near 2000.
    eth_buys = [D(x) for x in ("0.5", "0.6", "0.4", "0.7", "0.5", "0.6", "0.5", "0.6")]
    eth_days = sorted(rng.sample(range(10, 330), len(eth_buys) + 1))
    for k, q in enumerate(eth_buys):
        t = t0 + eth_days[k] * DAY_MS + rng.randint(0, DAY_MS - 1)
        at(t, "trade", "ETH/USDT", "buy", q, "bnb" if k % 3 else "base")
    at(t0 + eth_days[-1] * DAY_MS + 7 * hour, "trade", "ETH/USDT", "sell", D("0.5"), "bnb")
    at(t0 + 200 * DAY_MS + 3 * hour, "trade", "ETH/BTC", "buy", D("0.2"), "bnb")
    at(t0 + 250 * DAY_MS, "withdraw", "ETH", D("0.1"), D("0.001"), "ETH")
    at(t0 + 300 * DAY_MS, "withdraw_sol")
    # random activity over the other assets
    for _ in range(320):
        at(t0 + 6 * hour + rng.randint(0, 350 * DAY_MS), "random")
    others = [a for a in DEMO_ASSETS if a != "ETH"]
    for t, _n, kind, args in sorted(events):
        if kind == "deposit":
            deposit(args[0], args[1], t, args[2])
        elif kind == "trade":
            trade(args[0], args[1], args[2], t, args[3])
        elif kind == "withdraw":
            if bal.get(args[0], ZERO) >= args[1] + args[2]:
                withdraw(args[0], args[1], args[2], t, args[3])
        elif kind == "withdraw_sol":
            if bal.get("SOL", ZERO) > D("1"):
                withdraw("SOL", quantize_down(bal["SOL"] / 3, D("0.001")), D("0.01"), t, "SOL")
        else:
            a = rng.choice(others)
            sym = f"{a}/USDT"
            held = bal.get(a, ZERO)
            if held > 0 and rng.random() < 0.3:
                trade(sym, "sell", held * D(str(round(rng.uniform(0.1, 0.5), 3))), t, "bnb")
            else:
                budget = D(rng.choice((50, 100, 150, 200, 300, 500)))
                trade(sym, "buy", budget / px(sym, t), t, rng.choice(("bnb", "bnb", "base")))

    trades.sort(key=lambda tr: tr.time)
    for a in DEMO_ASSETS:
        bal.setdefault(a, ZERO)
    balances = {a: (v, ZERO) for a, v in bal.items()}
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
    return ro
