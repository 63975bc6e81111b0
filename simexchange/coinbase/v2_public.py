"""Coinbase App (v2) public data: time, currencies (fiat and crypto), exchange rates and spot /
buy / sell prices (Coinbase App API reference, "Currencies", "Exchange rates", "Prices")."""

from __future__ import annotations

from decimal import Decimal

from .._wire import Request, Response, iso_seconds, json_response, plain
from ..datasets.ids import sim_uuid
from ..host import SimHost
from .venue import CURRENCY_NAMES, CoinbaseVenue


class PublicV2Endpoints:
    def __init__(self, host: SimHost, venue: CoinbaseVenue) -> None:
        self.host = host
        self.venue = venue

    def time_v2(self, req: Request) -> Response:
        now = self.host.now_ms()
        return json_response({"data": {"iso": iso_seconds(now), "epoch": now // 1000}})

    def currencies_fiat(self, req: Request) -> Response:
        fiat, _ = self.venue.currencies()
        return json_response(
            {
                "data": [
                    {"id": c, "name": CURRENCY_NAMES.get(c, c), "min_size": "0.01"} for c in fiat
                ]
            }
        )

    def currencies_crypto(self, req: Request) -> Response:
        _, crypto = self.venue.currencies()
        return json_response(
            {
                "data": [
                    {
                        "asset_id": sim_uuid("asset", c),
                        "code": c,
                        "name": CURRENCY_NAMES.get(c, c),
                        "color": "#000000",
                        "sort_index": 100 + k,
                        "exponent": 8,
                        "type": "crypto",
                        "address_regex": "",
                    }
                    for k, c in enumerate(crypto)
                ]
            }
        )

    def exchange_rates(self, req: Request) -> Response:
        base = (req.arg("currency") or "USD").upper()
        now = self.host.now_ms()
        fiat, crypto = self.venue.currencies()
        rates = {}
        for c in fiat + crypto:
            if c == base:
                rates[c] = "1"
                continue
            usd = self.venue.usd_value(c, Decimal(1), now)
            base_usd = self.venue.usd_value(base, Decimal(1), now)
            if usd and base_usd:
                rates[c] = format((base_usd / usd).quantize(Decimal("1e-12")).normalize(), "f")
        return json_response({"data": {"currency": base, "rates": rates}})

    def v2_price(self, req: Request, pair: str, kind: str) -> Response:
        m = self.venue.market(pair)
        last = self.venue.last(m)
        if kind == "buy":
            last += m.tick
        return json_response({"data": {"amount": plain(last), "base": m.base, "currency": m.quote}})
