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
    # When the extremes were seen (UTC; a 1-minute kline's open time on the REST path), for
    # "touched 2,310 at 12:04" and so a step created after a spike is not fired by it.
    # None: at `at`.
    high_at: datetime | None = None
    low_at: datetime | None = None
    # The pair a converted price went through (a EUR ladder on an asset with no ASSET/EUR
    # market: ASSET/USDT / EUR/USDT), None for a market's own price.
    via: str | None = None

    @classmethod
    def at_price(cls, asset: str, price: Decimal, at: datetime) -> PriceTouch:
        """A single observation: high = low = last."""
        return cls(asset=asset, last=price, high=price, low=price, at=at)

    @property
    def high_seen_at(self) -> datetime:
        return self.high_at or self.at

    @property
    def low_seen_at(self) -> datetime:
        return self.low_at or self.at

    def merged(self, later: PriceTouch) -> PriceTouch:
        """This window followed by `later`'s: the later last, the widest extremes (a tie keeps
        the earlier moment: the first time the price was there)."""
        high_first = self.high >= later.high
        low_first = self.low <= later.low
        return PriceTouch(
            asset=self.asset,
            last=later.last,
            high=self.high if high_first else later.high,
            low=self.low if low_first else later.low,
            at=later.at,
            high_at=self.high_seen_at if high_first else later.high_seen_at,
            low_at=self.low_seen_at if low_first else later.low_seen_at,
            via=later.via or self.via,
        )
