"""The first sync as a user runs it (throttle on) against Binance's request-weight floor.

    python -m bench.sync_floor          (also run by `python -m bench.sync`)
    EXSTRAT_BENCH_FULL=1 ...            (100,000 trades / 50 symbols; default 10,000 / 10)

The account's trades fall at random moments over three years (2022-2024) and pay their fees in
BNB, so valuing them needs BNB/USDT candles spread over the whole span (the `klines` requests
of the positions step). One run prints, per endpoint, the requests and IP weight the simulator
metered (Binance's documented weights, `simexchange/binance/weights.py`) and, for `myTrades`
and `klines`, the fewest requests the data needs (a 1000-trade page per symbol plus the last
short one; one 1000-candle request per run of fee minutes). From those, two floors:

- even spacing (the issue's definition): /api weight / (6000/60) a second and /sapi weight /
  (12000/60), the slower of the two (separate budgets at Binance), what a client spacing
  each request by its weight needs;
- burst: a minute's budget at once, then the rest at the even rate:
  max(0, weight - 6000) / 100 s (how Binance counts, per minute, allows the first part).

and the measured first sync, the ratio even-spacing floor / measured (>= 0.9 is the target:
above 1 means the burst beats even spacing), and a no-change re-sync.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

FULL = os.environ.get("EXSTRAT_BENCH_FULL") == "1"
N_TRADES, N_SYMBOLS = (100_000, 50) if FULL else (10_000, 10)
SEED = 17
SPAN_START = "2022-01-01T00:00:00.000Z"
YEARS_MS = 3 * 365 * 86_400_000
HISTORY_START = "2021-12-01"
API_PER_MINUTE = 6000  # Binance REQUEST_WEIGHT, /api, per IP
SAPI_PER_MINUTE = 12000
TARGET_RATIO = 0.9
MINUTE_MS = 60_000


def production_dataset() -> Any:
    """`large_dataset`'s trades, moved to random moments over three years (time still
    increasing with the id of each symbol) and paying their fees in BNB; balances recomputed
    from the trades and transfers so nothing is unexplained."""
    from simexchange import large_dataset
    from simexchange.datasets.model import SimMarket, SimTransfer
    from simexchange.datasets.prices import PriceHistory
    from simexchange.datasets.times import ms

    ds = large_dataset(N_TRADES, N_SYMBOLS, SEED)
    rng = random.Random(SEED)
    start = ms(SPAN_START)
    account = ds.accounts[next(iter(ds.accounts))]
    by_symbol: dict[str, list[Any]] = defaultdict(list)
    for trade in account.trades:
        by_symbol[trade.symbol].append(trade)
    for trades in by_symbol.values():
        moments = sorted(start + rng.randrange(YEARS_MS) for _ in trades)
        for trade, moment in zip(sorted(trades, key=lambda t: t.id), moments, strict=True):
            trade.time = moment
            trade.fee = (trade.quote_qty / Decimal(600) / 1000).quantize(Decimal("1e-8"))
            trade.fee_asset = "BNB"
    account.trades.sort(key=lambda t: t.time)
    bnb = SimMarket("BNB", "USDT", Decimal("0.001"), Decimal("0.01"), Decimal("0.001"))
    ds.binance_markets[bnb.symbol] = bnb
    ds.prices[bnb.symbol] = PriceHistory(
        [
            (start - MINUTE_MS * 60 * 24 * 30 + i * 86_400_000, Decimal(300 + i % 400))
            for i in range(3 * 365 + 60)
        ]
    )
    funding = start - 86_400_000
    total_usdt = sum((t.quote_qty for t in account.trades), Decimal(0))
    total_bnb = sum((t.fee for t in account.trades), Decimal(0))
    account.deposits[:] = [
        SimTransfer("deposit", "USDT", total_usdt, funding, id="dep-prod-usdt", txid="0xu1"),
        SimTransfer("deposit", "BNB", total_bnb, funding, id="dep-prod-bnb", txid="0xb1"),
    ]
    account.withdrawals[:] = []
    holdings: dict[str, Decimal] = defaultdict(Decimal)
    for transfer in account.deposits:
        holdings[transfer.asset] += transfer.amount
    for t in account.trades:
        sign = 1 if t.side == "buy" else -1
        holdings[t.base] += sign * t.qty
        holdings[t.quote] -= sign * t.quote_qty
        holdings[t.fee_asset] -= t.fee
    account.balances.clear()
    account.balances.update({a: (q, Decimal(0)) for a, q in holdings.items()})
    return ds


def fewest_requests(ds: Any) -> dict[str, int]:
    """The least `myTrades` pages and `klines` requests any client needs for this data."""
    account = ds.accounts[next(iter(ds.accounts))]
    per_symbol: dict[str, int] = defaultdict(int)
    minutes = set()
    for trade in account.trades:
        per_symbol[trade.symbol] += 1
        minutes.add(trade.time // MINUTE_MS)
    pages = sum(n // 1000 + 1 for n in per_symbol.values())  # the last page is short
    klines, covered_to = 0, -1
    for minute in sorted(minutes):  # greedy runs of 1000 minutes: the fewest covering
        if minute > covered_to:
            klines += 1
            covered_to = minute + 999
    return {"/api/v3/myTrades": pages, "/api/v3/klines": klines}


def throttled_sync(account_id: str, out: Any) -> None:
    """The first sync as a worker runs it, throttle on, step by step."""
    from exstrat_app.infra.redis import get_redis
    from exstrat_app.services.exchanges import runner
    from exstrat_app.services.exchanges.context import STEPS
    from jobs.ingest import sync_env

    env = sync_env(redis=get_redis(), rate_limit=True)
    started = time.perf_counter()
    for step in STEPS:
        if not runner.run_step(account_id, step, env=env):
            raise SystemExit(f"sync failed at {step}")
    seconds = time.perf_counter() - started
    # peak resident memory of the worker process (Linux: KiB) -- issue 17: < 500 MB
    out.put(
        {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    )


def throttled_resync(account_id: str, out: Any) -> None:
    """A re-sync with nothing new (its own process: the first sync's requests are metered)."""
    from exstrat_app.infra.redis import get_redis
    from exstrat_app.services.exchanges import runner
    from jobs.ingest import sync_env

    env = sync_env(redis=get_redis(), rate_limit=True)
    t0 = time.perf_counter()
    if not runner.sync_account(account_id, env=env):
        raise SystemExit("re-sync failed")
    out.put({"resync": time.perf_counter() - t0})


def run() -> dict[str, Any]:
    from bench.sync import _environment, _in_child, _prepare
    from exstrat_app.infra.db.engine import get_engine
    from exstrat_app.infra.redis import embedded_url, get_redis, start_embedded
    from exstrat_app.settings import get_settings
    from simexchange import SimExchange

    with tempfile.TemporaryDirectory(prefix="exstrat-bench-floor-") as tmp:
        data_dir = Path(tmp)
        _environment(data_dir)
        os.environ["EXSTRAT_HISTORY_START"] = HISTORY_START
        for cached in (get_settings, get_engine, get_redis):
            cached.cache_clear()
        redis_proc = start_embedded(data_dir)
        os.environ["REDIS_URL"] = embedded_url(data_dir)
        ds = production_dataset()
        sim = SimExchange(ds)
        try:
            account_id = _prepare(sim.start())
            sim.binance.weights.reset()
            synced = _in_child(throttled_sync, account_id)
            tally = {path: list(row) for path, row in sim.binance.weights.tally.items()}
            synced.update(_in_child(throttled_resync, account_id))
        finally:
            sim.stop()
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    return {"sync": synced, "tally": tally, "fewest": fewest_requests(ds)}


def _seconds(weights: dict[str, float]) -> float:
    """Even spacing: /api and /sapi have separate IP budgets at Binance (6000 and 12000 a
    minute), spent side by side: the floor is the slower of the two."""
    return max(weights["api"] / (API_PER_MINUTE / 60), weights["sapi"] / (SAPI_PER_MINUTE / 60))


def _burst(weights: dict[str, float]) -> float:
    """A minute's budget of each at once, then the rest at the even rate."""
    return max(
        max(0.0, weights["api"] - API_PER_MINUTE) / (API_PER_MINUTE / 60),
        max(0.0, weights["sapi"] - SAPI_PER_MINUTE) / (SAPI_PER_MINUTE / 60),
    )


def report(result: dict[str, Any]) -> list[str]:
    from simexchange.binance.weights import WEIGHTS

    tally, fewest, synced = result["tally"], result["fewest"], result["sync"]
    lines = [
        f"first sync, throttle on: {N_TRADES:,} trades / {N_SYMBOLS} symbols over 3 years, "
        "BNB fees (EXSTRAT_BENCH_FULL=1: 100,000 / 50)"
    ]
    lines.append(f"  {'endpoint':44} {'requests':>8} {'weight':>7} {'fewest':>7} {'floor w':>7}")
    # The floor counts the first sync of the requests it needs: for trades and candles the
    # fewest the data allows, for every other endpoint what one sync sends (one-off reads).
    measured_w = {"api": 0.0, "sapi": 0.0}
    floor_w = {"api": 0.0, "sapi": 0.0}
    for path, (requests, ip_w, _uid_w) in sorted(tally.items(), key=lambda kv: -kv[1][1]):
        need = fewest.get(path, requests)
        need_w = need * WEIGHTS.get(path, (1, 0))[0]
        family = "sapi" if path.startswith("/sapi") else "api"
        measured_w[family] += ip_w
        floor_w[family] += need_w
        lines.append(f"  {path:44} {requests:8} {ip_w:7} {need:7} {need_w:7}")
    even, burst = _seconds(floor_w), _burst(floor_w)
    ratio = even / synced["seconds"]
    verdict = "ok" if ratio >= TARGET_RATIO else "MISSED"
    lines += [
        f"  IP weight of the first sync /api {measured_w['api']:,.0f} /sapi "
        f"{measured_w['sapi']:,.0f}; the floor's /api {floor_w['api']:,.0f} /sapi "
        f"{floor_w['sapi']:,.0f} (separate budgets: 6000 and 12000 a minute)",
        f"  floor, even spacing   {even:7.2f} s   floor, burst then even {burst:7.2f} s",
        f"  measured first sync   {synced['seconds']:7.2f} s   ratio even floor / measured "
        f"{ratio:.2f} [target >= {TARGET_RATIO}: {verdict}]",
        f"  no-change re-sync     {synced['resync']:7.2f} s",
        f"  peak worker RSS       {synced['rss_mb']:7.1f} MB [limit 500 MB: "
        f"{'ok' if synced['rss_mb'] < 500 else 'OVER'}]",
    ]
    return lines


def main() -> int:
    for line in report(run()):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
