"""One asset of the portfolio (`/api/tokens/{asset}`, the token page): its position
valued at the last price, and its trades (as base, quote or fee) and transfers, newest first,
paginated; every movement with its kind (`movements.py`), where the coins sit (per account
and wallet), the income received and what the last rebuild could not value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlmodel import Session

from exstrat_app.domain.money import fmt
from exstrat_app.i18n import ngettext
from exstrat_app.i18n.formats import number
from exstrat_app.models import Balance, ExchangeAccount, Position, Trade, Transfer, UnvaluedItem
from exstrat_app.services.portfolio.loaders import account_ids
from exstrat_app.services.portfolio.movements import MovementLine, movements
from exstrat_app.services.portfolio.rebuild import BOOK_QUOTE, ZERO
from exstrat_app.services.portfolio.views import (
    LastPrices,
    PortfolioRow,
    book_figures,
    position_row,
    price_lookup,
    reporting_quote,
)

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class TradeLine:
    id: str
    exchange: str
    account_id: str
    symbol: str
    side: str
    price: Decimal
    amount: Decimal
    cost: Decimal
    fee_asset: str | None
    fee_cost: Decimal | None
    ts: datetime


@dataclass(frozen=True)
class TransferLine:
    id: str
    exchange: str
    account_id: str
    type: str  # deposit | withdrawal
    asset: str
    amount: Decimal
    fee_cost: Decimal | None
    fee_asset: str | None
    status: str
    txid: str | None
    ts: datetime


@dataclass(frozen=True)
class HoldingLine:
    """Where some of the coins sit: one wallet of one account (free + locked)."""

    account_id: str
    exchange: str
    nickname: str | None
    wallet: str  # spot | funding | earn_flexible | earn_locked
    quantity: Decimal


@dataclass(frozen=True)
class UnvaluedGroup:
    """Items of one role and asset the last rebuild could not price (cost 0 instead):
    "1 fee could not be valued: 0.01 OLDX"."""

    role: str  # fee | quote | income | ...
    item_asset: str
    count: int
    amount: Decimal
    refs: tuple[str, ...]

    @property
    def text(self) -> str:
        """The sentence in the current language (one whole sentence per role: the noun's
        gender and plural differ between languages)."""
        # Every digit the amount has, no trailing zeros (as stored it carries 18 decimals).
        n, amount, asset = self.count, number(Decimal(fmt(self.amount))), self.item_asset
        if self.role == "fee":
            return ngettext(
                "{n} fee could not be valued: {amount} {asset}",
                "{n} fees could not be valued: {amount} {asset}",
                n, amount=amount, asset=asset,
            )  # fmt: skip
        if self.role == "quote":
            return ngettext(
                "{n} quote could not be valued: {amount} {asset}",
                "{n} quotes could not be valued: {amount} {asset}",
                n, amount=amount, asset=asset,
            )  # fmt: skip
        if self.role == "income":
            return ngettext(
                "{n} income could not be valued: {amount} {asset}",
                "{n} incomes could not be valued: {amount} {asset}",
                n, amount=amount, asset=asset,
            )  # fmt: skip
        return ngettext(
            "{n} opening could not be valued: {amount} {asset}",
            "{n} openings could not be valued: {amount} {asset}",
            n, amount=amount, asset=asset,
        )  # fmt: skip


@dataclass(frozen=True)
class TokenView:
    asset: str
    quote: str
    position: PortfolioRow | None  # None: the user never held or traded it
    trades: tuple[TradeLine, ...]
    transfers: tuple[TransferLine, ...]
    page: int
    page_size: int
    trades_total: int
    transfers_total: int
    movements: tuple[MovementLine, ...] = ()
    movements_total: int = 0
    holdings: tuple[HoldingLine, ...] = ()
    unvalued: tuple[UnvaluedGroup, ...] = ()

    @property
    def income(self) -> Decimal:
        return self.position.income if self.position is not None else ZERO

    @property
    def realized_pnl(self) -> Decimal:
        return self.position.realized_pnl if self.position is not None else ZERO

    @property
    def unrealized_pnl(self) -> Decimal | None:
        return self.position.pnl if self.position is not None else None


def token_view(
    session: Session,
    *,
    user_id: str,
    asset: str,
    prices: LastPrices,
    page: int = 1,
    page_size: int = 50,
    quote: str = "USDT",
    transfers_page: int | None = None,
) -> TokenView:
    """The asset's position, its trades and transfers, newest first, paginated, and its
    realized/unrealized P&L. `transfers_page` (default: `page`) lets the page move through
    the transfers apart from the trades."""
    asset = asset.strip().upper()
    quote = reporting_quote(quote)
    page, page_size = max(1, page), min(max(1, page_size), MAX_PAGE_SIZE)
    accounts = account_ids(session, user_id)
    position = session.execute(
        select(Position).where(
            Position.user_id == user_id,  # type: ignore[arg-type]
            Position.asset == asset,  # type: ignore[arg-type]
            Position.quote == BOOK_QUOTE,  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()
    row = None
    if position is not None:
        price = price_lookup(prices, [asset], quote)(asset)
        row = position_row(book_figures(position, quote), price)
    trades, trades_total = _trades(session, accounts, asset, page, page_size)
    other_page = page if transfers_page is None else max(1, transfers_page)
    transfers, transfers_total = _transfers(session, accounts, asset, other_page, page_size)
    moves, moves_total = movements(
        session, user_id=user_id, accounts=accounts, asset=asset, page=page, page_size=page_size
    )
    return TokenView(
        asset=asset,
        quote=quote,
        position=row,
        trades=trades,
        transfers=transfers,
        page=page,
        page_size=page_size,
        trades_total=trades_total,
        transfers_total=transfers_total,
        movements=moves,
        movements_total=moves_total,
        holdings=holdings(session, accounts, asset),
        unvalued=unvalued(session, user_id, asset),
    )


def holdings(session: Session, accounts: list[str], asset: str) -> tuple[HoldingLine, ...]:
    """The asset's live balances per account and wallet (the non-empty ones)."""
    if not accounts:
        return ()
    rows = session.execute(
        select(
            Balance.exchange_account_id,
            ExchangeAccount.exchange,
            ExchangeAccount.nickname,
            Balance.wallet,
            Balance.free,
            Balance.locked,
        )
        .join(ExchangeAccount, ExchangeAccount.id == Balance.exchange_account_id)  # type: ignore[arg-type]
        .where(
            Balance.exchange_account_id.in_(accounts),  # type: ignore[attr-defined]
            Balance.asset == asset,  # type: ignore[arg-type]
        )
        .order_by(ExchangeAccount.created_at, Balance.exchange_account_id, Balance.wallet)  # type: ignore[arg-type]
    ).all()
    return tuple(
        HoldingLine(account_id, exchange, nickname, wallet, free + locked)
        for account_id, exchange, nickname, wallet, free, locked in rows
        if free + locked != 0
    )


