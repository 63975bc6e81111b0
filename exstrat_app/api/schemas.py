"""Response models of `/api`: the one place where the services' typed views become JSON, so
the OpenAPI schema describes the real bodies.

Decimals are sent as plain decimal strings (`fmt`: no exponent, no trailing zeros), times as
ISO 8601 with their offset, keys in camelCase. Field order is the wire order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from exstrat_app.domain.money import fmt
from exstrat_app.services.portfolio.movements import MovementLine
from exstrat_app.services.portfolio.openings import OpeningView
from exstrat_app.services.portfolio.token import (
    HoldingLine,
    TokenView,
    TradeLine,
    TransferLine,
    UnvaluedGroup,
)
from exstrat_app.services.portfolio.views import PortfolioRow, PortfolioTotals, PortfolioView

# --- shared ------------------------------------------------------------------------------


class Body(BaseModel):
    """A JSON body: snake_case fields in Python, camelCase keys on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


def iso_text(value: datetime) -> str:
    return value.isoformat()


# --- portfolio (GET /api/portfolio, /api/portfolio/summary, /api/tokens/{asset}) ---------


class PortfolioRowOut(Body):
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

    @classmethod
    def of(cls, row: PortfolioRow) -> PortfolioRowOut:
        return cls(
            asset=row.asset,
            quantity=fmt(row.quantity),
            computed_quantity=fmt(row.computed_quantity),
            avg_price=decimal_text(row.avg_price),
            price=decimal_text(row.price),
            value=decimal_text(row.value),
            pnl=decimal_text(row.pnl),
            pnl_pct=decimal_text(row.pnl_pct),
            realized_pnl=fmt(row.realized_pnl),
            unexplained=fmt(row.unexplained),
            cost_unknown_qty=fmt(row.cost_unknown_qty),
            income=fmt(row.income),
        )


class PortfolioTotalsOut(Body):
    value: str
    pnl: str
    realized_pnl: str
    unpriced: list[str]  # assets shown without a price
    income: str

    @classmethod
    def of(cls, totals: PortfolioTotals) -> PortfolioTotalsOut:
        return cls(
            value=fmt(totals.value),
            pnl=fmt(totals.pnl),
            realized_pnl=fmt(totals.realized_pnl),
            unpriced=list(totals.unpriced),
            income=fmt(totals.income),
        )


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


class TradeOut(Body):
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

    @classmethod
    def of(cls, trade: TradeLine) -> TradeOut:
        return cls(
            id=trade.id,
            exchange=trade.exchange,
            account_id=trade.account_id,
            symbol=trade.symbol,
            side=trade.side,
            price=fmt(trade.price),
            amount=fmt(trade.amount),
            cost=fmt(trade.cost),
            fee_asset=trade.fee_asset,
            fee_cost=decimal_text(trade.fee_cost),
            ts=iso_text(trade.ts),
        )


class TransferOut(Body):
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

    @classmethod
    def of(cls, transfer: TransferLine) -> TransferOut:
        return cls(
            id=transfer.id,
            exchange=transfer.exchange,
            account_id=transfer.account_id,
            type=transfer.type,
            asset=transfer.asset,
            amount=fmt(transfer.amount),
            fee_cost=decimal_text(transfer.fee_cost),
            fee_asset=transfer.fee_asset,
            status=transfer.status,
            txid=transfer.txid,
            ts=iso_text(transfer.ts),
        )


class TokenPnlOut(Body):
    realized: str
    unrealized: str | None
    income: str


class MovementOut(Body):
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

    @classmethod
    def of(cls, m: MovementLine) -> MovementOut:
        return cls(
            id=m.id,
            kind=m.kind,
            exchange=m.exchange,
            account_id=m.account_id,
            asset=m.asset,
            amount=fmt(m.amount),
            symbol=m.symbol,
            side=m.side,
            price=decimal_text(m.price),
            cost=decimal_text(m.cost),
            fee_asset=m.fee_asset,
            fee_cost=decimal_text(m.fee_cost),
            source=m.source,
            ts=iso_text(m.ts),
        )


class HoldingOut(Body):
    """Where some of the coins sit: one wallet (spot, funding, earn_flexible, earn_locked)
    of one account."""

    account_id: str
    exchange: str
    nickname: str | None
    wallet: str
    quantity: str

    @classmethod
    def of(cls, h: HoldingLine) -> HoldingOut:
        return cls(
            account_id=h.account_id,
            exchange=h.exchange,
            nickname=h.nickname,
            wallet=h.wallet,
            quantity=fmt(h.quantity),
        )


class UnvaluedOut(Body):
    """Items the last rebuild could not price (cost 0), grouped by role and asset."""

    role: str
    item_asset: str
    count: int
    amount: str
    text: str  # "1 fee could not be valued: 0.01 OLDX"

    @classmethod
    def of(cls, u: UnvaluedGroup) -> UnvaluedOut:
        return cls(
            role=u.role, item_asset=u.item_asset, count=u.count, amount=fmt(u.amount), text=u.text
        )


class OpeningOut(Body):
    id: str
    asset: str
    quantity: str
    total_cost: str
    quote: str
    at: str
    note: str | None
    created_at: str

    @classmethod
    def of(cls, o: OpeningView) -> OpeningOut:
        return cls(
            id=o.id,
            asset=o.asset,
            quantity=fmt(o.quantity),
            total_cost=fmt(o.total_cost),
            quote=o.quote,
            at=iso_text(o.at),
            note=o.note,
            created_at=iso_text(o.created_at),
        )


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
