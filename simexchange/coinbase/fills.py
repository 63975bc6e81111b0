"""``GET /api/v3/brokerage/orders/historical/fills``: an account's fills, newest first, paged by
the ``cursor`` (the fill's sequence) and filtered by product, order and sequence timestamps
(Coinbase Advanced Trade API reference, "List Fills"; shape as ccxt's
``ts/src/test/static/response/coinbase.json`` records it)."""

from __future__ import annotations

import bisect
import hashlib
import json
import threading

from .._wire import Request, Response, iso_micro, parse_iso, plain
from ..datasets.ids import sim_uuid
from ..datasets.model import SimAccount, SimTrade
from ..datasets.times import iso_ms
from ..host import SimHost
from .errors import int_arg, invalid
from .venue import CoinbaseVenue


class _FillIndex:
    """Fills of one account (optionally one product), newest first, JSON precomputed."""

    __slots__ = ("frags", "neg_seq", "times_desc")

    def __init__(self, fills: list[tuple[int, int, bytes]]) -> None:
        fills = sorted(fills, key=lambda f: -f[0])
        self.neg_seq = [-f[0] for f in fills]  # ascending
        self.times_desc = [f[1] for f in fills]
        self.frags = [f[2] for f in fills]


class FillEndpoints:
    def __init__(self, host: SimHost, venue: CoinbaseVenue) -> None:
        self.host = host
        self.venue = venue
        self.ds = host.dataset
        self._lock = threading.Lock()
        # id(account.trades) -> (account version, fill index per product id, None: all)
        self._cache: dict[int, tuple[int, dict[str | None, _FillIndex]]] = {}

    def _fill_frag(self, acct: SimAccount, t: SimTrade) -> bytes:
        m = self.ds.coinbase_markets.get(t.symbol)
        pid = m.coinbase_id if m else t.symbol.replace("/", "-")
        d = {
            "entry_id": hashlib.sha256(f"{acct.uid}:{t.id}".encode()).hexdigest(),
            "trade_id": sim_uuid("cb-fill", acct.uid, t.id),
            "order_id": sim_uuid("cb-order", acct.uid, t.order_id),
            "trade_time": iso_ms(t.time),
            "trade_type": "FILL",
            "price": plain(t.price),
            "size": plain(t.qty),
            "commission": plain(t.fee),
            "product_id": pid,
            "sequence_timestamp": iso_micro(t.time),
            "liquidity_indicator": "MAKER" if t.is_maker else "TAKER",
            "size_in_quote": False,
            "user_id": sim_uuid("cb-user", acct.uid),
            "side": "BUY" if t.side == "buy" else "SELL",
            "retail_portfolio_id": self.venue.portfolio(acct),
            "cursor": str(t.id),
        }
        return json.dumps(d, separators=(",", ":")).encode()

    def _fills_index(self, acct: SimAccount, product: str | None) -> _FillIndex:
        with self._lock:
            key = id(acct.trades)
            cached = self._cache.get(key)
            if cached is None or cached[0] != acct.version:
                with acct.lock:
                    version = acct.version
                    trades = list(acct.trades)
                rows = [(t.id, t.time, self._fill_frag(acct, t), t.symbol) for t in trades]
                per: dict[str | None, _FillIndex] = {None: _FillIndex([r[:3] for r in rows])}
                by_pid: dict[str, list] = {}
                for r in rows:
                    by_pid.setdefault(r[3].replace("/", "-"), []).append(r[:3])
                for pid, lst in by_pid.items():
                    per[pid] = _FillIndex(lst)
                cached = self._cache[key] = (version, per)
            return cached[1].get(product) or _FillIndex([])

    def warm(self) -> None:
        for acct in list(self.ds.accounts.values()):
            if acct.exchange == "coinbase":
                self._fills_index(acct, None)

    def fills(self, req: Request) -> Response:
        acct = req.signed_account()
        pids = req.args("product_ids") or req.args("product_id")
        limit = max(1, min(int_arg(req, "limit", 100), 1000))
        start = req.arg("start_sequence_timestamp")
        end = req.arg("end_sequence_timestamp")
        order_id = req.arg("order_id")
        try:
            start_ms = parse_iso(start) if start else None
            end_ms = parse_iso(end) if end else None
        except ValueError:
            raise invalid("invalid sequence timestamp") from None
        cursor = req.arg("cursor")
        if len(pids) > 1 or order_id:
            # rare: merge/filter without the index fast path
            wanted = {p.upper() for p in pids}
            frags = []
            idx = self._fills_index(acct, None)
            for k, frag in enumerate(idx.frags):
                d = json.loads(frag)
                if wanted and d["product_id"] not in wanted:
                    continue
                if order_id and d["order_id"] != order_id:
                    continue
                if start_ms is not None and idx.times_desc[k] < start_ms:
                    continue
                if end_ms is not None and idx.times_desc[k] >= end_ms:
                    continue
                if cursor and -idx.neg_seq[k] >= int(cursor):
                    continue
                frags.append((-idx.neg_seq[k], frag))
            page = frags[:limit]
            nxt = str(page[-1][0]) if len(frags) > limit else ""
            body = b'{"fills":[' + b",".join(f for _, f in page) + b'],"cursor":"' + nxt.encode()
            return Response(200, body + b'"}')
        idx = self._fills_index(acct, pids[0].upper() if pids else None)
        n = len(idx.frags)
        lo = 0
        if cursor:
            try:
                lo = bisect.bisect_right(idx.neg_seq, -int(cursor))
            except ValueError:
                raise invalid("invalid cursor") from None
        if end_ms is not None:
            # times_desc is descending: skip the fills at or after end
            k = _first_desc_below(idx.times_desc, end_ms)
            lo = max(lo, k)
        hi = n
        if start_ms is not None:
            hi = _first_desc_below(idx.times_desc, start_ms)
        j = min(hi, lo + limit)
        nxt = ""
        if j < hi and j > lo:
            nxt = str(-idx.neg_seq[j - 1])
        body = b'{"fills":[' + b",".join(idx.frags[lo:j]) + b'],"cursor":"' + nxt.encode() + b'"}'
        return Response(200, body)


def _first_desc_below(desc: list[int], bound: int) -> int:
    """Index of the first element < bound in a descending list (len if none)."""
    lo, hi = 0, len(desc)
    while lo < hi:
        mid = (lo + hi) // 2
        if desc[mid] >= bound:
            lo = mid + 1
        else:
            hi = mid
    return lo
