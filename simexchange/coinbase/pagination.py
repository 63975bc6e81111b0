"""Coinbase App (v2) pagination: ``limit`` (<= 100), ``order`` and the ``starting_after`` /
``ending_before`` ids, with the ``pagination`` object v2 list answers carry (Coinbase App API
reference, "Pagination")."""

from __future__ import annotations

from .._wire import Request, Response, json_response
from .errors import int_arg, not_found_v2


def v2_page(req: Request, items: list[dict], base_path: str) -> Response:
    limit = max(1, min(int_arg(req, "limit", 25), 100))
    order = req.arg("order") or "desc"
    if order == "asc":
        items = list(reversed(items))
    ids = [i["id"] for i in items]
    start = 0
    sa = req.arg("starting_after")
    eb = req.arg("ending_before")
    if sa:
        if sa not in ids:
            raise not_found_v2()
        start = ids.index(sa) + 1
    end = len(items)
    if eb:
        if eb not in ids:
            raise not_found_v2()
        end = ids.index(eb)
        start = max(start, end - limit) if not sa else start
    page = items[start : min(end, start + limit)]
    more = start + limit < end
    nxt = page[-1]["id"] if (more and page) else None
    return json_response(
        {
            "pagination": {
                "ending_before": eb,
                "starting_after": sa,
                "previous_ending_before": page[0]["id"] if page and start > 0 else None,
                "next_starting_after": nxt,
                "limit": limit,
                "order": order,
                "previous_uri": None,
                "next_uri": (
                    f"{base_path}?limit={limit}&order={order}&starting_after={nxt}" if nxt else None
                ),
            },
            "data": page,
        }
    )