def unvalued(session: Session, user_id: str, asset: str) -> tuple[UnvaluedGroup, ...]:
    """What the last rebuild could not price on this asset's position, grouped by role and
    item asset (largest count first)."""
    rows = session.execute(
        select(UnvaluedItem)
        .where(
            UnvaluedItem.user_id == user_id,  # type: ignore[arg-type]
            UnvaluedItem.asset == asset,  # type: ignore[arg-type]
        )
        .order_by(UnvaluedItem.ts)  # type: ignore[arg-type]
    ).scalars()
    groups: dict[tuple[str, str], list[UnvaluedItem]] = {}
    for item in rows:
        groups.setdefault((item.role, item.item_asset), []).append(item)
    return tuple(
        UnvaluedGroup(
            role=role,
            item_asset=item_asset,
            count=len(items),
            amount=sum((i.amount for i in items), ZERO),
            refs=tuple(i.ref or "" for i in items),
        )
        for (role, item_asset), items in sorted(groups.items(), key=lambda g: -len(g[1]))
    )


def _trades(
    session: Session, accounts: list[str], asset: str, page: int, page_size: int
) -> tuple[tuple[TradeLine, ...], int]:
    if not accounts:
        return (), 0
    where = (
        Trade.exchange_account_id.in_(accounts),  # type: ignore[attr-defined]
        or_(Trade.base == asset, Trade.quote == asset, Trade.fee_asset == asset),  # type: ignore[arg-type]
    )
    total = session.execute(select(func.count()).select_from(Trade).where(*where)).scalar_one()
    rows = session.execute(
        select(Trade, ExchangeAccount.exchange)
        .join(ExchangeAccount, ExchangeAccount.id == Trade.exchange_account_id)  # type: ignore[arg-type]
        .where(*where)
        .order_by(Trade.ts.desc(), Trade.id.desc())  # type: ignore[attr-defined]
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return tuple(_trade_line(t, exchange) for t, exchange in rows), total


def _transfers(
    session: Session, accounts: list[str], asset: str, page: int, page_size: int
) -> tuple[tuple[TransferLine, ...], int]:
    if not accounts:
        return (), 0
    where = (
        Transfer.exchange_account_id.in_(accounts),  # type: ignore[attr-defined]
        Transfer.asset == asset,  # type: ignore[arg-type]
    )
    total = session.execute(select(func.count()).select_from(Transfer).where(*where)).scalar_one()
    rows = session.execute(
        select(Transfer, ExchangeAccount.exchange)
        .join(ExchangeAccount, ExchangeAccount.id == Transfer.exchange_account_id)  # type: ignore[arg-type]
        .where(*where)
        .order_by(Transfer.ts.desc(), Transfer.id.desc())  # type: ignore[attr-defined]
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return tuple(_transfer_line(t, exchange) for t, exchange in rows), total


def _trade_line(trade: Trade, exchange: str) -> TradeLine:
    return TradeLine(
        id=trade.id,
        exchange=exchange,
        account_id=trade.exchange_account_id,
        symbol=trade.symbol,
        side=trade.side,
        price=trade.price,
        amount=trade.amount,
        cost=trade.cost,
        fee_asset=trade.fee_asset,
        fee_cost=trade.fee_cost,
        ts=trade.ts,
    )


def _transfer_line(transfer: Transfer, exchange: str) -> TransferLine:
    return TransferLine(
        id=transfer.id,
        exchange=exchange,
        account_id=transfer.exchange_account_id,
        type=transfer.type,
        asset=transfer.asset,
        amount=transfer.amount,
        fee_cost=transfer.fee_cost,
        fee_asset=transfer.fee_asset,
        status=transfer.status,
        txid=transfer.txid,
        ts=transfer.ts,
    )
