"""The ``/_sim/`` admin endpoints (never counted, never faulted):

- ``GET /_sim/health`` -> ``{"status": "ok", "dataset": ..., "requests": N}``
- ``GET /_sim/prices`` -> ``{"ETH/USDT": "2150.00000000", ...}`` (current prices)
- ``POST /_sim/prices`` with ``{"symbol": "ETH/USDT", "price": "2200"}`` or
  ``{"ETH/USDT": "2200", ...}`` -> moves the ticker (appends a point to the price path)
- ``GET /_sim/faults``; ``POST /_sim/faults`` with ``{"kind": "429", "count": 3,
  "path_contains": "/api/v3/myTrades", "retry_after": 1, "delay": 2.5}`` (``"count": null``:
  until cleared); ``DELETE /_sim/faults`` (or ``POST /_sim/faults/clear``)
- ``GET /_sim/requests?path_contains=...`` -> ``{"count": N}``; ``POST /_sim/requests/reset``
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Protocol

from ._wire import Request, Response, json_response
from .datasets.model import SimDataset


class SimControls(Protocol):
    """The part of ``SimExchange`` the admin endpoints drive."""

    dataset: SimDataset
    url: str

    def now_ms(self) -> int: ...
    def prices(self) -> dict[str, Decimal]: ...
    def set_price(self, symbol: str, price: Decimal | str) -> None: ...
    def request_count(self, path_contains: str = "") -> int: ...
    def reset_counts(self) -> None: ...
    def faults(self) -> list[dict[str, object]]: ...
    def clear_faults(self) -> None: ...
    def inject_fault(
        self,
        kind: str,
        *,
        count: int | None = 1,
        path_contains: str = "",
        retry_after: int = 1,
        delay: float = 11.0,
    ) -> None: ...


def handle_admin(sim: SimControls, req: Request) -> Response:
    path = req.path.rstrip("/")
    body = json.loads(req.body or b"{}") if req.method in ("POST", "PUT") else {}
    if path == "/_sim/health":
        return json_response(
            {
                "status": "ok",
                "dataset": sim.dataset.name,
                "url": sim.url,
                "requests": sim.request_count(),
                "time": sim.now_ms(),
            }
        )
    if path == "/_sim/prices":
        if req.method == "POST":
            if "symbol" in body:
                sim.set_price(body["symbol"], str(body["price"]))
            else:
                for sym, p in (body.get("prices") or body).items():
                    sim.set_price(sym, str(p))
        return json_response({s: format(p, "f") for s, p in sorted(sim.prices().items())})
    if path == "/_sim/faults":
        if req.method == "POST":
            count = body.get("count", 1)
            sim.inject_fault(
                str(body["kind"]),
                count=None if count is None else int(count),
                path_contains=str(body.get("path_contains", "")),
                retry_after=int(body.get("retry_after", 1)),
                delay=float(body.get("delay", 11.0)),
            )
        elif req.method == "DELETE":
            sim.clear_faults()
        return json_response({"faults": sim.faults()})
    if path == "/_sim/faults/clear":
        sim.clear_faults()
        return json_response({"faults": []})
    if path == "/_sim/requests":
        sub = req.arg("path_contains", "") or ""
        return json_response({"count": sim.request_count(sub), "path_contains": sub})
    if path == "/_sim/requests/reset":
        sim.reset_counts()
        return json_response({"count": 0})
    return json_response({"error": "unknown admin path"}, 404)
