"""One request schedule per exchange, shared by every process through Redis.

ccxt's `enableRateLimit` spaces the requests of one instance: each waits `rateLimit * cost` ms
after the previous one. But every job builds its own instance and production runs any number
of workers, so N workers syncing N accounts would together send N times what Binance allows
(its request weights are counted per IP, whatever the key). `SharedThrottle` replaces an
instance's `throttle`: each request reserves its turn in Redis (one atomic script, on Redis'
clock) and sleeps until it. Coinbase keeps the even schedule ccxt would keep for one instance,
now shared by all processes.

Binance requests are costed by their documented weights (`weights.py`): the IP weight from a
per-minute budget every process shares (`_IP_WINDOW`: a minute's budget may go at once, as Binance
allows, and the `X-MBX-USED-WEIGHT-1M` header lowers what is left when another process on the
IP spends it; /sapi has its own such window, `SAPI_WINDOW_SUFFIX`; 429/418 Retry-After is
honoured by `retry.py`), the UID weight from the
account's own budget (`_UID_TAKE`: a bucket of one minute's 180000 UID weight, refilled at
3000 a second, one per API key, against Binance itself), so a Convert or fiat history walk
waits on its account's budget without holding up any other account.

If Redis cannot be reached, the request falls back to ccxt's own per-instance spacing: a
sync is never stopped by the limiter itself.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from exstrat_app.infra.exchanges.weights import (
    API_IP_PER_MINUTE,
    CCXT_COST_PER_MINUTE,
    SAPI_IP_PER_MINUTE,
    SAPI_UID_PER_MINUTE,
    ip_cost,
    lookup,
)

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


# Take `w` from a token bucket (capacity ARGV[2], refilled at ARGV[3] per second) and return
# the wait in microseconds until the bucket had that much (the bucket may go negative: the
# wait reserves the tokens, so callers queue in order).
_UID_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local w, cap, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1] or ARGV[2])
local at = tonumber(state[2] or now)
tokens = math.min(cap, tokens + (now - at) * rate / 1000000)
tokens = tokens - w
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], 120000)
if tokens >= 0 then return 0 end
return math.ceil(-tokens * 1000000 / rate)
"""


# Binance counts IP weight per minute ("REQUEST_WEIGHT", interval MINUTE, in exchangeInfo's
# `rateLimits`; `X-MBX-USED-WEIGHT-1M` is "the weight used in the current minute", reset as
# the minute turns) and answers 429 past it. A token bucket refilled at budget/60 a second
# would let its capacity *plus* a minute's refill through in one minute (up to twice the
# budget); a rolling 60 s window is safe but makes a sync just over one budget wait a whole
# minute. So the IP weight is counted per minute of Redis' clock (a hash, field = minute
# number): a request goes in the first minute with room for it, so a minute's budget may go at
# once. Weights are in microseconds of ccxt's schedule (rateLimit * cost): a budget is 60 s.
# ARGV: the request's weight, the capacity, and the weight the exchange says this IP used this
# minute (the header): when it is more than we counted, another process on the IP (or a clock
# a little off Binance's) spent it, and the difference is charged to the current minute.
# Requests are reserved in order (`last`), so a later caller queues behind an earlier one.
# Returns the wait in microseconds, on Redis' clock.
_IP_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local w, cap, seen, len = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), 60000000
w = math.min(w, cap)
local start = math.max(now, tonumber(redis.call('HGET', KEYS[1], 'last') or '0'))
local this = math.floor(now / len)
local counted = tonumber(redis.call('HGET', KEYS[1], tostring(this)) or '0')
if seen > counted then
  redis.call('HINCRBY', KEYS[1], tostring(this), seen - counted)
end
local m = math.floor(start / len)
local used = tonumber(redis.call('HGET', KEYS[1], tostring(m)) or '0')
while used + w > cap do
  m = m + 1
  used = tonumber(redis.call('HGET', KEYS[1], tostring(m)) or '0')
end
start = math.max(start, m * len)
redis.call('HINCRBY', KEYS[1], tostring(m), w)
redis.call('HSET', KEYS[1], 'last', string.format('%d', start))
redis.call('PEXPIRE', KEYS[1], math.ceil((start - now) / 1000) + 120000)
if redis.call('HLEN', KEYS[1]) > 10 then
  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
    if f ~= 'last' and tonumber(f) < this then redis.call('HDEL', KEYS[1], f) end
  end
