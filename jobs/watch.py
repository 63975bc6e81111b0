"""The periodic price watch (`watch-prices`, every PRICE_POLL_SECONDS, queue `watch`): the REST
fallback of the price stream (it skips the assets a healthy stream covers)."""

from __future__ import annotations

from typing import Any

from exstrat_app import bootstrap
from exstrat_app.services.strategies.touches import rest_watch_cycle


def watch_prices() -> dict[str, Any]:
    """One batched REST cycle over every watched asset the stream does not cover."""
    return rest_watch_cycle(
        bootstrap.engine(),
        bootstrap.redis(),
        provider=bootstrap.price_provider(),
        public_url=bootstrap.settings().public_url,
    ).as_dict()
