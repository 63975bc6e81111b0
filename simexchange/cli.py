"""``python -m exstrat_app sim-exchange``: run the simulated exchange in the foreground.

    python -m exstrat_app sim-exchange --port 8765 --dataset demo --walk-seconds 5
    python -m exstrat_app sim-exchange --dataset large --trades 100000 --symbols 50

Point the app at it with ``EXSTRAT_BINANCE_URL`` / ``EXSTRAT_COINBASE_URL`` (printed at start).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from decimal import Decimal

from . import datasets as ds
from .server import SimExchange


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m exstrat_app sim-exchange",
        description="Simulated Binance (spot) + Coinbase (Advanced Trade) REST server.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port (default 8765)")
    p.add_argument("--dataset", choices=("small", "large", "demo"), default="demo")
    p.add_argument("--trades", type=int, default=100_000, help="large dataset: number of trades")
    p.add_argument("--symbols", type=int, default=50, help="large dataset: number of symbols")
    p.add_argument("--seed", type=int, default=None, help="dataset / random walk seed")
    p.add_argument(
        "--walk-seconds",
        type=float,
        default=0.0,
        help="move every price by a seeded random step every S seconds (0: prices stay put)",
    )
    p.add_argument("--volatility", default="0.002", help="random walk step stddev (0.002)")
    p.add_argument(
        "--drift", default="0", help="random walk mean step (e.g. 0.0003: prices creep up)"
    )
    p.add_argument("--rate-limit", type=int, default=None, help="requests per minute per key (off)")
    p.add_argument(
        "--ws-port",
        type=int,
        default=None,
        help="also serve Binance's mini-ticker websocket streams on this port (0: a free one)",
    )
    return p


def make_dataset(args: argparse.Namespace) -> ds.SimDataset:
    if args.dataset == "small":
        return ds.small_dataset()
    if args.dataset == "large":
        seed = 42 if args.seed is None else args.seed
        return ds.large_dataset(args.trades, args.symbols, seed)
    return ds.demo_dataset(7 if args.seed is None else args.seed)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    dataset = make_dataset(args)
    sim = SimExchange(dataset, rate_limit_per_minute=args.rate_limit)
    try:
        url = sim.start(args.host, args.port)
    except OSError as e:
        print(f"sim-exchange: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    if args.walk_seconds > 0:
        seed = 1 if args.seed is None else args.seed
        sim.start_random_walk(
            seed, args.walk_seconds, Decimal(args.volatility), drift=Decimal(args.drift)
        )
    stream = None
    if args.ws_port is not None:
        from .binance.stream import BinanceStream

        stream = BinanceStream(sim)
        print(f"  EXSTRAT_BINANCE_WS_URL={stream.start(args.host, args.ws_port)}", flush=True)
    n_trades = sum(
        len(a.trades)
        for a in dataset.accounts.values()
        if a.api_key in (ds.BINANCE_READONLY_KEY, ds.COINBASE_READONLY_KEY)
    )
    print(
        f"sim-exchange: {url}  dataset={dataset.name} ({n_trades} trades)\n"
        f"  EXSTRAT_BINANCE_URL={url}\n"
        f"  EXSTRAT_COINBASE_URL={url}\n"
        f"  Binance read-only key: {ds.BINANCE_READONLY_KEY} / {ds.BINANCE_READONLY_SECRET}\n"
        f"  Binance trading key:   {ds.BINANCE_TRADING_KEY} / {ds.BINANCE_TRADING_SECRET}\n"
        f"  Coinbase read-only key: {ds.COINBASE_READONLY_KEY} "
        f"(secret: simexchange.COINBASE_READONLY_SECRET)\n"
        f"  admin: {url}/_sim/health, {url}/_sim/prices, {url}/_sim/faults\n"
        "  Ctrl-C to stop",
        flush=True,
    )
    done = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not done.wait(0.5):
            pass
    finally:
        if stream is not None:
            stream.stop()
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
