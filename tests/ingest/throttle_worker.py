"""Child process for test_shared_throttle: takes its turns from the shared Binance IP budget
through its own ccxt instance and reports the wait the budget handed out for each request."""

from __future__ import annotations

from typing import Any

# ccxt counts a Binance ping as 0.2 of its `rateLimit` (ms): 125 ms makes each ping one 25 ms
# slot of the schedule (weight 1 of /api).
PING_COST = 0.2
RATE_LIMIT_MS = 125
SLOT_MS = RATE_LIMIT_MS * PING_COST
BURST_SLOTS = 50  # the budget in these tests: 50 pings a minute


def ping_waits(pings: int, ready: Any, go: Any, out: Any) -> None:
    from exstrat_app.infra import exchanges as xa
    from exstrat_app.infra.redis import get_redis

    instance = xa.make_exchange("binance", redis=get_redis())
    instance.rateLimit = RATE_LIMIT_MS
    throttle = instance.throttle
    throttle.capacity_us = round(BURST_SLOTS * SLOT_MS * 1000)
    ready.release()
    go.wait(60)  # both processes start together, early in a minute (the parent picks it)
    out.put([throttle.take(PING_COST) for _ in range(pings)])
