"""Child process for test_shared_throttle: pings the simulator through its own ccxt instance
and reports when each request was let through (wall clock, comparable across processes)."""

from __future__ import annotations

import time
from typing import Any

# ccxt counts a Binance ping as 0.2 of its `rateLimit` (ms): 125 ms makes each ping one 25 ms
# slot.
PING_COST = 0.2
RATE_LIMIT_MS = 125
SLOT_MS = RATE_LIMIT_MS * PING_COST


def ping_times(shared: bool, pings: int, start_at: float, out: Any) -> None:
    from exstrat_app.infra import exchanges as xa
    from exstrat_app.infra.redis import get_redis

    instance = xa.make_exchange("binance", redis=get_redis() if shared else None)
    instance.rateLimit = RATE_LIMIT_MS
    released: list[float] = []
    throttle = instance.throttle

    def recording(cost: float | None = None) -> None:
        assert cost == PING_COST, cost
        throttle(cost)
        released.append(time.time())

    instance.throttle = recording
    time.sleep(max(0.0, start_at - time.time()))  # both processes start together
    for _ in range(pings):
        instance.publicGetPing()  # cost 1: one slot of RATE_LIMIT_MS
    out.put(released)
