"""Binance wallet endpoints: deposit and withdrawal history in 90-day windows
(``/sapi/v1/capital/deposit/hisrec``, ``/sapi/v1/capital/withdraw/history``) and every coin's
configuration (``/sapi/v1/capital/config/getall``), in the shapes of the Binance Wallet docs
("Deposit History", "Withdraw History", "All Coins' Information") as ccxt's
``ts/src/test/static/response/binance.json`` records them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from .._wire import Request, Response, f8, json_response
from ..datasets.model import SimTransfer
from ..datasets.times import DAY_MS
from ..host import SimHost
from .errors import BinanceError, int_param

NINETY_DAYS_MS = 90 * DAY_MS
ASSET_NAMES = {
    "BTC": "Bitcoin",
    "ETH": "Ethereum",
    "BNB": "BNB",
    "USDT": "TetherUS",
    "USDC": "USD Coin",
    "SOL": "Solana",
    "ADA": "Cardano",
    "XRP": "XRP",
    "DOGE": "Dogecoin",
    "DOT": "Polkadot",
    "LINK": "ChainLink",
    "MATIC": "Polygon",
    "LTC": "Litecoin",
}


class WalletEndpoints:
    def __init__(self, host: SimHost) -> None:
        self.host = host
        self.ds = host.dataset

    def _window(self, req: Request) -> tuple[int, int]:
        now = self.host.now_ms()
        start = int_param(req, "startTime")
        end = int_param(req, "endTime")
        if end is None:
            end = now
        if start is None:
            start = end - NINETY_DAYS_MS
        if end - start > NINETY_DAYS_MS:
            raise BinanceError(400, -1127, "More than 90 days between startTime and endTime.")
        if end < start:
            raise BinanceError(400, -1127, "startTime cannot be greater than endTime.")
        return start, end

    def _page(self, req: Request, items: list[dict]) -> list[dict]:
        offset = int_param(req, "offset") or 0
        limit = int_param(req, "limit") or 1000
        limit = max(1, min(limit, 1000))
        return items[offset : offset + limit]

    def deposits(self, req: Request) -> Response:
        acct = req.signed_account()
        start, end = self._window(req)
        coin = req.arg("coin")
        status = req.arg("status")
        with acct.lock:
            rows = [
                d
                for d in acct.deposits
                if start <= d.time <= end and (not coin or d.asset == coin.upper())
            ]
        rows.sort(key=lambda d: d.time, reverse=True)
        out = [self._deposit(d) for d in rows]
        if status is not None:
            out = [o for o in out if str(o["status"]) == status]
        return json_response(self._page(req, out))

    @staticmethod
    def _deposit(d: SimTransfer) -> dict:
        status = {"ok": 1, "pending": 0, "failed": 2}.get(d.status, 1)
        return {
            "id": d.id,
            "amount": format(d.amount, "f"),
            "coin": d.asset,
            "network": d.network or d.asset,
            "status": status,
            "address": d.address,
            "addressTag": "",
            "txId": d.txid,
            "insertTime": d.time,
            "completeTime": d.time + 60_000 if d.status == "ok" else None,
            "transferType": 0,
            "confirmTimes": "12/12",
            "unlockConfirm": 0,
            "walletType": 0,
        }

    def withdrawals(self, req: Request) -> Response:
        acct = req.signed_account()
        start, end = self._window(req)
        coin = req.arg("coin")
        status = req.arg("status")
        with acct.lock:
            rows = [
                w
                for w in acct.withdrawals
                if start <= w.time <= end and (not coin or w.asset == coin.upper())
            ]
        rows.sort(key=lambda w: w.time, reverse=True)
        out = [self._withdrawal(w) for w in rows]
        if status is not None:
            out = [o for o in out if str(o["status"]) == status]
        return json_response(self._page(req, out))

    @staticmethod
    def _withdrawal(w: SimTransfer) -> dict:
        def fmt(t: int) -> str:
            return datetime.fromtimestamp(t / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")

        status = {"ok": 6, "pending": 4, "failed": 5}.get(w.status, 6)
        row = {
            "id": w.id,
            "amount": format(w.amount, "f"),
            "transactionFee": format(w.fee, "f"),
            "coin": w.asset,
            "status": status,
            "address": w.address,
            "txId": w.txid,
            "applyTime": fmt(w.time),
            "network": w.network or w.asset,
            "transferType": 0,
            "info": "",
            "confirmNo": 12,
            "walletType": 0,
            "txKey": "",
        }
        if w.status == "ok":
            row["completeTime"] = fmt(w.time + 300_000)
        return row

    def capital_config(self, req: Request) -> Response:
        acct = req.signed_account()
        assets = set()
        for m in self.ds.binance_markets.values():
            assets.update((m.base, m.quote))
        with acct.lock:
            assets.update(acct.balances)
            bal = dict(acct.balances)
        out = []
        for a in sorted(assets):
            fr, lk = bal.get(a, (Decimal(0), Decimal(0)))
            out.append(
                {
                    "coin": a,
                    "depositAllEnable": True,
                    "withdrawAllEnable": True,
                    "name": ASSET_NAMES.get(a, a),
                    "free": f8(fr),
                    "locked": f8(lk),
                    "freeze": "0",
                    "withdrawing": "0",
                    "ipoing": "0",
                    "ipoable": "0",
                    "storage": "0",
                    "isLegalMoney": False,
                    "trading": True,
                    "networkList": [
                        {
                            "network": a if a not in ("USDT", "USDC", "LINK") else "ETH",
                            "coin": a,
                            "withdrawIntegerMultiple": "0.00000001",
                            "isDefault": True,
                            "depositEnable": True,
                            "withdrawEnable": True,
                            "depositDesc": "",
                            "withdrawDesc": "",
                            "specialTips": "",
                            "name": ASSET_NAMES.get(a, a),
                            "resetAddressStatus": False,
                            "addressRegex": "",
                            "memoRegex": "",
                            "withdrawFee": "0.001",
                            "withdrawMin": "0.002",
                            "withdrawMax": "9999999999.99999999",
                            "minConfirm": 12,
                            "unLockConfirm": 0,
                            "sameAddress": False,
                            "estimatedArrivalTime": 5,
                            "busy": False,
                        }
                    ],
                }
            )
        return json_response(out)
