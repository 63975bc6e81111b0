"""Coinbase Advanced Trade private endpoints besides fills: fee tier (transaction_summary), the
key's permissions, portfolios and the v3 accounts with their cursor (Coinbase Advanced Trade API
reference, "Fees", "Data API: Get API Key Permissions", "Portfolios", "Accounts")."""

from __future__ import annotations

from decimal import Decimal

from .._wire import Request, Response, json_response, plain
from ..datasets.model import SimAccount
from ..datasets.times import iso_ms
from ..host import SimHost
from .errors import int_arg, invalid, not_found_v3
from .venue import FIAT, CoinbaseVenue


class BrokerageEndpoints:
    def __init__(self, host: SimHost, venue: CoinbaseVenue) -> None:
        self.host = host
        self.venue = venue

    def transaction_summary(self, req: Request) -> Response:
        return json_response(
            {
                "total_volume": 0,
                "total_fees": 0,
                "fee_tier": {
                    "pricing_tier": "Advanced 1",
                    "usd_from": "0",
                    "usd_to": "1000",
                    "taker_fee_rate": "0.006",
                    "maker_fee_rate": "0.004",
                    "aop_from": "",
                    "aop_to": "",
                },
                "margin_rate": None,
                "goods_and_services_tax": None,
                "advanced_trade_only_volume": 0,
                "advanced_trade_only_fees": 0,
                "coinbase_pro_volume": 0,
                "coinbase_pro_fees": 0,
                "total_balance": "",
                "has_promo_fee": False,
            }
        )

    def key_permissions(self, req: Request) -> Response:
        acct = req.signed_account()
        p = acct.permissions
        return json_response(
            {
                "can_view": bool(p.get("can_view", True)),
                "can_trade": bool(p.get("can_trade", False)),
                "can_transfer": bool(p.get("can_transfer", False)),
                "portfolio_uuid": self.venue.portfolio(acct),
                "portfolio_type": "DEFAULT",
            }
        )

    def portfolios(self, req: Request) -> Response:
        acct = req.signed_account()
        return json_response(
            {
                "portfolios": [
                    {
                        "name": "Default",
                        "uuid": self.venue.portfolio(acct),
                        "type": "DEFAULT",
                        "deleted": False,
                    }
                ]
            }
        )

    def _v3_account(self, acct: SimAccount, cur: str, free: Decimal, hold: Decimal) -> dict:
        fiat = cur in FIAT
        created = iso_ms(acct.created_ms)
        return {
            "uuid": self.venue.account_id(acct, cur),
            "name": f"Cash ({cur})" if fiat else f"{cur} Wallet",
            "currency": cur,
            "available_balance": {"value": plain(free), "currency": cur},
            "default": fiat,
            "active": True,
            "created_at": created,
            "updated_at": created,
            "deleted_at": None,
            "type": "ACCOUNT_TYPE_FIAT" if fiat else "ACCOUNT_TYPE_CRYPTO",
            "ready": True,
            "hold": {"value": plain(hold), "currency": cur},
            "retail_portfolio_id": self.venue.portfolio(acct),
            "platform": "ACCOUNT_PLATFORM_CONSUMER",
        }

    def accounts_v3(self, req: Request) -> Response:
        acct = req.signed_account()
        limit = int_arg(req, "limit", 49)
        limit = max(1, min(limit, 250, self.host.coinbase_accounts_page_size))
        cursor = req.arg("cursor") or "0"
        try:
            offset = int(cursor)
        except ValueError:
            raise invalid("invalid cursor") from None
        rows = self.venue.balances(acct)
        page = rows[offset : offset + limit]
        has_next = offset + limit < len(rows)
        return json_response(
            {
                "accounts": [self._v3_account(acct, c, f, h) for c, f, h in page],
                "has_next": has_next,
                "cursor": str(offset + limit) if has_next else "",
                "size": len(page),
            }
        )

    def account_v3(self, req: Request, uuid_: str) -> Response:
        acct = req.signed_account()
        for c, f, h in self.venue.balances(acct):
            if self.venue.account_id(acct, c) == uuid_:
                return json_response({"account": self._v3_account(acct, c, f, h)})
        raise not_found_v3("account not found")
