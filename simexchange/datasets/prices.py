"""Price paths: a symbol's price points over time, and the seeded walks datasets draw them from.

Binance's klines and Coinbase's candles are computed from these points (see ``candles.py``):
the price "at" a time is the last point at or before it.
"""

from __future__ import annotations

import bisect
import random
import threading
from decimal import Decimal

D = Decimal


class PriceHistory:
    """Price points ``(time_ms, price)`` of one symbol, kept sorted by time.

    The price "at" a time is the last point at or before it; a 1-minute candle's close is the
    price at the candle's last millisecond.
    """

    __slots__ = ("_lock", "prices", "times")

    def __init__(self, points: list[tuple[int, Decimal]] | None = None) -> None:
        pts = sorted(points or [], key=lambda p: p[0])
        self.times: list[int] = [t for t, _ in pts]
        self.prices: list[Decimal] = [D(p) for _, p in pts]
        self._lock = threading.Lock()

    def add(self, t_ms: int, price: Decimal | str) -> None:
        price = D(price)
        with self._lock:
            if not self.times or t_ms >= self.times[-1]:
                self.times.append(t_ms)
                self.prices.append(price)
            else:
                i = bisect.bisect_right(self.times, t_ms)
                self.times.insert(i, t_ms)
                self.prices.insert(i, price)

    def at(self, t_ms: int) -> Decimal | None:
        """Last price at or before ``t_ms`` (None before the first point)."""
        i = bisect.bisect_right(self.times, t_ms)
        return self.prices[i - 1] if i else None

    def first_time(self) -> int | None:
        return self.times[0] if self.times else None

    def between(self, t0: int, t1: int) -> list[Decimal]:
        """Prices of the points with ``t0 <= time <= t1``."""
        i = bisect.bisect_left(self.times, t0)
        j = bisect.bisect_right(self.times, t1)
        return self.prices[i:j]

    def __len__(self) -> int:
        return len(self.times)


def quantize_down(x: Decimal, step: Decimal) -> Decimal:
    """Truncate to a multiple of step."""
    return (x / step).to_integral_value(rounding="ROUND_DOWN") * step


def random_walk(
    rng: random.Random, t0: int, t1: int, every: int, end: Decimal, tick: Decimal, vol: float
) -> list[tuple[int, Decimal]]:
    """A random walk sampled every ``every`` ms, ending exactly at ``end``."""
    n = max(2, (t1 - t0) // every)
    logp = [0.0]
    for _ in range(n - 1):
        logp.append(logp[-1] + rng.gauss(0, vol))
    last = logp[-1]
    out = []
    for k, lp in enumerate(logp):
        f = Decimal(str(round(2.718281828459045 ** (lp - last), 6)))
        out.append((t0 + k * every, max(tick, quantize_down(end * f, tick))))
    return out
