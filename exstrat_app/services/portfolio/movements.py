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

from sqlalchemy import func, literal, or_, select, union_all
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
    """One page of the asset's movements, newest first, and how many there are in all.

    The page's keys (time, id, source) come from one UNION ALL ordered and cut in SQL, then
    only those rows are read: the cost stays that of one page at any depth (merging each
    source's newest page*size rows in Python took 0.9 s on page 2,000 of 20,000 trades)."""
    sources = []
    if accounts:
        sources.append(
            select(Trade.ts.label("ts"), Trade.id.label("id"), literal("t").label("src")).where(  # type: ignore[attr-defined]
                Trade.exchange_account_id.in_(accounts),  # type: ignore[attr-defined]
                or_(Trade.base == asset, Trade.quote == asset, Trade.fee_asset == asset),  # type: ignore[arg-type]
            )
        )
        sources.append(
            select(
                Transfer.ts.label("ts"), Transfer.id.label("id"), literal("x").label("src")
            ).where(  # type: ignore[attr-defined]
                Transfer.exchange_account_id.in_(accounts),  # type: ignore[attr-defined]
                Transfer.asset == asset,
            )
        )
    sources.append(
        # Each select labels its columns: the union takes its names from the first one,
        # and a user without accounts has only this one.
        select(
            OpeningPosition.at.label("ts"),
            OpeningPosition.id.label("id"),
            literal("o").label("src"),
        ).where(  # type: ignore[attr-defined]
            OpeningPosition.user_id == user_id, OpeningPosition.asset == asset
        )
    )
    keys = union_all(*sources).subquery()
    total = session.execute(select(func.count()).select_from(keys)).scalar_one()
    picked = session.execute(
        select(keys.c.id, keys.c.src)
        .order_by(keys.c.ts.desc(), keys.c.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    wanted = {src: [i for i, s in picked if s == src] for src in ("t", "x", "o")}
    lines: dict[str, MovementLine] = {}
    if wanted["t"]:
        for trade, exchange in session.execute(
            select(Trade, ExchangeAccount.exchange)
            .join(ExchangeAccount, ExchangeAccount.id == Trade.exchange_account_id)  # type: ignore[arg-type]
            .where(Trade.id.in_(wanted["t"]))  # type: ignore[attr-defined]
        ).all():
            lines[trade.id] = _trade(trade, exchange, asset)
    if wanted["x"]:
        for transfer, exchange in session.execute(
            select(Transfer, ExchangeAccount.exchange)
            .join(ExchangeAccount, ExchangeAccount.id == Transfer.exchange_account_id)  # type: ignore[arg-type]
            .where(Transfer.id.in_(wanted["x"]))  # type: ignore[attr-defined]
        ).all():
            lines[transfer.id] = _transfer(transfer, exchange)
    if wanted["o"]:
        for opening in session.execute(
            select(OpeningPosition).where(OpeningPosition.id.in_(wanted["o"]))  # type: ignore[attr-defined]
        ).scalars():
            lines[opening.id] = _opening(opening)
    return tuple(lines[i] for i, _ in picked if i in lines), total


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
