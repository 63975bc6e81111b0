"""Simple Earn and the Funding wallet, in the shapes of Binance's Simple Earn and Wallet docs:

- ``GET /sapi/v1/simple-earn/flexible/position`` / ``.../locked/position`` (Weight(IP) 150):
  ``asset``, ``current`` (page, from 1), ``size`` (default 10, max 100); ``{"rows", "total"}``.
- ``GET /sapi/v1/simple-earn/flexible/history/rewardsRecord`` (Weight(IP) 150): ``type``
  BONUS | REALTIME | REWARDS | ALL (the default), ``asset``, ``startTime``/``endTime`` at most
  3 months (90 days) apart (neither: the last 30 days), ``current``/``size``; rows
  ``{asset, rewards, projectId, type, time}``.
- ``GET /sapi/v1/simple-earn/locked/history/rewardsRecord`` (Weight(IP) 150): the same window
  and paging; rows ``{positionId, time, asset, lockPeriod, amount}``.
- ``POST /sapi/v1/asset/get-funding-asset`` (Weight(IP) 1): ``asset``, ``needBtcValuation``;
  a list of ``{asset, free, locked, freeze, withdrawing, btcValuation}`` (what ccxt's
  ``fetch_balance({"type": "funding"})`` parses).
"""

from __future__ import annotations

from typing import Any

from .._wire import Request, Response, f8, json_response
from ..datasets.times import DAY_MS
from ..host import SimHost
from .errors import BinanceError, int_param

NINETY_DAYS_MS = 90 * DAY_MS
THIRTY_DAYS_MS = 30 * DAY_MS
FLEXIBLE_TYPES = ("BONUS", "REALTIME", "REWARDS", "ALL")


def _paged(req: Request, rows: list[dict[str, Any]]) -> Response:
    current = max(int_param(req, "current") or 1, 1)
    size = int_param(req, "size") or 10
    if not 1 <= size <= 100:
        raise BinanceError(400, -1130, "Invalid data sent for a parameter: size.")
    return json_response({"rows": rows[(current - 1) * size : current * size], "total": len(rows)})


class EarnEndpoints:
    def __init__(self, host: SimHost) -> None:
        self.host = host

    def _window(self, req: Request) -> tuple[int, int]:
        now = self.host.now_ms()
        start, end = int_param(req, "startTime"), int_param(req, "endTime")
        if start is None and end is None:
            return now - THIRTY_DAYS_MS, now
        start = start if start is not None else end - NINETY_DAYS_MS  # type: ignore[operator]
        end = end if end is not None else min(start + NINETY_DAYS_MS, now)
        if end < start:
            raise BinanceError(400, -1127, "startTime cannot be greater than endTime.")
        if end - start > NINETY_DAYS_MS:
            raise BinanceError(
                400, -1127, "The time between startTime and endTime cannot be longer than 3 months."
            )
        return start, end

    def _positions(self, req: Request, product: str) -> list[Any]:
        acct = req.signed_account()
        asset = req.arg("asset")
        with acct.lock:
            found = [
                p
                for p in acct.binance_retail.earn_positions
                if p.product == product and (not asset or p.asset == asset)
            ]
        return sorted(found, key=lambda p: (p.asset, p.position_id))

    def flexible_position(self, req: Request) -> Response:
        rows = [
            {
                "totalAmount": f8(p.amount),
                "tierAnnualPercentageRate": {},
                "latestAnnualPercentageRate": "0.02100000",
                "asset": p.asset,
                "canRedeem": True,
                "collateralAmount": "0",
                "productId": p.product_id or f"{p.asset}001",
                "yesterdayRealTimeRewards": "0",
                "cumulativeBonusRewards": "0",
                "cumulativeRealTimeRewards": "0",
                "cumulativeTotalRewards": "0",
                "autoSubscribe": True,
            }
            for p in self._positions(req, "flexible")
        ]
        return _paged(req, rows)

    def locked_position(self, req: Request) -> Response:
        rows = [
            {
                "positionId": p.position_id,
                "projectId": p.product_id or f"{p.asset}*{p.duration}",
                "asset": p.asset,
                "amount": f8(p.amount),
                "purchaseTime": str(self.host.now_ms() - 10 * DAY_MS),
                "duration": str(p.duration),
                "accrualDays": "10",
                "rewardAsset": p.asset,
                "APY": "0.05",
                "isRenewable": True,
                "isAutoRenew": True,
                "redeemDate": str(self.host.now_ms() + (p.duration - 10) * DAY_MS),
                "status": "HOLDING",
                "canRedeemEarly": True,
                "type": "NORMAL",
            }
            for p in self._positions(req, "locked")
        ]
        return _paged(req, rows)

    def _rewards(self, req: Request, product: str) -> list[Any]:
        start, end = self._window(req)
        acct = req.signed_account()
        asset = req.arg("asset")
        with acct.lock:
            found = [
                r
                for r in acct.binance_retail.earn_rewards
                if r.product == product
                and start <= r.time <= end
                and (not asset or r.asset == asset)
            ]
        return sorted(found, key=lambda r: (r.time, r.asset), reverse=True)

    def flexible_rewards(self, req: Request) -> Response:
        kind = (req.arg("type") or "ALL").upper()
        if kind not in FLEXIBLE_TYPES:
            raise BinanceError(400, -1130, "Invalid data sent for a parameter: type.")
        rows = [
            {
                "asset": r.asset,
                "rewards": f8(r.amount),
                "projectId": r.product_id or f"{r.asset}001",
                "type": r.type,
                "time": r.time,
            }
            for r in self._rewards(req, "flexible")
            if kind == "ALL" or r.type == kind
        ]
        return _paged(req, rows)

    def locked_rewards(self, req: Request) -> Response:
        rows = [
            {
                "positionId": str(r.position_id),
                "time": r.time,
                "asset": r.asset,
                "lockPeriod": "30",
                "amount": f8(r.amount),
            }
            for r in self._rewards(req, "locked")
        ]
        return _paged(req, rows)

    def funding_asset(self, req: Request) -> Response:
        acct = req.signed_account()
        asset = req.arg("asset")
        with acct.lock:
            funding = dict(acct.binance_retail.funding)
        out = [
            {
                "asset": a,
                "free": format(free, "f"),
                "locked": format(locked, "f"),
                "freeze": "0",
                "withdrawing": "0",
                "btcValuation": "0",
            }
            for a, (free, locked) in sorted(funding.items())
            if (free or locked) and (not asset or a == asset)
        ]
        return json_response(out)
