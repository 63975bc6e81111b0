"""Binance's retail history endpoints, in the shapes of Binance's docs and of the responses ccxt
records in its ``binance.py`` parsers (``parse_conversion``, ``fetch_my_dust_trades``):

- ``GET /sapi/v1/convert/tradeFlow`` (Convert "Get Convert Trade History", Weight(UID) 3000):
  ``startTime``/``endTime`` mandatory, at most 30 days apart, ``limit`` default 100, max 1000;
  ``{"list": [...], "startTime", "endTime", "limit", "moreData"}``, newest first.
- ``GET /sapi/v1/fiat/payments`` (Fiat "Get Fiat Payments History", Weight(IP) 1) and
  ``GET /sapi/v1/fiat/orders`` ("Get Fiat Deposit/Withdraw History", Weight(UID) 90000):
  ``transactionType`` mandatory (payments 0 buy / 1 sell, orders 0 deposit / 1 withdraw),
  ``beginTime``/``endTime`` (neither sent: the last 30 days), ``page`` (from 1), ``rows``
  (default 100, max 500); ``{"code": "000000", "message": "success", "data": [...],
  "total", "success": true}``.
- ``GET /sapi/v1/asset/dribblet`` (Wallet "Dustlog", Weight(IP) 1): the last 100 conversions,
  optional ``startTime``/``endTime``; ``{"total", "userAssetDribblets": [...]}``.
- ``GET /sapi/v1/asset/assetDividend`` (Wallet "Asset Dividend Record", Weight(IP) 10):
  ``startTime``/``endTime`` at most 180 days apart (neither: the last 180 days), ``limit``
  default 20, max 500; ``{"rows": [...], "total"}``, newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from .._wire import Request, Response, f8, json_response
from ..datasets.times import DAY_MS
from ..host import SimHost
from .errors import BinanceError, int_param, mandatory

THIRTY_DAYS_MS = 30 * DAY_MS
HALF_YEAR_MS = 180 * DAY_MS
_Q8 = Decimal("0.00000001")
_ZERO = Decimal(0)


def _window(
    req: Request, now: int, span: int, *, required: bool, names: tuple[str, str], default: int
) -> tuple[int, int]:
    start, end = int_param(req, names[0]), int_param(req, names[1])
    if required:
        for name, value in zip(names, (start, end), strict=True):
            if value is None:
                raise mandatory(name)
    if start is None and end is None:
        end = now
        start = now - default
    elif end is None:
        end = min(start + span, now)  # type: ignore[operator]
    elif start is None:
        start = end - span
    assert start is not None and end is not None
    if end < start:
        raise BinanceError(400, -1127, f"{names[0]} cannot be greater than {names[1]}.")
    if end - start > span:
        days = span // DAY_MS
        raise BinanceError(400, -1127, f"More than {days} days between {names[0]} and {names[1]}.")
    return start, end


def _limit(req: Request, name: str, default: int, maximum: int) -> int:
    value = int_param(req, name)
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise BinanceError(400, -1130, f"Invalid data sent for a parameter: {name}.")
    return value


def _fiat_page(req: Request, items: list[dict]) -> Response:
    page = max(int_param(req, "page") or 1, 1)
    rows = _limit(req, "rows", 100, 500)
    chunk = items[(page - 1) * rows : page * rows]
    return json_response(
        {
            "code": "000000",
            "message": "success",
            "data": chunk,
            "total": len(items),
            "success": True,
        }
    )


def _tx_type(req: Request) -> int:
    raw = req.arg("transactionType")
    if raw is None or raw == "":
        raise mandatory("transactionType")
    if raw not in ("0", "1"):
        raise BinanceError(400, -1130, "Invalid data sent for a parameter: transactionType.")
    return int(raw)


class RetailEndpoints:
    def __init__(self, host: SimHost) -> None:
        self.host = host

    def _records(self, req: Request, pick: Callable[[Any], Iterable[Any]]) -> list[Any]:
        acct = req.signed_account()
        with acct.lock:
            return list(pick(acct.binance_retail))

    def convert_trade_flow(self, req: Request) -> Response:
        start, end = _window(
            req,
            self.host.now_ms(),
            THIRTY_DAYS_MS,
            required=True,
            names=("startTime", "endTime"),
            default=THIRTY_DAYS_MS,
        )
        limit = _limit(req, "limit", 100, 1000)
        found = [c for c in self._records(req, lambda r: r.converts) if start <= c.time <= end]
        found.sort(key=lambda c: (c.time, c.order_id), reverse=True)
        rows = [
            {
                "quoteId": f"{c.order_id:x}q",
                "orderId": c.order_id,
                "orderStatus": c.status,
                "fromAsset": c.from_asset,
                "fromAmount": format(c.from_amount, "f"),
                "toAsset": c.to_asset,
                "toAmount": format(c.to_amount, "f"),
                "ratio": format((c.to_amount / c.from_amount).quantize(_Q8), "f"),
                "inverseRatio": format((c.from_amount / c.to_amount).quantize(_Q8), "f"),
                "createTime": c.time,
                "orderType": "MARKET",
                "side": "BUY",
            }
            for c in found[:limit]
        ]
        return json_response(
            {
                "list": rows,
                "startTime": start,
                "endTime": end,
                "limit": limit,
                "moreData": len(found) > limit,
            }
        )

    def fiat_payments(self, req: Request) -> Response:
        side = "buy" if _tx_type(req) == 0 else "sell"
        start, end = self._fiat_window(req)
        found = [
            p
            for p in self._records(req, lambda r: r.card_payments)
            if p.side == side and start <= p.time <= end
        ]
        found.sort(key=lambda p: p.time, reverse=True)
        return _fiat_page(
            req,
            [
                {
                    "orderNo": p.order_no,
                    "sourceAmount": format(p.source_amount, "f"),
                    "fiatCurrency": p.fiat,
                    "obtainAmount": format(p.obtain_amount, "f"),
                    "cryptoCurrency": p.crypto,
                    "totalFee": format(p.fee, "f"),
                    "price": format((p.source_amount / p.obtain_amount).quantize(_Q8), "f")
                    if side == "buy"
                    else format((p.obtain_amount / p.source_amount).quantize(_Q8), "f"),
                    "status": p.status,
                    "paymentMethod": p.method,
                    "createTime": p.time,
                    "updateTime": p.time + 60_000,
                }
                for p in found
            ],
        )

    def fiat_orders(self, req: Request) -> Response:
        kind = "deposit" if _tx_type(req) == 0 else "withdrawal"
        start, end = self._fiat_window(req)
        found = [
            o
            for o in self._records(req, lambda r: r.fiat_orders)
            if o.kind == kind and start <= o.time <= end
        ]
        found.sort(key=lambda o: o.time, reverse=True)
        return _fiat_page(
            req,
            [
                {
                    "orderNo": o.order_no,
                    "fiatCurrency": o.fiat,
                    # deposit: what was sent = credited + fee; withdrawal: asked = sent
                    "indicatedAmount": format(
                        o.amount + o.fee if kind == "deposit" else o.amount, "f"
                    ),
                    "amount": format(o.amount, "f"),
                    "totalFee": format(o.fee, "f"),
                    "method": o.method,
                    "status": o.status,
                    "createTime": o.time,
                    "updateTime": o.time + 60_000,
                }
                for o in found
            ],
        )

    def _fiat_window(self, req: Request) -> tuple[int, int]:
        # No documented maximum span; neither time sent -> the last 30 days.
        start, end = int_param(req, "beginTime"), int_param(req, "endTime")
        now = self.host.now_ms()
        if start is None and end is None:
            return now - THIRTY_DAYS_MS, now
        return (start if start is not None else 0), (end if end is not None else now)

    def dribblet(self, req: Request) -> Response:
        start, end = int_param(req, "startTime"), int_param(req, "endTime")
        found = [
            d
            for d in self._records(req, lambda r: r.dust)
            if (start is None or d.time >= start) and (end is None or d.time <= end)
        ]
        found.sort(key=lambda d: d.time, reverse=True)
        found = found[:100]  # "Only return last 100 records"
        out = []
        for d in found:
            out.append(
                {
                    "operateTime": d.time,
                    "totalTransferedAmount": f8(sum((x.transfered for x in d.details), _ZERO)),
                    "totalServiceChargeAmount": f8(sum((x.charge for x in d.details), _ZERO)),
                    "transId": d.trans_id,
                    "userAssetDribbletDetails": [
                        {
                            "transId": d.trans_id,
                            "serviceChargeAmount": f8(x.charge),
                            "amount": format(x.amount, "f"),
                            "operateTime": d.time,
                            "transferedAmount": f8(x.transfered),
                            "fromAsset": x.from_asset,
                        }
                        for x in d.details
                    ],
                }
            )
        return json_response({"total": len(out), "userAssetDribblets": out})

    def asset_dividend(self, req: Request) -> Response:
        start, end = _window(
            req,
            self.host.now_ms(),
            HALF_YEAR_MS,
            required=False,
            names=("startTime", "endTime"),
            default=HALF_YEAR_MS,
        )
        limit = _limit(req, "limit", 20, 500)
        asset = req.arg("asset")
        found = [
            d
            for d in self._records(req, lambda r: r.dividends)
            if start <= d.time <= end and (not asset or d.asset == asset)
        ]
        found.sort(key=lambda d: (d.time, d.id), reverse=True)
        rows = [
            {
                "id": d.id,
                "amount": f8(d.amount),
                "asset": d.asset,
                "divTime": d.time,
                "enInfo": d.info,
                "tranId": d.tran_id,
            }
            for d in found[:limit]
        ]
        return json_response({"rows": rows, "total": len(found)})
