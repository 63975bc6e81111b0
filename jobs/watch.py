"""The periodic price watch (`watch-prices`, every PRICE_POLL_SECONDS, queue `watch`)."""

from __future__ import annotations

from typing import Any

from exstrat_app import bootstrap
from exstrat_app.services.strategies.watcher import run_watch_cycle


def watch_prices() -> dict[str, Any]:
    """One batched watcher cycle over every watched asset; returns a small report."""
    return run_watch_cycle(
        bootstrap.engine(),
        bootstrap.redis(),
        provider=bootstrap.price_provider(),
        public_url=bootstrap.settings().public_url,
    ).as_dict()
