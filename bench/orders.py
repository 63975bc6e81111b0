"""Order execution benchmark (issue 15): trigger-to-order-sent latency against the simulator.

    python -m bench orders            (BENCH_ORDERS=200 for more samples)

For each of BENCH_ORDERS (default 60) triggered steps of an `auto` strategy, the time from
the order job's start (the step has just fired) to the limit sell accepted by the simulated
Binance, then the simulated Coinbase (BENCH_ORDERS_EXCHANGES=binance,coinbase): the order
row, the claim, the trading key re-checked with the exchange, markets
(cached in Redis after the first), the free balance, the order itself. Printed, not asserted.
Throwaway data dir, SQLite (or BENCH_DATABASE_URL), embedded Redis.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path


def _forget_cached_clients() -> None:
    from exstrat_app.infra.db.engine import get_engine
    from exstrat_app.infra.redis import get_redis
    from exstrat_app.settings import get_settings

    for cached in (get_settings, get_engine, get_redis):
        cached.cache_clear()


def main() -> None:
    from exstrat_app.infra.redis import embedded_url, start_embedded
    from simexchange import BINANCE_TRADING_KEY, COINBASE_TRADING_KEY, SimExchange, small_dataset

    samples = int(os.environ.get("BENCH_ORDERS", "60"))
    data_dir = Path(tempfile.mkdtemp(prefix="exs-bench-orders-"))
    redis_proc = start_embedded(data_dir)
    sim = SimExchange(small_dataset())
    os.environ.update(
        EXSTRAT_DATA_DIR=str(data_dir),
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{data_dir / 'bench.db'}",
        REDIS_URL=embedded_url(data_dir),
        EXSTRAT_BINANCE_URL=sim.start(),
        EXSTRAT_COINBASE_URL=sim.url,
    )
    os.environ.setdefault("ENCRYPTION_KEY", "22" * 32)
    _forget_cached_clients()
    try:
        from exstrat_app.infra.db.migrate import upgrade_to_head

        upgrade_to_head()
        sim.set_price("ETH/USDT", "2000")
        sim.set_price("ETH/USD", "2000")
        sim.set_balance(BINANCE_TRADING_KEY, "ETH", "100000")
        sim.set_balance(COINBASE_TRADING_KEY, "ETH", "100000")
        wanted = os.environ.get("BENCH_ORDERS_EXCHANGES", "binance,coinbase").split(",")
        for exchange in [e.strip() for e in wanted if e.strip()]:
            step_ids = _seed(samples, exchange)
            latencies = _run(step_ids)
            path = "/api/v3/order" if exchange == "binance" else "/api/v3/brokerage/orders"
            posts = [r for r in sim.requests_log(path) if r.split("?")[0] == f"POST {path}"]
            p50 = statistics.median(latencies)
            p95 = sorted(latencies)[max(0, int(len(latencies) * 0.95) - 1)]
            print(f"{exchange} trigger-to-order-sent over {len(latencies)} steps: "
                  f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
                  f"max {max(latencies) * 1000:.1f} ms")  # fmt: skip
            print(f"{exchange} orders placed on the simulator: {len(posts)} (one per step)")
    finally:
        _forget_cached_clients()
        sim.stop()
        redis_proc.terminate()
        redis_proc.wait(10)
        shutil.rmtree(data_dir, ignore_errors=True)


def _seed(samples: int, exchange: str = "binance") -> list[str]:
    from sqlmodel import Session

    from exstrat_app import bootstrap
    from exstrat_app.infra import exchanges as xa
    from exstrat_app.infra.db.types import utcnow
    from exstrat_app.models import ExchangeAccount, Strategy, StrategyStep, User, new_id
    from exstrat_app.services.exchanges.sealing import sealed_columns
    from exstrat_app.services.execution.trading_keys import set_trading_key
    from simexchange import (
        BINANCE_READONLY_KEY,
        BINANCE_READONLY_SECRET,
        BINANCE_TRADING_KEY,
        BINANCE_TRADING_SECRET,
        COINBASE_READONLY_KEY,
        COINBASE_READONLY_SECRET,
        COINBASE_TRADING_KEY,
        COINBASE_TRADING_SECRET,
    )

    read, trade = (
        (
            (BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET),
            (BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET),
        )
        if exchange == "binance"
        else (
            (COINBASE_READONLY_KEY, COINBASE_READONLY_SECRET),
            (COINBASE_TRADING_KEY, COINBASE_TRADING_SECRET),
        )
    )
    quote = "USDT" if exchange == "binance" else "USD"

    box = bootstrap.secret_box()
    step_ids = []
    with Session(bootstrap.engine()) as session:
        user = User(email=f"bench-{exchange}@bench.local", password_hash="x")
        session.add(user)
        session.flush()
        account_id = new_id()
        creds = xa.Credentials(api_key=read[0], secret=read[1])
        session.add(
            ExchangeAccount(
                id=account_id, user_id=user.id, exchange=exchange, key_id=box.current_key_id,
                **sealed_columns(box, account_id=account_id, credentials=creds),
            )
        )  # fmt: skip
        session.flush()
        set_trading_key(
            session, box, user_id=user.id, account_id=account_id,
            api_key=trade[0], api_secret=trade[1],
        )  # fmt: skip
        for _ in range(samples):
            strategy = Strategy(
                user_id=user.id, asset="ETH", quote=quote, ref_type="custom",
                ref_price=Decimal("2000"), base_qty=Decimal("1"), exchange_account_id=account_id,
                execution_mode="auto",
            )  # fmt: skip
            session.add(strategy)
            session.flush()
            step = StrategyStep(
                strategy_id=strategy.id, asset="ETH", position=0, target_pct=Decimal("10"),
                sell_pct=Decimal("1"), target_price=Decimal("2200"), qty_to_sell=Decimal("0.01"),
                state="triggered", triggered_at=utcnow(), triggered_price=Decimal("2200"),
            )  # fmt: skip
            session.add(step)
            step_ids.append(step.id)
        session.commit()
    return step_ids


def _run(step_ids: list[str]) -> list[float]:
    from exstrat_app import bootstrap
    from exstrat_app.services.execution.placement import execute_step

    engine, redis, box = bootstrap.engine(), bootstrap.redis(), bootstrap.secret_box()
    latencies = []
    for step_id in step_ids:
        started = time.perf_counter()
        outcome = execute_step(engine, redis, box, step_id)
        latencies.append(time.perf_counter() - started)
        if outcome.status != "open":
            raise RuntimeError(f"step {step_id}: {outcome.status} {outcome.reason}")
    return latencies


if __name__ == "__main__":
    main()
