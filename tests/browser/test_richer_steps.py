"""Richer steps in the browser (issue 14): the strategy dialog previews a trailing step, an
absolute target and a stop-loss (price and result) from the service, saves them, and the
strategy page shows the trailing step's armed state and peak."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect
from sqlmodel import Session, col, select

from exstrat_app.models import Strategy, StrategyStep, User
from tests.browser.helpers import new_page, sign_up, unique_email


def test_dialog_previews_a_trailing_step_and_a_stop_loss(browser: Any, app: Any) -> None:
    page = new_page(browser)
    email = unique_email("richer")
    price_before = app.sim.price("ETH/USDT")  # put back at the end: the simulator is shared
    try:
        sign_up(page, app.url, email)
        page.goto(f"{app.url}/strategies")
        page.locator("#new-strategy").click()
        dialog = page.locator("#strategy-dialog")
        expect(dialog).to_be_visible()
        page.locator("#strategy-asset").fill("ETH")
        page.locator("#ref-custom").click()
        page.locator("#custom-price").fill("2000")
        page.locator("#base-qty").fill("4")
        steps = page.locator(".ladder-step")
        page.locator(".step-target input").nth(0).fill("10")
        page.locator(".step-sell input").nth(0).fill("20")

        # Step 1 trailing 2 %: arms at 2,200 (2000 * 1.10), fires at 2,156 or above (* 0.98).
        steps.nth(0).locator(".step-trailing").click()
        expect(steps.nth(0).locator(".step-rule")).to_have_text(
            "Arms at 2,200.00, then alerts when the price falls 2 % from its highest "
            "(at 2,156.00 or above)"
        )
        # Step 2 at the absolute price 2,800.
        steps.nth(1).locator(".step-kind").get_by_role("radio", name="price").click()
        steps.nth(1).locator(".step-target-price input").fill("2800")
        steps.nth(1).locator(".step-sell input").fill("59")
        expect(page.locator(".step-price")).to_have_text(["2,200.00", "2,800.00"])
        expect(steps.nth(1).locator(".step-rule")).to_have_text(
            "Alert when the price reaches 2,800.00"
        )

        # Stop-loss 5 % below 2000 = 1,900; selling the 4 ETH there: (1900 - 2000) * 4 = -400.
        page.locator("#stop-on").click()
        page.locator("#stop-value").fill("5")
        page.locator("#stop-break-even").click()
        expect(page.locator("#stop-price")).to_have_text("1,900.00")
        expect(page.locator("#stop-result")).to_have_text("-400.00 USDT")
        expect(page.locator("#stop-rule")).to_contain_text("moves up to the reference")
        # A stop above the reference is refused next to its input, and saving is off.
        page.locator("#stop-value").fill("100")
        expect(dialog).to_contain_text("the stop must be less than 100 % below the reference")
        expect(page.locator("#save-strategy")).to_be_disabled()
        page.locator("#stop-value").fill("5")
        expect(page.locator("#stop-price")).to_have_text("1,900.00")

        # Below every target and above the stop, so nothing arms or fires while we look.
        app.sim.set_price("ETH/USDT", "2100")
        page.locator("#save-strategy").click()
        expect(dialog).to_be_hidden()

        with Session(app.engine) as session:
            user = session.exec(select(User).where(User.email == email)).one()
            strategy = session.exec(select(Strategy).where(Strategy.user_id == user.id)).one()
            assert (strategy.stop_kind, strategy.stop_price, strategy.stop_break_even) == (
                "pct", Decimal("1900"), True,
            )  # fmt: skip
            first, second = session.exec(
                select(StrategyStep)
                .where(StrategyStep.strategy_id == strategy.id)
                .order_by(col(StrategyStep.position))
            ).all()
            assert (first.trail_pct, first.target_price) == (Decimal("2"), Decimal("2200"))
            assert (second.target_kind, second.target_price) == ("price", Decimal("2800"))
            strategy_id = strategy.id
            first_id = first.id

        # 2,300 is above the 2,200 target: the running watcher arms the step with peak 2,300
        # (its floor 2,254 is below 2,300, so it stays armed). Writing "armed, peak 2,300" by
        # hand while the price sat at 2,100 raced the watcher, which then fired it (CI).
        app.sim.set_price("ETH/USDT", "2300")
        _wait_armed(app.engine, first_id, Decimal("2300"))

        page.goto(f"{app.url}/strategies/{strategy_id}")
        rule = page.locator(".step-row .step-rule").first
        expect(rule).to_contain_text("trailing 2 %: armed")
        expect(rule).to_contain_text("peak 2,300.00, alerts at 2,254.00")
        expect(page.locator("#strategy-stop")).to_contain_text("1,900.00")
        expect(page.locator("#strategy-stop")).to_contain_text("moves to break-even")
    finally:
        page.context.close()
        if price_before is not None:
            app.sim.set_price("ETH/USDT", price_before)


def _wait_armed(engine: Any, step_id: str, peak: Decimal, timeout_s: float = 60.0) -> None:
    """Until the watcher has armed the step at `peak` (it looks every few seconds)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with Session(engine) as session:
            step = session.get(StrategyStep, step_id)
            assert step is not None
            if step.state == "armed" and step.peak_price == peak:
                return
            assert step.state in ("pending", "armed"), step.state
        time.sleep(0.5)
    raise AssertionError(f"the watcher did not arm the step at {peak} in {timeout_s} s")
