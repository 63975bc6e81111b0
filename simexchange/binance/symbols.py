"""The Binance markets of a dataset by exchange id (``ETHUSDT``) and the ``symbol``/``symbols``
query parameters every market-data endpoint takes."""

from __future__ import annotations

import json
from decimal import Decimal

from .._wire import Request
from ..datasets.model import SimDataset, SimMarket
from .errors import BinanceError, mandatory


class BinanceMarkets:
    def __init__(self, dataset: SimDataset) -> None:
        self.ds = dataset
        self.by_id: dict[str, SimMarket] = {
            m.binance_id: m for m in dataset.binance_markets.values()
        }

    def all(self) -> list[SimMarket]:
        return list(self.ds.binance_markets.values())

    def required(self, req: Request) -> SimMarket:
        """The market named by ``symbol=`` (-1102 when absent, -1121 when unknown)."""
        m = self.optional(req)
        if m is None:
            raise mandatory("symbol")
        return m

    def optional(self, req: Request) -> SimMarket | None:
        """The market named by ``symbol=``, None without one (-1121 when unknown)."""
        sym = req.arg("symbol")
        if not sym:
            return None
        m = self.by_id.get(sym.upper())
        if m is None:
            raise BinanceError(400, -1121, "Invalid symbol.")
        return m

    def symbols_param(self, req: Request) -> list[SimMarket] | None:
        """``symbol=X`` -> [X]; ``symbols=["X","Y"]`` -> [X, Y]; neither -> None (all)."""
        one = self.optional(req)
        if one is not None:
            return [one]
        raw = req.arg("symbols")
        if raw is None:
            return None
        try:
            ids = json.loads(raw)
        except ValueError:
            ids = None
        if not isinstance(ids, list):
            raise BinanceError(400, -1100, "Illegal characters found in parameter 'symbols'.")
        out = []
        for i in ids:
            m = self.by_id.get(str(i).upper())
            if m is None:
                raise BinanceError(400, -1121, "Invalid symbol.")
            out.append(m)
        return out

    def last(self, m: SimMarket, now_ms: int) -> Decimal:
        """The market's price now (its first point before the path starts; 0 without one)."""
        hist = self.ds.prices.get(m.symbol)
        p = hist.at(now_ms) if hist is not None else None
        if p is None and hist is not None and len(hist):
            p = hist.prices[0]
        return p if p is not None else Decimal(0)
