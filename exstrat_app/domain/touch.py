"""What the market did to one asset since the watcher last looked: the last price and the
extremes in between. A take-profit is reached when the high touched its target (a limit sell
there would have filled), a stop-loss when the low touched its stop, even if the price came
back before anyone looked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class PriceTouch:
    asset: str
    last: Decimal
    high: Decimal  # highest price since the previous evaluation (>= last)
    low: Decimal  # lowest price since the previous evaluation (<= last)
    at: datetime  # when `last` was seen (UTC)

    @classmethod
    def at_price(cls, asset: str, price: Decimal, at: datetime) -> PriceTouch:
        """A single observation: high = low = last."""
        return cls(asset=asset, last=price, high=price, low=price, at=at)

    def merged(self, later: PriceTouch) -> PriceTouch:
        """This window followed by `later`'s: the later last, the widest extremes."""
        return PriceTouch(
            asset=self.asset,
            last=later.last,
            high=max(self.high, later.high),
            low=min(self.low, later.low),
            at=later.at,
        )
