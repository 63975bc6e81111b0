"""The periodic price watch (`watch-prices`, every PRICE_POLL_SECONDS, queue `watch`): the REST
fallback of the price stream (it skips the assets a healthy stream covers).

One cycle at a time: the scheduler never queues a run while another waits or works
(`jobs.schedule.SingleFlightScheduler`), and a cycle that starts anyway while another runs
(a second worker, a run enqueued by hand, one queued by an older scheduler) returns at once,
skipped: two cycles at once would only read the same prices twice (docs/watching.md).
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

from exstrat_app import bootstrap
from exstrat_app.infra.locks import acquire_lock, release_lock
from exstrat_app.services.strategies.touches import rest_watch_cycle
from jobs.schedule import watch_timeout

log = logging.getLogger(__name__)

CYCLE_LOCK_KEY = "watch:cycle"  # held while a REST watch cycle runs


def watch_prices() -> dict[str, Any]:
    """One batched REST cycle over every watched asset the stream does not cover, unless
    another cycle is running (then `{"skipped": True}` at once)."""
    redis = bootstrap.redis()
    # As long as RQ lets the job run: a cycle killed with its worker frees it by then.
    token = acquire_lock(redis, CYCLE_LOCK_KEY, watch_timeout(bootstrap.settings()))
    if token is None:
        log.info("watch cycle skipped: another one is running")
        return {"skipped": True}
    try:
        report = rest_watch_cycle(
            bootstrap.engine(),
            redis,
            provider=bootstrap.price_provider(),
            public_url=bootstrap.settings().public_url,
        )
    finally:
        try:
            release_lock(redis, CYCLE_LOCK_KEY, token)
        except RedisError:  # it expires on its own; the next cycle waits for that at worst
            log.warning("could not release the watch cycle lock")
    return {"skipped": False, **report.as_dict()}
