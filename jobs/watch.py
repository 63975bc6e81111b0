"""The periodic price watch (`watch-prices`, every PRICE_POLL_SECONDS, queue `watch`)."""

from __future__ import annotations

from typing import Any


def watch_prices() -> dict[str, Any]:
    """One batched watcher cycle over every watched asset; returns a small report."""
    from exstrat_app.infra.db.engine import get_engine
    from exstrat_app.infra.redis import get_redis
    from exstrat_app.services.strategies.watcher import run_watch_cycle

    return run_watch_cycle(get_engine(), get_redis()).as_dict()
