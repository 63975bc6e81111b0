"""The demo's one-off seeding job (enqueued by `up --demo` once the sim answers)."""

from __future__ import annotations

import time
import urllib.request

from exstrat_app.demo.seed import seed_demo
from exstrat_app.settings import get_settings


def seed(timeout: float = 60.0) -> str:
    url = f"{get_settings().binance_url}/_sim/health"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL checked
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return seed_demo()
