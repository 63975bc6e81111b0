"""A background thread moving every price by a seeded random step (the demo's live market)."""

from __future__ import annotations

import random
import threading
from decimal import Decimal
from typing import Protocol

from .datasets.model import SimDataset


class WalkTarget(Protocol):
    dataset: SimDataset

    def price(self, symbol: str) -> Decimal | None: ...
    def set_price(self, symbol: str, price: Decimal | str) -> None: ...


class RandomWalk:
    def __init__(self, target: WalkTarget) -> None:
        self.target = target
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(
        self, seed: int, interval_s: float, volatility: Decimal | str, drift: Decimal | str
    ) -> None:
        """Every ``interval_s`` seconds move every symbol by ``price * (1 + N(drift,
        volatility))``, rounded to the market's tick."""
        self.stop()
        self._stop.clear()
        rng = random.Random(seed)
        vol = float(volatility)
        mean = float(drift)
        ds = self.target.dataset
        ticks = {}
        for m in list(ds.binance_markets.values()) + list(ds.coinbase_markets.values()):
            ticks[m.symbol] = m.tick

        def run() -> None:
            while not self._stop.wait(interval_s):
                for sym in sorted(self.target.dataset.prices):
                    p = self.target.price(sym)
                    if p is None:
                        continue
                    tick = ticks.get(sym, Decimal("0.00000001"))
                    step = Decimal(str(round(1 + rng.gauss(mean, vol), 8)))
                    newp = (p * step / tick).to_integral_value() * tick
                    if newp > 0:
                        self.target.set_price(sym, newp)

        self._thread = threading.Thread(target=run, name="sim-random-walk", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        t, self._thread = self._thread, None
        if t is not None:
            t.join(timeout=5)
