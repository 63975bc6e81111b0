"""No secret leaves the server, and HTML in a nickname stays text: a full journey in a real
browser against the shared app (`python -m exstrat_app up`) and the simulated Binance.

Journey: sign up with a known password -> connect the sim's read-only Binance key (known
secret) under a nickname made of HTML -> sync -> every page (/portfolio, /tokens/ETH,
/strategies, /exchanges) -> sign out -> sign in again through the login form -> sign out.

Every websocket frame the page receives is captured (Playwright `framereceived`). Promises:
  * no received frame contains the API secret, the password or a session cookie value;
  * after the journey, neither the app's log (every process of `up`) nor the email outbox
    contains any of them;
  * the nickname `<img src=x onerror=...><script>...</script>` is stored and returned as
    given, shown as literal text, and never runs (`window.__xss` stays undefined).
(The frames the page *sends* do carry the secret and password: that is the form submission.)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from simexchange import BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET
from tests.browser.helpers import new_page, sign_in, sign_up, unique_email, wait_for

SESSION_COOKIE = "exstrat_session"
XSS_NICKNAME = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
# Unique to this run, so finding it anywhere can only be a leak of this test's password.
PASSWORD = f"leak-check {uuid.uuid4().hex} ünïcode"
PAGES = (
    ("/portfolio", ".position-row"),
    ("/tokens/ETH", "#price-chart"),
    ("/strategies", "text=No strategy yet"),
    ("/exchanges", ".account-card"),
)


@dataclass
class LeakRun:
    page: Page
    email: str
    frames: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # every session cookie value seen
    xss_checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> findings
    api_nickname: str = ""
    account_id: str = ""


def _frame_text(payload: Any) -> str:
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)


def _session_token(page: Page) -> str:
    for cookie in page.context.cookies():
        if cookie["name"] == SESSION_COOKIE:
            return str(cookie["value"])
    raise AssertionError("no session cookie after signing in")


def _xss_findings(page: Page) -> dict[str, Any]:
    """What the page did with the nickname: did it run, is it text, did it become markup?"""
    return page.evaluate(
        """(nick) => ({
            xss: typeof window.__xss,
            literal: document.body.innerText.includes(nick),
            imgs: document.querySelectorAll('img[src="x"]').length,
            scripts: [...document.scripts].filter(s => s.text.includes('__xss')).length,
        })""",
        XSS_NICKNAME,
    )


def _sign_out(page: Page, base_url: str) -> None:
    page.get_by_role("button", name="Menu").click()
    page.locator("#logout").click()
    page.wait_for_url(re.compile(r".*/login/?$"))


@pytest.fixture(scope="module")
def leak_run(browser: Any, app: Any) -> Iterator[LeakRun]:
    page = new_page(browser)
    run = LeakRun(page=page, email=unique_email("leak"))
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda p: run.frames.append(_frame_text(p))),
    )
    try:
        sign_up(page, app.url, run.email, PASSWORD)
        run.tokens.append(_session_token(page))

        page.goto(f"{app.url}/exchanges")
        page.locator("#api-key").fill(BINANCE_READONLY_KEY)
        page.locator("#api-secret").fill(BINANCE_READONLY_SECRET)
        page.locator("#nickname").fill(XSS_NICKNAME)
        page.locator("#connect").click()
        expect(page.locator("#add-result")).to_contain_text("read-only key works", timeout=30_000)
        card = page.locator(".account-card").first
        wait_for(lambda: "Connected" in card.inner_text() and "just now" in card.inner_text(), 60)
        run.xss_checks["/exchanges (after adding)"] = _xss_findings(page)

        listed = page.request.get(f"{app.url}/api/exchanges")
        assert listed.ok, listed.text()
        run.api_nickname = listed.json()[0]["nickname"]
        run.account_id = listed.json()[0]["id"]

        for path, ready in PAGES:
            page.goto(app.url + path)
            expect(page.locator(ready).first).to_be_visible()
            if path == "/exchanges":
                expect(page.locator(".account-card").first).to_contain_text("Connected")
            page.wait_for_timeout(300)  # let late deltas (prices, toasts) arrive
            run.xss_checks[path] = _xss_findings(page)

        _sign_out(page, app.url)
        sign_in(page, app.url, run.email, PASSWORD)  # the login form carries it too
        run.tokens.append(_session_token(page))
        page.goto(f"{app.url}/exchanges")
        expect(page.locator(".account-card").first).to_contain_text("Connected")
        run.xss_checks["/exchanges (signed in again)"] = _xss_findings(page)
        _sign_out(page, app.url)
        yield run
    finally:
        page.context.close()


def _secrets(run: LeakRun) -> dict[str, str]:
    found = {"API secret": BINANCE_READONLY_SECRET, "password": PASSWORD}
    found.update({f"session token {i + 1}": token for i, token in enumerate(run.tokens)})
    return found


def test_the_html_nickname_is_stored_as_given_shown_as_text_and_never_runs(
    leak_run: LeakRun,
) -> None:
    assert leak_run.api_nickname == XSS_NICKNAME  # stored and returned as given (JSON text)
    assert "/exchanges" in leak_run.xss_checks
    for where, found in leak_run.xss_checks.items():
        assert found["xss"] == "undefined", (where, found)
        assert found["imgs"] == 0 and found["scripts"] == 0, (where, found)
        if where.startswith("/exchanges"):
            assert found["literal"], (where, found)  # the user sees exactly what they typed


def test_no_received_websocket_frame_carries_a_secret(leak_run: LeakRun) -> None:
    frames = leak_run.frames
    print(f"\n[leak] websocket frames received and scanned: {len(frames)}")
    assert len(frames) >= 20, "the journey should have received many state updates"
    assert len(leak_run.tokens) == 2 and all(len(t) > 40 for t in leak_run.tokens)
    for name, secret in _secrets(leak_run).items():
        leaked = [i for i, frame in enumerate(frames) if secret in frame]
        assert not leaked, f"the {name} was in received frame(s) {leaked[:5]}"


def test_no_secret_in_the_app_log_or_the_outbox(leak_run: LeakRun, app: Any) -> None:
    log_text = Path(app.log_path).read_text(errors="replace")
    log_lines = log_text.splitlines()
    outbox = Path(app.data_dir) / "outbox"
    mails = sorted(p for p in outbox.rglob("*") if p.is_file()) if outbox.exists() else []
    print(f"\n[leak] app log lines scanned: {len(log_lines)}; outbox files scanned: {len(mails)}")
    # The log is the real one: the web process recorded this journey's account being added.
    assert leak_run.account_id and leak_run.account_id in log_text
    for name, secret in _secrets(leak_run).items():
        lines = [n + 1 for n, line in enumerate(log_lines) if secret in line]
        assert not lines, f"the {name} was logged (up.log lines {lines[:5]})"
        for mail in mails:
            assert secret not in mail.read_text(errors="replace"), f"the {name} is in {mail}"
