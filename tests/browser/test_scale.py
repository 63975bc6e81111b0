"""The three pages at a big account's size (issue 16): /portfolio with 300 and 1,000 assets,
a token page with 20,000 trades, the strategies list with 500 strategies. Every row shows,
and how long that takes (targets: 300 assets < 1 s; 1,000 assets first screen < 1 s, every
row < 1.5 s; a token page answers each page < 300 ms; 500 strategies < 1 s).

The rows are seeded straight into the app's database for a user of their own (no exchange
has 1,000 assets to sync), then each page is loaded by a signed-in browser.

Times are printed, not asserted (our rule: speed is measured, not asserted; a timed assertion
on this shared 2-core VM failed at 9 s in CI while the same page took 3.5 s on a quiet run);
the tests assert what the user must see: every row, with its figures. `bench/pages.py` runs
the same measurements (`scale_timings`) and prints them.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from exstrat_app.state.display import when_text
from tests.browser.helpers import new_page, sign_in, unique_email
from tests.browser.scale_seed import (
    STRATEGY_STEPS,
    T0,
    seed_portfolio,
    seed_strategies,
    seed_trades,
)

FIRST_SCREEN = 15  # rows a 1280x900 window shows before scrolling
TRADES = 20_000
STRATEGIES = 500
RUNS = 3  # a first load, then two more with warm caches


def _away(page: Any, url: str) -> None:
    page.goto(f"{url}/exchanges")
    page.wait_for_url(re.compile(r".*/exchanges/?$"))


def _count_is(selector: str, n: int) -> str:
    return f"document.querySelectorAll('{selector}').length === {n}"


def _count_at_least(selector: str, n: int) -> str:
    return f"document.querySelectorAll('{selector}').length >= {n}"


def _portfolio_load(page: Any, url: str, assets: int) -> tuple[float, float]:
    started = time.monotonic()
    page.goto(f"{url}/portfolio", wait_until="commit")
    page.wait_for_function(_count_at_least(".position-row", min(FIRST_SCREEN, assets)),
                           polling=10, timeout=30_000)  # fmt: skip
    first = time.monotonic() - started
    page.wait_for_function(_count_is(".position-row", assets), polling=10, timeout=30_000)
    return first, time.monotonic() - started


def portfolio_timings(
    page: Any, url: str, assets: int, runs: int = RUNS
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(first screen, every row) seconds from navigation: in a new tab (the page's state
    starts empty, as on a first visit), and coming back to it in the same tab."""
    new_tab, same_tab = [], []
    for _ in range(runs):
        tab = page.context.new_page()
        try:
            new_tab.append(_portfolio_load(tab, url, assets))
        finally:
            tab.close()
        _away(page, url)
        same_tab.append(_portfolio_load(page, url, assets))
    return new_tab, same_tab


def token_timings(page: Any, url: str, asset: str, pages: int = 5) -> tuple[float, list[float]]:
    """The token page's first load, then each "Next" of the trades pager (seconds)."""
    _away(page, url)
    started = time.monotonic()
    page.goto(f"{url}/tokens/{asset}", wait_until="commit")
    page.wait_for_function(_count_is("#trades .trade-row", 10), polling=10, timeout=30_000)
    first = time.monotonic() - started
    steps = []
    for n in range(2, pages + 2):
        started = time.monotonic()
        page.get_by_label("Next page of trades").click()
        page.wait_for_function(
            f"document.querySelector('#trades-page')?.textContent === '{n}'"
            " && document.querySelectorAll('#trades .trade-row').length === 10",
            polling=10,
            timeout=30_000,
        )
        steps.append(time.monotonic() - started)
    return first, steps


def strategies_timings(page: Any, url: str, total: int, runs: int = RUNS) -> list[float]:
    """Navigation -> the list's rows (every row of the first page when it is paged)."""
    timings = []
    for _ in range(runs):
        _away(page, url)
        started = time.monotonic()
        page.goto(f"{url}/strategies", wait_until="commit")
        page.wait_for_function(
            "(() => { const r = document.querySelectorAll('.strategy-row').length;"
            f" const t = document.querySelector('#strategies-total');"
            f" return r > 0 && t && t.textContent === '{total}'"
            " && r === Number(document.querySelector('#strategies-shown').textContent); })()",
            polling=10,
            timeout=30_000,
        )
        timings.append(time.monotonic() - started)
    return timings


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.2f} s" for v in values)


@pytest.mark.parametrize("assets", [300, 1000])
def test_portfolio_shows_every_row(browser: Any, app: Any, assets: int) -> None:
    email = unique_email(f"whale{assets}")
    seed_portfolio(app.engine, email, assets)
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        page.wait_for_function(_count_is(".position-row", assets), timeout=30_000)
        for where, timings in zip(
            ("new tab", "same tab"), portfolio_timings(page, app.url, assets), strict=True
        ):
            print(
                f"\n[browser] /portfolio with {assets} assets ({where}): first screen "
                + _fmt([f for f, _ in timings]) + "; every row " + _fmt([a for _, a in timings])
            )  # fmt: skip
        # The last and first rows, as seeded: X{n-1} holds n/8, X000 holds 1/8 = 0.125.
        last = f"X{assets - 1:03d}"
        expect(page.locator(f".position-row[data-asset={last}]")).to_contain_text(f"{assets / 8:g}")
        expect(page.locator(".position-row[data-asset=X000]")).to_contain_text("0.125")
        assert page.locator(".position-row").count() == assets
    finally:
        page.context.close()


def test_token_page_with_20000_trades_pages_on_the_server(browser: Any, app: Any) -> None:
    email = unique_email("trader")
    seed_trades(app.engine, email, "BIGT", TRADES)
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        first, steps = token_timings(page, app.url, "BIGT")
        print(
            f"\n[browser] /tokens/BIGT with {TRADES} trades: first load {first:.2f} s;"
            f" each next page {_fmt(steps)}"
        )
        expect(page.locator("#trades-pages")).to_have_text(str(TRADES // 10))
        # Newest first, one a minute: page 6 starts with trade number TRADES - 50.
        sixth = when_text(T0 + timedelta(minutes=TRADES - 50))
        expect(page.locator("#trades .trade-row").first).to_contain_text(sixth)
    finally:
        page.context.close()


def test_strategies_list_with_500_strategies(browser: Any, app: Any) -> None:
    email = unique_email("planner")
    seed_strategies(app.engine, email, STRATEGIES)
    page = new_page(browser)
    try:
        sign_in(page, app.url, email)
        timings = strategies_timings(page, app.url, STRATEGIES)
        print(f"\n[browser] /strategies with {STRATEGIES} strategies: rows shown in "
              + _fmt(timings))  # fmt: skip
        expect(page.locator("#strategies-total")).to_have_text(str(STRATEGIES))
        rows = page.locator(".strategy-row")
        expect(rows.first).to_contain_text(f"0 / {STRATEGY_STEPS}")
        # Newest first, 50 a page: page 1 is S499..S450, page 2 starts at S449.
        expect(rows.first).to_contain_text(f"S{STRATEGIES - 1:03d}")
        page.get_by_label("Next page of strategies").click()
        expect(page.locator("#strategies-page")).to_have_text("2")
        expect(rows.first).to_contain_text(f"S{STRATEGIES - 51:03d}")
        expect(rows).to_have_count(50)
    finally:
        page.context.close()
