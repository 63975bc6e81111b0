"""`python -m exstrat_app demo`: a newcomer clicks "Try the demo" and sees a synced portfolio,
then a live alert, with no exchange keys and no internet.

The demo runs as its own `up --demo` with its own data dir and its own frontend build
folder (REFLEX_WEB_WORKDIR), beside the session's app. Its random walk is faster here
(a step every 0.25 s) so the alert arrives in seconds rather than minutes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import BUN_BIN, ROOT, RunningApp, _stop, _wait_until_ready, free_port
from tests.browser.helpers import new_page, wait_for, wait_hydrated

SHOWN_WITHIN_SECONDS = 180  # issue 7: a signed-in portfolio within 3 minutes
ALERT_WITHIN_SECONDS = 300  # issue 7: an alert in the open page within 5 minutes


@pytest.fixture(scope="module")
def demo_app() -> Iterator[tuple[RunningApp, float]]:
    data_dir = Path(tempfile.mkdtemp(prefix="exs-demo-"))
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "EXSTRAT_BINANCE_URL", "EXSTRAT_COINBASE_URL")
    }
    env.update(
        EXSTRAT_DATA_DIR=str(data_dir),
        EXSTRAT_PUBLIC_URL=f"http://localhost:{port}",
        EXSTRAT_DEMO_WALK_SECONDS="0.25",
        REFLEX_WEB_WORKDIR=str(data_dir / "web"),
        REFLEX_STATES_WORKDIR=str(data_dir / "states"),
        PYTHONUNBUFFERED="1",
        PATH=os.pathsep.join([str(BUN_BIN), env.get("PATH", "")]),
    )
    log_path = data_dir / "demo.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "exstrat_app", "demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    app = RunningApp(
        url=f"http://localhost:{port}",
        port=port,
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'exstrat.db'}",
        proc=proc,
        log_path=log_path,
        sim=None,
    )
    try:
        _wait_until_ready(app)
        yield app, started
    finally:
        try:
            _stop(app)
        finally:
            if app._engine is not None:
                app._engine.dispose()
            shutil.rmtree(data_dir, ignore_errors=True)


def _demo_synced(app: RunningApp) -> bool:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with app.engine.connect() as conn:
            status = conn.execute(
                text(
                    "SELECT a.status FROM exchange_accounts a JOIN users u ON u.id = a.user_id "
                    "WHERE u.email = 'demo@exstrat.local'"
                )
            ).scalar()
            strategies = conn.execute(text("SELECT count(*) FROM strategies")).scalar()
    except SQLAlchemyError:  # not migrated yet
        return False
    return status == "connected" and bool(strategies)


def test_try_the_demo_shows_a_synced_portfolio_then_a_live_alert(
    demo_app: tuple[RunningApp, float], browser: Any
) -> None:
    app, started = demo_app
    page = new_page(browser)
    page.goto(f"{app.url}/login")
    wait_hydrated(page)

    # The demo user is seeded by a job right after start (sync included); until it is
    # done the button answers "still being prepared", so wait for it before clicking.
    wait_for(lambda: _demo_synced(app), timeout=SHOWN_WITHIN_SECONDS, interval=1.0)
    page.locator("#try-demo").click()
    page.wait_for_url(re.compile(r".*/portfolio/?$"), timeout=30_000)
    wait_for(lambda: page.get_by_text("ETH", exact=True).count() > 0, timeout=30, interval=0.2)
    shown = time.monotonic() - started
    page.wait_for_url(re.compile(r".*/portfolio/?$"))
    page.goto(f"{app.url}/exchanges")
    wait_hydrated(page)
    # The demo account is marked as such.
    wait_for(lambda: page.locator(".demo-badge").count() > 0, timeout=20)
    page.goto(f"{app.url}/portfolio")
    wait_hydrated(page)
    print(f"\n[demo] from `demo` start to a signed-in portfolio: {shown:.0f} s")
    assert shown <= SHOWN_WITHIN_SECONDS

    seen = wait_for(lambda: page.locator("#alert-count").count() > 0, timeout=ALERT_WITHIN_SECONDS)
    print(f"[demo] first live alert in the open page after {seen:.0f} s more")
    assert page.evaluate("document.cookie").find("exstrat_session") == -1
