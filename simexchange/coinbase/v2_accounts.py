"""Coinbase App (v2) user and wallet accounts (Coinbase App API reference, "Users" and
"Accounts")."""

from __future__ import annotations

from decimal import Decimal

from .._wire import Request, Response, iso_seconds, json_response, plain
from ..datasets.ids import sim_uuid
from ..datasets.model import SimAccount
from .pagination import v2_page
from .venue import CURRENCY_NAMES, FIAT, CoinbaseVenue


class AccountV2Endpoints:
    def __init__(self, venue: CoinbaseVenue) -> None:
        self.venue = venue

    def user(self, req: Request) -> Response:
        acct = req.signed_account()
        return json_response(
            {
                "data": {
                    "id": sim_uuid("cb-user", acct.uid),
                    "name": "Sim User",
                    "username": None,
                    "native_currency": "USD",
                    "resource": "user",
                    "resource_path": "/v2/user",
                }
            }
        )

    def _v2_account(self, acct: SimAccount, cur: str, free: Decimal, hold: Decimal) -> dict:
        aid = self.venue.account_id(acct, cur)
        fiat = cur in FIAT
        created = iso_seconds(acct.created_ms)
        currency: dict[str, object]
        if fiat:
            currency = {
                "code": cur,
                "name": CURRENCY_NAMES.get(cur, cur),
                "color": "#0066cf",
                "sort_index": 0,
                "exponent": 2,
                "type": "fiat",
            }
        else:
            currency = {
                "asset_id": sim_uuid("asset", cur),
                "code": cur,
                "name": CURRENCY_NAMES.get(cur, cur),
                "color": "#000000",
                "exponent": 8,
                "slug": CURRENCY_NAMES.get(cur, cur).lower(),
                "type": "crypto",
                "rewards": None,
            }
        return {
            "id": aid,
            "name": f"{cur} Wallet",
            "primary": True,
            "type": "fiat" if fiat else "wallet",
            "balance": {"amount": plain(free + hold), "currency": cur},
            "created_at": created,
            "updated_at": created,
            "resource": "account",
            "resource_path": f"/v2/accounts/{aid}",
            "currency": currency,
            "allow_deposits": True,
            "allow_withdrawals": True,
        }

    def accounts_v2(self, req: Request) -> Response:
        acct = req.signed_account()
        items = [self._v2_account(acct, c, f, h) for c, f, h in self.venue.balances(acct)]
        return v2_page(req, items, "/v2/accounts")

    def account_v2(self, req: Request, account_id: str) -> Response:
        acct = req.signed_account()
        cur = self.venue.find_currency(acct, account_id)
        f, h = acct.balances[cur]
        return json_response({"data": self._v2_account(acct, cur, f, h)})
