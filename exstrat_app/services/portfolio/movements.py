"""Everything that changed one asset's quantity, as one list with its kind (the token page):
trades by how they happened (`trade`, `convert`, `card`, `dust`, `simple`), transfers by type
(`deposit`, `withdrawal`, `income`, `unclassified`) and the user's `opening` positions.

`amount` is the signed change of the asset's quantity (+ in, - out), fees in the asset
included: a sell of 1 ETH is -1, a buy of ETH paid with 2,000 USDT is -2000 on the USDT page.
Newest first, paginated over the three sources merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlmodel import Session

from exstrat_app.models import ExchangeAccount, OpeningPosition, Trade, Transfer

ZERO = Decimal(0)
KINDS = (
    "trade", "convert", "card", "dust", "simple", "income", "deposit", "withdrawal", "opening",
    "unclassified",
)  # fmt: skip


@dataclass(frozen=True)
class MovementLine:
    id: str
    kind: str
    exchange: str | None  # None: an opening position (entered by the person)
    account_id: str | None
    asset: str
    amount: Decimal  # signed change of the asset's quantity
    symbol: str | None  # trades: the pair
    side: str | None  # trades: buy | sell
    price: Decimal | None
    cost: Decimal | None  # trades: in the pair's quote; openings: the total cost
    fee_asset: str | None
    fee_cost: Decimal | None
    source: str | None  # transfers: where it came from (fiat, dividend, staking_reward...)
    ts: datetime


def movements(
    session: Session,
    *,
    user_id: str,
    accounts: list[str],
    asset: str,
    page: int,
    page_size: int,
) -> tuple[tuple[MovementLine, ...], int]:
    """One page of the asset's movements, newest first, and how many there are in all."""
    head = page * page_size  # each source's newest `head` rows hold the page
    lines: list[MovementLine] = []
    total = 0
    if accounts:
        t_where = (
            Trade.exchange_account_id.in_(accounts),  # type: ignore[attr-defined]
            or_(Trade.base == asset, Trade.quote == asset, Trade.fee_asset == asset),  # type: ignore[arg-type]
        )
        total += session.execute(
            select(func.count()).select_from(Trade).where(*t_where)
        ).scalar_one()
        for trade, exchange in session.execute(
            select(Trade, ExchangeAccount.exchange)
            .join(ExchangeAccount, ExchangeAccount.id == Trade.exchange_account_id)  # type: ignore[arg-type]
            .where(*t_where)
            .order_by(Trade.ts.desc(), Trade.id.desc())  # type: ignore[attr-defined]
            .limit(head)
        ).all():
            lines.append(_trade(trade, exchange, asset))
        x_where = (
            Transfer.exchange_account_id.in_(accounts),  # type: ignore[attr-defined]
            Transfer.asset == asset,  # type: ignore[arg-type]
        )
        total += session.execute(
            select(func.count()).select_from(Transfer).where(*x_where)
        ).scalar_one()
        for transfer, exchange in session.execute(
            select(Transfer, ExchangeAccount.exchange)
            .join(ExchangeAccount, ExchangeAccount.id == Transfer.exchange_account_id)  # type: ignore[arg-type]
            .where(*x_where)
            .order_by(Transfer.ts.desc(), Transfer.id.desc())  # type: ignore[attr-defined]
            .limit(head)
        ).all():
            lines.append(_transfer(transfer, exchange))
    o_where = (
        OpeningPosition.user_id == user_id,  # type: ignore[arg-type]
        OpeningPosition.asset == asset,  # type: ignore[arg-type]
    )
    total += session.execute(
        select(func.count()).select_from(OpeningPosition).where(*o_where)
    ).scalar_one()
    for opening in session.execute(
        select(OpeningPosition)
        .where(*o_where)
        .order_by(OpeningPosition.at.desc(), OpeningPosition.id.desc())  # type: ignore[attr-defined]
        .limit(head)
    ).scalars():
        lines.append(_opening(opening))
    lines.sort(key=lambda m: (m.ts, m.id), reverse=True)
    return tuple(lines[(page - 1) * page_size : head]), total


def _trade(trade: Trade, exchange: str, asset: str) -> MovementLine:
    buy = trade.side == "buy"
    amount = ZERO
    if trade.base == asset:
        amount += trade.amount if buy else -trade.amount
    elif trade.quote == asset:
        amount += -trade.cost if buy else trade.cost
    if trade.fee_asset == asset and trade.fee_cost:
        amount -= trade.fee_cost
    return MovementLine(
        id=trade.id,
        kind=trade.kind or "trade",
        exchange=exchange,
        account_id=trade.exchange_account_id,
        asset=asset,
        amount=amount,
        symbol=trade.symbol,
        side=trade.side,
        price=trade.price,
        cost=trade.cost,
        fee_asset=trade.fee_asset,
        fee_cost=trade.fee_cost,
        source=None,
        ts=trade.ts,
    )


def _transfer(transfer: Transfer, exchange: str) -> MovementLine:
    amount = transfer.amount
    if transfer.type == "withdrawal":
        amount = -amount
        if transfer.fee_cost and transfer.fee_asset in (None, transfer.asset):
            amount -= transfer.fee_cost
    return MovementLine(
        id=transfer.id,
        kind=transfer.type,
        exchange=exchange,
        account_id=transfer.exchange_account_id,
        asset=transfer.asset,
        amount=amount,
        symbol=None,
        side=None,
        price=None,
        cost=None,
        fee_asset=transfer.fee_asset,
        fee_cost=transfer.fee_cost,
        source=transfer.source,
        ts=transfer.ts,
    )


def _opening(opening: OpeningPosition) -> MovementLine:
    return MovementLine(
        id=opening.id,
        kind="opening",
        exchange=None,
        account_id=None,
        asset=opening.asset,
        amount=opening.quantity,
        symbol=None,
        side=None,
        price=None,
        cost=opening.total_cost,
        fee_asset=None,
        fee_cost=None,
        source=opening.note,
        ts=opening.at,
    )
