"""Binance's IP weight is spent from one budget per minute shared by every process
(infra.exchanges.throttle._IP_WINDOW), costed by Binance's documented weights (weights.py:
klines 2, myTrades 20 of 6000 a minute). Read as the waits the budget hands out in
microseconds (Redis' clock), never timed."""

from __future__ import annotations

import time
from typing import Any

import ccxt

from exstrat_app.infra.exchanges.throttle import SAFETY_MARGIN, share_throttle

KEY = "exstrat:throttle:binance:ip"


def fresh_minute(redis: Any, needed_s: float = 10) -> None:
    """Start a test's requests early in a minute of Redis' clock, so they all fall in it (a
    wait for the start, not a timed assertion)."""
    seconds, micros = redis.time()
    left = 60 - (seconds % 60) - micros / 1e6
    if left < needed_s:
        time.sleep(left + 0.05)


def shared(redis: Any) -> Any:
    instance = ccxt.binance({"enableRateLimit": True})
    share_throttle(instance, "binance", redis)
    redis.delete(KEY)
    fresh_minute(redis)
    return instance


def test_a_burst_of_klines_is_charged_weight_2_and_a_minute_goes_at_once(redis: Any) -> None:
    ex = shared(redis)
    cost = ex.calculate_rate_limiter_cost("public", "GET", "klines", {})
    # klines: Weight(IP) 2 of 6000 a minute = 0.4 of ccxt's cost (50 ms each) = 20 ms of
    # the minute; the window holds 60 s less the 5 % margin = 57 s = 2850 klines
    assert cost == 0.4
    assert ex.throttle.capacity_us == 57_000_000
    free = round(60 * (1 - SAFETY_MARGIN) * 1000 / 20)
    assert free == 2850
    waits = [ex.throttle.take(cost) for _ in range(free)]
    assert waits == [0] * free  # a minute's budget without waiting
    # the 2851st waits for the next minute (at most 60 s: the rest of this one)
    assert 0 < ex.throttle.take(cost) <= 60_000_000
    # and queues the ones after it behind it, in the next minute's budget
    assert 0 < ex.throttle.take(cost) <= 60_000_000


def test_my_trades_is_charged_weight_20(redis: Any) -> None:
    ex = shared(redis)
    cost = ex.calculate_rate_limiter_cost("private", "GET", "myTrades", {})
    # myTrades: Weight(IP) 20 of 6000 = 4 of ccxt's cost = 200 ms of the minute: 285 fit
    assert cost == 4
    assert [ex.throttle.take(cost) for _ in range(285)] == [0] * 285
    assert ex.throttle.take(cost) > 0


def test_a_high_used_weight_header_makes_the_next_wait_longer(redis: Any) -> None:
    ex = shared(redis)
    cost = ex.calculate_rate_limiter_cost("public", "GET", "klines", {})
    assert ex.throttle.take(cost) == 0
    # Binance says our IP used 1000 of 6000 this minute: more than our 2, but room is left
    ex.last_response_headers = {"X-MBX-USED-WEIGHT-1M": "1000"}
    assert ex.throttle.take(cost) == 0
    # another process on the IP has spent 5800 (more than our 5700): wait for the next minute
    ex.last_response_headers = {"X-MBX-USED-WEIGHT-1M": "5800"}
    assert ex.throttle.take(cost) > 0


def test_the_sapi_used_weight_header_counts_at_its_own_rate(redis: Any) -> None:
    ex = shared(redis)
    redis.delete(KEY + ":sapi")
    earn = ex.calculate_rate_limiter_cost(
        "sapi", "GET", "simple-earn/flexible/history/rewardsRecord", {}
    )
    # /sapi's IP limit is 12000 a minute: 11500 used is as full as 5750 of /api's 6000
    ex.last_response_headers = {"x-sapi-used-ip-weight-1m": "11500"}
    assert ex.throttle.take(earn) > 0
    # ...and it is /sapi's budget only: an /api request still goes at once
    assert ex.throttle.take(ex.calculate_rate_limiter_cost("public", "GET", "klines", {})) == 0


def test_api_and_sapi_spend_separate_minute_budgets(redis: Any) -> None:
    """Binance: /api's endpoints share 6000 a minute per IP, /sapi's IP-limited ones have
    their own 12000 (developers.binance.com, "Rate limits": "/api/* and /sapi/* apply rate
    limits differently")."""
    ex = shared(redis)
    redis.delete(KEY + ":sapi")
    trades = ex.calculate_rate_limiter_cost("private", "GET", "myTrades", {})
    earn = ex.calculate_rate_limiter_cost(
        "sapi", "GET", "simple-earn/flexible/history/rewardsRecord", {}
    )
    assert not trades.sapi and earn.sapi
    # 150 of /sapi's 12000 = 15 of ccxt's cost = 750 ms of its minute: 76 fit in 57 s
    assert earn == 15
    assert [ex.throttle.take(earn) for _ in range(76)] == [0] * 76
    assert ex.throttle.take(earn) > 0  # /sapi's minute is spent...
    # ...while /api's is untouched: 285 myTrades (weight 20) still go at once
    assert [ex.throttle.take(trades) for _ in range(285)] == [0] * 285
    assert ex.throttle.take(trades) > 0


def test_a_garbled_header_is_ignored(redis: Any) -> None:
    ex = shared(redis)
    ex.last_response_headers = {"X-MBX-USED-WEIGHT-1M": "lots"}
    assert ex.throttle.take(0.4) == 0
