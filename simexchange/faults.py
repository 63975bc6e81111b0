"""What the sim answers instead of an endpoint: injected faults and rate limiting.

Bodies are the exchanges' own: Binance's 429/418 ``{"code": -1003, ...}`` with ``Retry-After``
(Binance Spot API docs, "LIMITS"), Coinbase's ``rate_limit_exceeded`` 429 (Coinbase API
reference, "Rate limits"), and a gateway's HTML page for 5xx, as a load balancer sends it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ._wire import Request, Response, is_coinbase, json_response, text_response
from .coinbase import b64url

FAULT_KINDS = ("429", "418", "500", "502", "503", "504", "timeout", "reset")


@dataclass
class Fault:
    kind: str
    #: requests still to answer with this fault; None: every one until the faults are cleared
    remaining: int | None
    path_contains: str = ""
    retry_after: int = 1
    delay: float = 11.0

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "remaining": self.remaining,
            "path_contains": self.path_contains,
            "retry_after": self.retry_after,
            "delay": self.delay,
        }


def take_fault(faults: list[Fault], target: str) -> tuple[Fault | None, list[Fault]]:
    """The first active fault matching ``target`` (one of its requests used up), and the
    faults still active afterwards. The caller holds the lock guarding ``faults``."""
    hit = None
    for f in faults:
        if f.active and f.path_contains in target:
            if f.remaining is not None:
                f.remaining -= 1
            hit = f
            break
    return hit, [f for f in faults if f.active]


def fault_response(
    f: Fault, req: Request, now_ms: int, wait: Callable[[float], object]
) -> Response | None:
    """The answer to ``req`` under fault ``f``; None: drop the connection (``"reset"``).
    ``wait(seconds)`` holds a ``"timeout"`` request (returns early when the server stops)."""
    if f.kind == "429":
        if is_coinbase(req.path):
            r = json_response(
                {"errors": [{"id": "rate_limit_exceeded", "message": "Too many requests"}]}, 429
            )
        else:
            r = json_response(
                {
                    "code": -1003,
                    "msg": f"Too many requests; current limit of IP({req.client}) request "
                    "weight is 6000 per 1 MINUTE. Please use WebSocket Streams for live "
                    "updates to avoid polling the API.",
                },
                429,
            )
        r.headers.append(("Retry-After", str(f.retry_after)))
        return r
    if f.kind == "418":
        until = now_ms + f.retry_after * 1000
        r = json_response(
            {
                "code": -1003,
                "msg": f"Way too much request weight used; IP banned until {until}. Please use "
                "WebSocket Streams for live updates to avoid bans.",
            },
            418,
        )
        r.headers.append(("Retry-After", str(f.retry_after)))
        return r
    if f.kind == "reset":
        return None
    if f.kind == "timeout":
        wait(f.delay)
        return gateway(504)
    return gateway(int(f.kind))


def gateway(status: int) -> Response:
    titles = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    title = titles.get(status, "Error")
    html = (
        f"<html><head><title>{status} {title}</title></head>"
        f"<body><h1>{status} {title}</h1></body></html>"
    )
    return text_response(status, html, "text/html")


class RateLimiter:
    """Requests per sliding minute per API key (Binance ``X-MBX-APIKEY``, Coinbase JWT ``sub``)
    or per client IP for public calls."""

    def __init__(self) -> None:
        self._windows: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, req: Request, per_minute: int) -> int | None:
        """None when ``req`` is within ``per_minute`` (and counted), else the seconds to wait."""
        key = _rate_key(req)
        now = time.monotonic()
        with self._lock:
            win = self._windows.setdefault(key, deque())
            while win and win[0] <= now - 60:
                win.popleft()
            if len(win) >= per_minute:
                return max(1, math.ceil(win[0] + 60 - now))
            win.append(now)
            return None


def _rate_key(req: Request) -> str:
    key = req.headers.get("X-MBX-APIKEY")
    if key:
        return "key:" + key
    authz = req.headers.get("Authorization") or ""
    if authz.startswith("Bearer "):
        try:
            claims = json.loads(b64url(authz[7:].split(".")[1]))
            return "key:" + str(claims.get("sub"))
        except (ValueError, IndexError):
            return "ip:" + req.client
    return "ip:" + req.client
