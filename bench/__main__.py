"""Run every benchmark in turn; each prints its own figures."""

from __future__ import annotations

import importlib
import sys
import time

BENCHES = (
    "bench.sync",
    "bench.sync_floor",
    "bench.watcher",
    "bench.pages",
    "bench.portfolio_views",
    "bench.orders",
    "bench.history",
    "bench.sqlite_commits",
)


def main(argv: list[str]) -> int:
    wanted = [b for b in BENCHES if not argv or b.split(".")[-1] in argv]
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(name).main()
        print(f"({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