end
return start - now
"""

WINDOW_S = 60
# Kept off the IP's budget: requests the throttle does not see (another tool on the host) and
# Binance's own minute boundaries; 5 % of a minute is 300 weight of /api.
SAFETY_MARGIN = 0.05


def used_ip_weight(instance: Any, sapi: bool = False) -> float:
    """The IP weight Binance said was used this minute of one budget, in ccxt's cost units:
    `/api`'s from the last response's `X-MBX-USED-WEIGHT-1M`, `/sapi`'s (`sapi`) from its
    `X-SAPI-USED-IP-WEIGHT-1M` (each header speaks of its own budget); 0 when absent."""
    headers = getattr(instance, "last_response_headers", None) or {}
    seen = 0.0
    header = (
        ("X-SAPI-USED-IP-WEIGHT-1M", SAPI_IP_PER_MINUTE)
        if sapi
        else ("X-MBX-USED-WEIGHT-1M", API_IP_PER_MINUTE)
    )
    for name, per_minute in (header,):
        raw = headers.get(name) or headers.get(name.lower())
        if raw:
            try:
                used = float(raw)
            except ValueError:  # a garbled header never stops a sync
                continue
            seen = max(seen, used * CCXT_COST_PER_MINUTE / per_minute)
    return seen


class Cost(float):
    """ccxt's cost of one request (its IP weight) carrying the request's UID weight and
    which IP budget it is spent from (`sapi`: /sapi's own, else /api's)."""

    uid: int = 0
    sapi: bool = False


# Binance's `/api/*` and `/sapi/*` endpoints have separate limits ("/api/* and /sapi/* apply
# rate limits differently": /api's endpoints share 6,000 a minute per IP; /sapi's IP-limited
# endpoints have their own 12,000 a minute per IP, its UID-limited ones 180,000 a minute per
# account; headers X-MBX-USED-WEIGHT-1M vs X-SAPI-USED-IP-WEIGHT-1M. Binance developer docs,
# "Rate limits", developers.binance.com/docs/products/caas/basics/4.rate-limits, and the spot
# API's General Info "LIMITS"). So /sapi's IP weight has its own minute window (this suffix on
# the window key): a Simple Earn history walk never delays the myTrades/klines of /api.
SAPI_WINDOW_SUFFIX = ":sapi"


class SharedThrottle:
    """A drop-in for `ccxt.Exchange.throttle(cost)` that spaces requests across processes.

    With `window_key` (Binance), IP weight is spent from a per-minute budget shared by every
    process (`_IP_WINDOW`): a minute's budget at once, then the next minute's; other
    exchanges keep ccxt's even spacing (`_RESERVE`)."""

    def __init__(
        self,
        redis: Redis,
        exchange: str,
        rate_limit_ms: Callable[[], float],
        fallback: Callable[[float | None], None],
        used_weight: Callable[[bool], float] | None = None,
    ) -> None:
        self.key = KEY_PREFIX + exchange
        self._rate_limit_ms = rate_limit_ms
        self._fallback = fallback
        self._reserve = redis.register_script(_RESERVE)
        self._uid_take = redis.register_script(_UID_TAKE)
        self._ip_window = redis.register_script(_IP_WINDOW)
        self.uid_key: str | None = None  # the account's UID budget (Binance, with a key)
        # Binance: the minute's budget (its key, its capacity in microseconds of ccxt's
        # schedule) and the IP weight the exchange last said was used, in ccxt's cost units.
        self.window_key: str | None = None
        self.capacity_us = round(WINDOW_S * 1_000_000 * (1 - SAFETY_MARGIN))
        self._used_weight = used_weight
        self._warned = False  # one warning per instance, not one per request of a long sync

    def take_uid(self, uid: int) -> int:
        """Take `uid` weight from the account's bucket; the wait in microseconds (Redis' clock)."""
        rate = SAPI_UID_PER_MINUTE / 60
        args = [uid, SAPI_UID_PER_MINUTE, rate]
        return int(self._uid_take(keys=[self.uid_key], args=args))

    def take(self, cost: float | None = None) -> int:
        """Reserve one request of `cost` (ccxt's units); the wait in microseconds before it may
        go (Redis' clock). Tests read these waits instead of timing sleeps."""
        spacing_us = round(self._rate_limit_ms() * (1 if cost is None else cost) * 1000)
        if self.window_key is None:
            wait_us = int(self._reserve(keys=[self.key], args=[spacing_us]))
        else:
            sapi = bool(getattr(cost, "sapi", False))
            seen = self._used_weight(sapi) if self._used_weight else 0.0
            seen_us = round(self._rate_limit_ms() * seen * 1000)
            args = [spacing_us, self.capacity_us, seen_us]
            key = self.window_key + (SAPI_WINDOW_SUFFIX if sapi else "")
            wait_us = int(self._ip_window(keys=[key], args=args))
        uid = getattr(cost, "uid", 0)
        if uid and self.uid_key:
            wait_us = max(wait_us, self.take_uid(uid))
        return wait_us

    def __call__(self, cost: float | None = None) -> None:
        try:
            wait_us = self.take(cost)
        except RedisError:
            if not self._warned:
                log.warning("shared throttle unavailable (Redis); spacing this instance only")
                self._warned = True
            self._fallback(cost)
            return
        if wait_us > 0:
            time.sleep(wait_us / 1_000_000)


