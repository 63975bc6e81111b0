"""One request schedule per exchange, shared by every process through Redis.

ccxt's `enableRateLimit` spaces the requests of one instance: each waits `rateLimit * cost` ms
after the previous one. But every job builds its own instance and production runs any number
of workers, so N workers syncing N accounts would together send N times what Binance allows
(its request weights are counted per IP, whatever the key). `SharedThrottle` replaces an
instance's `throttle`: each request reserves the next free slot of the exchange's schedule in
Redis (one atomic script, on Redis' clock) and sleeps until it. The schedule is the one ccxt
would keep for a single instance; all processes now share it.

If Redis cannot be reached, the request falls back to ccxt's own per-instance spacing: a
sync is never stopped by the limiter itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "exstrat:throttle:"

# Reserve the next slot: start = max(now, next free); next free = start + spacing. Returns the
# wait in microseconds. Redis' TIME keeps one clock for every host; the key expires once the
# schedule is in the past, so an idle exchange costs nothing.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local spacing = tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, next_free)
local after = start + spacing
redis.call('SET', KEYS[1], string.format('%d', after), 'PX', math.ceil((after - now) / 1000) + 1000)
return start - now
"""


class SharedThrottle:
    """A drop-in for `ccxt.Exchange.throttle(cost)` that spaces requests across processes."""

    def __init__(
        self,
        redis: Redis,
        exchange: str,
        rate_limit_ms: Callable[[], float],
        fallback: Callable[[float | None], None],
    ) -> None:
        self.key = KEY_PREFIX + exchange
        self._rate_limit_ms = rate_limit_ms
        self._fallback = fallback
        self._reserve = redis.register_script(_RESERVE)
        self._warned = False  # one warning per instance, not one per request of a long sync

    def __call__(self, cost: float | None = None) -> None:
        spacing_us = round(self._rate_limit_ms() * (1 if cost is None else cost) * 1000)
        try:
            wait_us = int(self._reserve(keys=[self.key], args=[spacing_us]))
        except RedisError:
            if not self._warned:
                log.warning("shared throttle unavailable (Redis); spacing this instance only")
                self._warned = True
            self._fallback(cost)
            return
        if wait_us > 0:
            time.sleep(wait_us / 1_000_000)


def share_throttle(instance: object, exchange: str, redis: Redis) -> None:
    """Make a ccxt instance (with `enableRateLimit`) take its turns from the shared schedule."""
    fallback = instance.throttle  # type: ignore[attr-defined]

    def rate_limit_ms() -> float:  # read at each request, as ccxt does
        return float(instance.rateLimit)  # type: ignore[attr-defined]

    # An instance attribute wins over the class method ccxt's fetch2 calls.
    instance.throttle = SharedThrottle(redis, exchange, rate_limit_ms, fallback)  # type: ignore[attr-defined]
