"""Binance's request weights, as its docs give them per endpoint ("Weight(IP)" / "Weight(UID)"),
counted per minute like Binance does and sent back in its headers
(``X-MBX-USED-WEIGHT-1M`` for ``/api/v3``, ``X-SAPI-USED-IP-WEIGHT-1M`` and
``X-SAPI-USED-UID-WEIGHT-1M`` for ``/sapi``). The same figures sit client side in
``exstrat_app/infra/exchanges/weights.py`` (a test checks that they agree).

Limits (Binance "General API Information" / "LIMITS"): ``/api`` 6000 weight per minute per
IP; ``/sapi`` 12000 per minute per IP and 180000 per minute per account (UID). Over a limit:
HTTP 429 ``{"code": -1003}`` with ``Retry-After``, but only when ``enforce`` is on (off by
default: tests turn it on).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

API_IP_LIMIT = 6000
SAPI_IP_LIMIT = 12000
SAPI_UID_LIMIT = 180000

# path -> (IP weight, UID weight)
WEIGHTS: dict[str, tuple[int, int]] = {
    "/api/v3/ping": (1, 0),
    "/api/v3/time": (1, 0),
    "/api/v3/exchangeInfo": (20, 0),
    "/api/v3/ticker/price": (4, 0),  # all symbols
    "/api/v3/klines": (2, 0),
    "/api/v3/account": (20, 0),
    "/api/v3/myTrades": (20, 0),
    "/sapi/v1/system/status": (1, 0),
    "/sapi/v1/capital/deposit/hisrec": (1, 0),
    "/sapi/v1/capital/withdraw/history": (0, 18000),
    "/sapi/v1/account/apiRestrictions": (1, 0),
    "/sapi/v1/capital/config/getall": (10, 0),
    "/sapi/v1/account/status": (1, 0),
    "/sapi/v1/convert/tradeFlow": (0, 3000),
    "/sapi/v1/fiat/payments": (1, 0),
    "/sapi/v1/fiat/orders": (0, 90000),
    "/sapi/v1/asset/dribblet": (1, 0),
    "/sapi/v1/asset/assetDividend": (10, 0),
    "/sapi/v1/simple-earn/flexible/position": (150, 0),
    "/sapi/v1/simple-earn/locked/position": (150, 0),
    "/sapi/v1/simple-earn/flexible/history/rewardsRecord": (150, 0),
    "/sapi/v1/simple-earn/locked/history/rewardsRecord": (150, 0),
    "/sapi/v1/asset/get-funding-asset": (1, 0),
}


@dataclass
class WeightMeter:
    """Per-minute counters (by client IP, and by account for UID weights) and a running tally
    per endpoint (requests, IP weight, UID weight) a test or a report can read."""

    enforce: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _minute: dict[tuple[str, str, int], int] = field(default_factory=Counter)
    tally: dict[str, list[int]] = field(default_factory=dict)

    def charge(self, path: str, ip: str, uid: str | None, now_ms: int) -> tuple[list, int | None]:
        """Count one request; the headers to send and, when over a limit, the seconds to wait."""
        ip_w, uid_w = WEIGHTS.get(path, (1, 0))
        minute = now_ms // 60_000
        sapi = path.startswith("/sapi")
        family = "sapi" if sapi else "api"
        with self._lock:
            ip_key = (family, ip, minute)
            uid_key = ("uid", uid or "", minute)
            ip_used = self._minute[ip_key] + ip_w
            uid_used = self._minute[uid_key] + uid_w if uid else 0
            over = (ip_used > (SAPI_IP_LIMIT if sapi else API_IP_LIMIT)) or (
                uid_used > SAPI_UID_LIMIT
            )
            if over and self.enforce:
                return [], 60 - (now_ms // 1000) % 60
            self._minute[ip_key] = ip_used
            if uid:
                self._minute[uid_key] = uid_used
            row = self.tally.setdefault(path, [0, 0, 0])
            row[0] += 1
            row[1] += ip_w
            row[2] += uid_w
        if sapi:
            headers = [("X-SAPI-USED-IP-WEIGHT-1M", str(ip_used))]
            if uid:
                headers.append(("X-SAPI-USED-UID-WEIGHT-1M", str(uid_used)))
        else:
            headers = [("X-MBX-USED-WEIGHT-1M", str(ip_used))]
        return headers, None

    def reset(self) -> None:
        with self._lock:
            self._minute.clear()
            self.tally.clear()