def share_throttle(
    instance: object, exchange: str, redis: Redis, *, ip_weight: int = API_IP_PER_MINUTE
) -> None:
    """Make a ccxt instance (with `enableRateLimit`) take its turns from the shared schedule.
    `ip_weight`: the IP's request weight per minute (Binance: 6000; settings can lower it)."""
    fallback = instance.throttle  # type: ignore[attr-defined]

    def rate_limit_ms() -> float:  # read at each request, as ccxt does
        return float(instance.rateLimit)  # type: ignore[attr-defined]

    # An instance attribute wins over the class method ccxt's fetch2 calls.
    used = (lambda sapi: used_ip_weight(instance, sapi)) if exchange == "binance" else None
    throttle = SharedThrottle(redis, exchange, rate_limit_ms, fallback, used)
    instance.throttle = throttle  # type: ignore[attr-defined]
    if exchange == "binance":
        throttle.window_key = f"{KEY_PREFIX}binance:ip"
        throttle.capacity_us = round(throttle.capacity_us * ip_weight / API_IP_PER_MINUTE)
        api_key = getattr(instance, "apiKey", "") or ""
        if api_key and _talks_to_binance(instance):
            digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
            throttle.uid_key = f"{KEY_PREFIX}binance:uid:{digest}"
        apply_binance_weights(instance, uid_budget=True)


def _api_name(api: Any) -> str:
    return api if isinstance(api, str) else (str(api[0]) if api else "")


def _talks_to_binance(instance: Any) -> bool:
    """UID budgets are Binance's own, per account: spent against Binance itself. A local
    simulator counts them and answers Binance's -1003 when its meter is on (`simexchange/
    binance/weights.py`); the retries honour its Retry-After."""
    return "binance." in str(instance.urls.get("api", {}).get("sapi", ""))


def apply_binance_weights(instance: Any, *, uid_budget: bool = False) -> None:
    """Cost each Binance request from `weights.BINANCE_WEIGHTS`: the IP weight in ccxt's
    units, the UID weight riding along for the account's budget (`uid_budget`), or, with no
    budget against Binance itself, folded into the cost as ccxt does (max of the two: slow
    but safe); other endpoints keep ccxt's costs."""
    ccxt_cost = instance.calculate_rate_limiter_cost
    fold_uid = not uid_budget and _talks_to_binance(instance)

    def cost(api: Any, method: Any, path: Any, params: Any, config: Any = None) -> float:
        found = lookup(api, path)
        if found is None:
            value = Cost(ccxt_cost(api, method, path, params, config or {}))
            value.sapi = _api_name(api) == "sapi"
            return value
        name, weight = found
        ip = ip_cost(name, weight)
        if fold_uid:
            value = Cost(max(ip, weight.uid * CCXT_COST_PER_MINUTE / SAPI_UID_PER_MINUTE))
        else:
            # a UID-only endpoint still takes one slot of the IP schedule (ccxt's least cost)
            value = Cost(max(ip, 0.1 if weight.uid else 0.0))
            value.uid = weight.uid
        value.sapi = name == "sapi"
        return value

    instance.calculate_rate_limiter_cost = cost
