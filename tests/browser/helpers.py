"""Small Playwright helpers shared by the browser tests."""

from __future__ import annotations

import re
import time
import uuid
from decimal import Decimal
from typing import Any

from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery staple"
WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def number(text: str) -> Decimal:
    """ "13,996.50" / "+54.68 %" -> Decimal (exact: the page shows Decimal text)."""
    cleaned = re.sub(r"[^0-9.\-]", "", text)
    return Decimal(cleaned)


def wait_hydrated(page: Page) -> None:
    """Reflex is connected when its websocket answered the first event (no 'connecting')."""
    page.wait_for_load_state("domcontentloaded")
    page.wait_for_function(
        "() => !document.querySelector('[data-rx-connection-banner], #connection-error')",
        timeout=30_000,
    )


def sign_up(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/signup")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#confirm").fill(password)
    page.locator("#submit").click()
    page.wait_for_url(re.compile(r".*/portfolio/?$"), timeout=30_000)


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#submit").click()
    page.wait_for_url(re.compile(r".*/portfolio/?$"), timeout=30_000)


def new_page(browser: Any, width: int = 1280, height: int = 900) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(20_000)
    return context.new_page()


def shot(page: Page, folder: Any, name: str) -> None:
    page.wait_for_timeout(400)  # let charts and transitions settle
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> float:
    """Poll until predicate() is truthy; the seconds it took (AssertionError on timeout)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


__all__ = ["expect"]
