"""A confirm alert whose window ran out (issue 15): the bell counts the minutes left on its
Confirm button, and once the order's `confirm_by` is past it says "expired", with no button,
without a click (the open drawer reloads the feed once a minute) and on opening again."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import Session, col, select

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Notification, Order, StrategyStep, User
from exstrat_app.services.auth import hash_password
from tests.alerts.conftest import add_position, create_seed_strategy
from tests.browser.helpers import PASSWORD, new_page, sign_in, unique_email


def _seed(app: Any, email: str) -> str:
    """A user with a confirm alert and its order waiting (as placement leaves them)."""
    with Session(app.engine) as s:
        user = User(email=email, password_hash=hash_password(PASSWORD))
        s.add(user)
        s.commit()
        add_position(s, user.id, "ETH", "4.00", "2000")
        strategy = create_seed_strategy(s, user.id)
        steps = s.exec(select(StrategyStep).where(StrategyStep.strategy_id == strategy.id))
        step = min(steps, key=lambda x: x.position)
        order = Order(
            user_id=user.id, strategy_id=strategy.id, step_id=step.id,
            client_order_id=f"xs-{step.id}"[:36], symbol="ETH/USDT",
            status="awaiting_confirmation", price=Decimal("2200"), qty=Decimal("0.8"),
            trigger_price=Decimal("2200"), confirm_by=utcnow() + timedelta(minutes=15),
        )  # fmt: skip
        s.add(order)
        s.add(Notification(
            user_id=user.id, kind="order_confirm", strategy_id=strategy.id, step_id=step.id,
            title="Sell 0.8 ETH now", body="Confirm within 15 minutes.",
        ))  # fmt: skip
        s.commit()
        return order.id


def test_the_bell_counts_down_then_says_expired_without_a_button(browser: Any, app: Any) -> None:
    page = new_page(browser)
    email = unique_email("expiry")
    order_id = _seed(app, email)
    try:
        sign_in(page, app.url, email)
        page.locator("#alert-bell").click()
        item = page.locator(".alert-item", has_text="Sell 0.8 ETH now")
        expect(item.locator(".confirm-order")).to_have_text(
            re.compile(r"Confirm \(1[45] min left\)")
        )

        with Session(app.engine) as s:  # the window is over while the drawer is open
            s.execute(
                update(Order)
                .where(col(Order.id) == order_id)
                .values(confirm_by=utcnow() - timedelta(minutes=1))
            )
            s.commit()
        moved = time.monotonic()
        expect(item.locator(".confirm-status")).to_have_text("expired", timeout=90_000)
        print(f"expired shown {time.monotonic() - moved:.1f}s after confirm_by moved")
        expect(item.locator(".confirm-order")).to_have_count(0)

        page.keyboard.press("Escape")  # and on opening the bell again, the same
        page.reload()
        page.locator("#alert-bell").click()
        expect(item.locator(".confirm-status")).to_have_text("expired")
        expect(item.locator(".confirm-order")).to_have_count(0)
    except AssertionError:
        print(app.log_tail(80))
        raise
    finally:
        page.context.close()
