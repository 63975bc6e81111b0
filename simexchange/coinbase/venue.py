"""The Coinbase side of a dataset: products by id, the wallets of an account, the ids Coinbase
gives them (portfolio, account uuids) and USD values for the ``native_amount`` fields."""

from __future__ import annotations

from decimal import Decimal

from ..datasets.ids import sim_uuid
from ..datasets.model import SimAccount, SimMarket
from ..host import SimHost
from .errors import not_found_v2, not_found_v3

FIAT = {"USD", "EUR", "GBP"}
CURRENCY_NAMES = {
    "BTC": "Bitcoin",
    "ETH": "Ethereum",
    "SOL": "Solana",
    "USDC": "USDC",
    "USDT": "Tether",
    "ADA": "Cardano",
    "XRP": "XRP",
    "DOGE": "Dogecoin",
    "DOT": "Polkadot",
    "LINK": "Chainlink",
    "LTC": "Litecoin",
    "USD": "US Dollar",
    "EUR": "Euro",
    "GBP": "British Pound",
}


class CoinbaseVenue:
    def __init__(self, host: SimHost) -> None:
        self.host = host
        self.ds = host.dataset
        self.by_id: dict[str, SimMarket] = {
            m.coinbase_id: m for m in self.ds.coinbase_markets.values()
        }

    def last(self, m: SimMarket) -> Decimal:
        hist = self.ds.prices.get(m.symbol)
        p = hist.at(self.host.now_ms()) if hist is not None else None
        if p is None and hist is not None and len(hist):
            p = hist.prices[0]
        return p if p is not None else Decimal(0)

    def market(self, product_id: str) -> SimMarket:
        m = self.by_id.get(product_id.upper())
        if m is None:
            raise not_found_v3("product not found")
        return m

    def portfolio(self, acct: SimAccount) -> str:
        return sim_uuid("cb-portfolio", acct.uid)

    def account_id(self, acct: SimAccount, currency: str) -> str:
        return sim_uuid("cb-account", acct.uid, currency)

    def usd_value(self, asset: str, amount: Decimal, t: int) -> Decimal:
        if asset in FIAT:
            return amount
        for q in ("USD", "USDT", "USDC"):
            hist = self.ds.prices.get(f"{asset}/{q}")
            if hist is not None:
                p = hist.at(t)
                if p is not None:
                    return amount * p
        return Decimal(0)

    def balances(self, acct: SimAccount) -> list[tuple[str, Decimal, Decimal]]:
        with acct.lock:
            return sorted((c, f, h) for c, (f, h) in acct.balances.items())

    def currencies(self) -> tuple[list[str], list[str]]:
        cur: set[str] = set()
        for m in self.ds.coinbase_markets.values():
            cur.update((m.base, m.quote))
        for a in self.ds.accounts.values():
            if a.exchange == "coinbase":
                cur.update(a.balances)
        fiat = sorted(c for c in cur if c in FIAT)
        crypto = sorted(c for c in cur if c not in FIAT)
        return fiat, crypto

    def find_currency(self, acct: SimAccount, account_id: str) -> str:
        for c, _f, _h in self.balances(acct):
            if self.account_id(acct, c) == account_id:
                return c
        raise not_found_v2()
