"""Response models of `/api`: the one place where the services' typed views become JSON, so
the OpenAPI schema describes the real bodies.

Decimals are sent as plain decimal strings (`fmt`: no exponent, no trailing zeros), times as
ISO 8601 with their offset, keys in camelCase. Field order is the wire order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from exstrat_app.domain.money import fmt
from exstrat_app.services.portfolio.token import TokenView
from exstrat_app.services.portfolio.views import PortfolioView

# --- shared ------------------------------------------------------------------------------


class Body(BaseModel):
    """A JSON body: snake_case fields in Python, camelCase keys on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


def iso_text(value: datetime) -> str:
    return value.isoformat()


def wire_value(value: object) -> object:
    """A view's value as the body sends it: Decimal -> `fmt` string, datetime -> ISO 8601,
    a tuple or list item by item; None, str, int and bool as they are."""
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [wire_value(item) for item in value]
    return value


class ViewBody(Body):
    """A body that is a service view field for field: each field is the view's attribute of
    the same name made wire-ready by `wire_value`, or the value `given` for it (a renamed
    or nested field)."""

    @classmethod
    def of(cls, view: object, **given: object) -> Self:
        return cls.model_validate(
            {
                name: given[name] if name in given else wire_value(getattr(view, name))
                for name in cls.model_fields
            }
        )


# --- portfolio (GET /api/portfolio, /api/portfolio/summary, /api/tokens/{asset}) ---------


class PortfolioRowOut(ViewBody):
    asset: str
    quantity: str
    computed_quantity: str
    avg_price: str | None
    price: str | None
    value: str | None
    pnl: str | None
    pnl_pct: str | None
    realized_pnl: str
    unexplained: str
    cost_unknown_qty: str
    income: str  # income received (staking, Earn, distributions) at its value at receipt


class PortfolioTotalsOut(ViewBody):
    value: str
    pnl: str
    realized_pnl: str
    unpriced: list[str]  # assets shown without a price
    income: str


class PortfolioSummaryOut(Body):
    quote: str
    rows: list[PortfolioRowOut]
    totals: PortfolioTotalsOut

    @classmethod
    def of(cls, view: PortfolioView) -> PortfolioSummaryOut:
        return cls(
            quote=view.quote,
            rows=[PortfolioRowOut.of(r) for r in view.rows],
            totals=PortfolioTotalsOut.of(view.totals),
        )


class TradeOut(ViewBody):
    id: str
    exchange: str
    account_id: str
    symbol: str
    side: str
    price: str
    amount: str
    cost: str
    fee_asset: str | None
    fee_cost: str | None
    ts: str


class TransferOut(ViewBody):
    id: str
    exchange: str
    account_id: str
    type: str
    asset: str
    amount: str
    fee_cost: str | None
    fee_asset: str | None
    status: str
    txid: str | None
    ts: str


class TokenPnlOut(Body):
    realized: str
    unrealized: str | None
    income: str


class MovementOut(ViewBody):
    """One change of the asset's quantity with its kind (trade, convert, card, dust, simple,
    income, deposit, withdrawal, opening, unclassified); `amount` is signed (+ in, - out)."""

    id: str
    kind: str
    exchange: str | None
    account_id: str | None
    asset: str
    amount: str
    symbol: str | None
    side: str | None
    price: str | None
    cost: str | None
    fee_asset: str | None
    fee_cost: str | None
    source: str | None
    ts: str


class HoldingOut(ViewBody):
    """Where some of the coins sit: one wallet (spot, funding, earn_flexible, earn_locked)
    of one account."""

    account_id: str
    exchange: str
    nickname: str | None
    wallet: str
    quantity: str


class UnvaluedOut(ViewBody):
    """Items the last rebuild could not price (cost 0), grouped by role and asset."""

    role: str
    item_asset: str
    count: int
    amount: str
    text: str  # "1 fee could not be valued: 0.01 OLDX"


class OpeningOut(ViewBody):
    id: str
    asset: str
    quantity: str
    total_cost: str
    quote: str
    at: str
    note: str | None
    created_at: str


class TokenOut(Body):
    asset: str
    quote: str
    position: PortfolioRowOut | None
    trades: list[TradeOut]
    transfers: list[TransferOut]
    page: int
    page_size: int
    trades_total: int
    transfers_total: int
    pnl: TokenPnlOut
    movements: list[MovementOut]
    movements_total: int
    holdings: list[HoldingOut]
    unvalued: list[UnvaluedOut]

    @classmethod
    def of(cls, view: TokenView) -> TokenOut:
        return cls(
            asset=view.asset,
            quote=view.quote,
            position=PortfolioRowOut.of(view.position) if view.position is not None else None,
            trades=[TradeOut.of(t) for t in view.trades],
            transfers=[TransferOut.of(t) for t in view.transfers],
            page=view.page,
            page_size=view.page_size,
            trades_total=view.trades_total,
            transfers_total=view.transfers_total,
            pnl=TokenPnlOut(
                realized=fmt(view.realized_pnl),
                unrealized=decimal_text(view.unrealized_pnl),
                income=fmt(view.income),
            ),
            movements=[MovementOut.of(m) for m in view.movements],
            movements_total=view.movements_total,
            holdings=[HoldingOut.of(h) for h in view.holdings],
            unvalued=[UnvaluedOut.of(u) for u in view.unvalued],
        )
