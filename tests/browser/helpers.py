"""Small Playwright helpers shared by the browser tests."""

from __future__ import annotations

import re
import time
import uuid
from decimal import Decimal
from email import policy
from email.parser import BytesParser
from pathlib import Path
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


# base URL of a running app -> its outbox dir (the app fixture fills it in): the sign-up's
# confirmation links are read from the .eml files there, as a self-hoster without SMTP would.
OUTBOXES: dict[str, Path] = {}
_LINK = re.compile(r"https?://\S+/confirm\?token=[A-Za-z0-9_-]+")


def mails_to(base_url: str, email: str) -> list[str]:
    """The decoded bodies of the mails the app wrote for `email`, oldest first."""
    outbox = OUTBOXES[base_url]
    paths = sorted(outbox.glob("*.eml")) if outbox.exists() else []
    found = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in paths]
    return [m.get_content() for m in found if m["To"] == email]  # type: ignore[union-attr]


def confirmation_link(base_url: str, email: str, *, timeout: float = 15.0) -> str:
    """The newest confirmation link mailed to `email` (waits for the .eml to appear)."""
    deadline = time.monotonic() + timeout
    while True:
        links = [m.group(0) for text in mails_to(base_url, email) if (m := _LINK.search(text))]
        if links:
            return links[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no confirmation link mailed to {email}")
        time.sleep(0.2)


def confirm_email(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Open the emailed link, give the password: signed in on /portfolio."""
    page.goto(confirmation_link(base_url, email))
    wait_hydrated(page)
    page.locator("#password").fill(password)
    page.locator("#submit").click()
    page.wait_for_url(re.compile(r".*/portfolio/?$"), timeout=30_000)


def sign_up(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign up and end signed in on /portfolio: the instance's first account is in at once,
    any other one follows its confirmation link from the outbox."""
    page.goto(f"{base_url}/signup")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#confirm").fill(password)
    page.locator("#submit").click()
    portfolio = re.compile(r".*/portfolio/?$")
    sent = page.locator("#signup-sent")
    deadline = time.monotonic() + 30
    while not portfolio.match(page.url) and not sent.is_visible():
        if time.monotonic() > deadline:
            raise AssertionError("sign-up neither signed in nor said to check the inbox")
        page.wait_for_timeout(100)
    if not portfolio.match(page.url):
        confirm_email(page, base_url, email, password)
    page.wait_for_url(portfolio, timeout=30_000)


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
