"""Browser timings of the three big pages (issue 16), printed, not asserted:

    python -m bench pages        (or: python -m bench.pages)

- /portfolio with 300 and 1,000 assets: navigation -> first screen (15 rows) and -> every
  row, in a new tab (the page's state starts empty) and coming back in the same tab;
- a token page with 20,000 trades: the first load, each "Next" of the trades pager, and the
  server's answer for pages 1, 1,000 and 2,000 (`token_view`, no browser);
- the strategies list with 500 strategies (its first page of 50).
Targets: 300 assets < 1 s; 1,000 assets first screen < 1 s, every row < 1.5 s; each token
page < 300 ms; 500 strategies < 1 s.

The whole app runs as the browser tests run it (`up` on a free port, its own data dir, SQLite
and embedded Redis, the simulated exchange; tests/browser/conftest.py), driven by Playwright
with the system Chromium; the accounts are seeded straight into its database
(tests/browser/scale_seed.py). Without Chromium the section says so and is skipped. It takes
the browser lock (/tmp/exstrat-browser.lock) so it never shares the CPU with a browser test.
About 45 s; `EXSTRAT_BENCH_FULL=1` adds 3,000 assets.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LOCK = Path("/tmp/exstrat-browser.lock")
TRADES = 20_000
STRATEGIES = 500


def _sizes() -> tuple[int, ...]:
    return (300, 1000, 3000) if os.environ.get("EXSTRAT_BENCH_FULL") == "1" else (300, 1000)


@contextlib.contextmanager
def _browser_lock() -> Iterator[None]:
    with LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _running_app() -> Iterator[Any]:
    """`up` against the simulated exchange, as the browser tests' `app` fixture starts it."""
    from simexchange import SimExchange, small_dataset
    from tests.browser import conftest as c

    sim = SimExchange(small_dataset())
    sim.start()
    data_dir = Path(tempfile.mkdtemp(prefix="exs-bench-pages-"))
    port = c.free_port()
    database_url = f"sqlite:///{data_dir / 'exstrat.db'}"
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        EXSTRAT_DATA_DIR=str(data_dir), DATABASE_URL=database_url, EXSTRAT_BINANCE_URL=sim.url,
        EXSTRAT_COINBASE_URL=sim.url, EXSTRAT_PUBLIC_URL=f"http://localhost:{port}",
        EXSTRAT_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
        PATH=os.pathsep.join([str(c.BUN_BIN), env.get("PATH", "")]),
    )  # fmt: skip
    log_path = data_dir / "up.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "exstrat_app", "up", "--port", str(port)],
            cwd=c.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://localhost:{port}"
    app = c.RunningApp(url=url, port=port, data_dir=data_dir, database_url=database_url,
                       proc=proc, log_path=log_path, sim=sim)  # fmt: skip
    try:
        started = time.monotonic()
        c._wait_until_ready(app)
        print(f"app ready in {time.monotonic() - started:.0f} s", flush=True)
        yield app
    finally:
        try:
            c._stop(app)
        finally:
            if app._engine is not None:
                app._engine.dispose()
            sim.stop()
            shutil.rmtree(data_dir, ignore_errors=True)


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values) + f" s (median {statistics.median(values):.2f})"


def _server_pages(engine: Any, user_id: str, asset: str) -> str:
    from sqlmodel import Session

    from exstrat_app.services.portfolio.token import token_view

    times = []
    with Session(engine) as session:
        for page in (1, TRADES // 20, TRADES // 10):  # the first, the middle, the last page
            started = time.perf_counter()
            token_view(session, user_id=user_id, asset=asset, prices=lambda a, q: {}, page=page,
                       page_size=10)  # fmt: skip
            times.append(f"page {page}: {(time.perf_counter() - started) * 1000:.0f} ms")
    return ", ".join(times)


def report(app: Any, browser: Any) -> Iterator[str]:
    from tests.browser import test_scale as s
    from tests.browser.helpers import new_page, sign_in, unique_email
    from tests.browser.scale_seed import seed_portfolio, seed_strategies, seed_trades

    # The same portfolio counted in dollars, then in euros (the euro book is read, not replayed).
    for assets in _sizes():
        for currency in ("USD", "EUR"):
            email = unique_email(f"bench{assets}{currency.lower()}")
            seed_portfolio(app.engine, email, assets, currency)
            page = new_page(browser)
            try:
                sign_in(page, app.url, email)
                page.wait_for_function(s._count_is(".position-row", assets), timeout=60_000)
                new_tab, same_tab = s.portfolio_timings(page, app.url, assets)
                for where, runs in (("new tab", new_tab), ("same tab", same_tab)):
                    firsts, alls = [f for f, _ in runs], [a for _, a in runs]
                    yield (f"/portfolio {assets} assets in {currency} ({where}): first screen"
                           f" {_fmt(firsts)}; every row {_fmt(alls)}")  # fmt: skip
            finally:
                page.context.close()

    email = unique_email("bench-trader")
    user_id = seed_trades(app.engine, email, "BIGT", TRADES)
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        first, steps = s.token_timings(page, app.url, "BIGT")
        yield f"/tokens/BIGT {TRADES} trades: first load {first:.2f} s; next page {_fmt(steps)}"
    finally:
        page.context.close()
    server = _server_pages(app.engine, user_id, "BIGT")
    yield f"/tokens/BIGT {TRADES} trades, server (token_view): {server}"

    email = unique_email("bench-planner")
    seed_strategies(app.engine, email, STRATEGIES)
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        timings = s.strategies_timings(page, app.url, STRATEGIES)
        yield f"/strategies {STRATEGIES} strategies: {_fmt(timings)}"
    finally:
        page.context.close()


def main() -> None:
    from tests.browser.conftest import CHROMIUM

    if not CHROMIUM.exists():
        print(f"skipped: {CHROMIUM} is missing (make chromium)")
        return
    from playwright.sync_api import sync_playwright

    with _browser_lock(), _running_app() as app, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        try:
            for line in report(app, browser):
                print(line, flush=True)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
