"""Storing what a sync fetched: trades, transfers, live balances, and the cursors that let a
killed sync resume where it stopped.

Inserts are idempotent (`INSERT ... ON CONFLICT DO NOTHING` on the unique keys), so a page
fetched twice is stored once. Nothing here commits: each step commits a page together with
its cursor, in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session

from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.db.bulk import BulkInsert, bulk_ids, insert_ignore, upsert
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Balance, SyncCursor, Trade, Transfer

log = logging.getLogger(__name__)

TRADE_KEYS = ("exchange_account_id", "symbol", "exchange_trade_id")
TRANSFER_KEYS = ("exchange_account_id", "type", "exchange_transfer_id")
CURSOR_KEYS = ("exchange_account_id", "kind", "key")


TRADE_COLUMNS = (
    "id",
    "exchange_account_id",
    "exchange_trade_id",
    "order_id",
    "symbol",
    "base",
    "quote",
    "side",
    "price",
    "amount",
    "cost",
    "fee_asset",
    "fee_cost",
    "ts",
    "kind",
)


def store_trades(session: Session, account_id: str, rows: Sequence[xa.TradeRow]) -> None:
    """Insert a page of trades; ones already stored are left alone (idempotent)."""
    if any(r.side not in ("buy", "sell") for r in rows):
        # A fill whose side the exchange does not tell: nothing can be done with it.
        log.warning("account %s: trades without a side skipped", account_id)
        rows = [r for r in rows if r.side in ("buy", "sell")]
    ids = bulk_ids(len(rows))
    BulkInsert.of(session, Trade.__table__, TRADE_COLUMNS, TRADE_KEYS).run(  # type: ignore[attr-defined]
        session,
        [
            [
                ids[n],
                account_id,
                r.trade_id,
                r.order_id,
                r.symbol,
                r.base,
                r.quote,
                r.side,
                r.price,
                r.amount,
                r.cost,
                r.fee_asset,
                r.fee_cost,
                r.ts,
                r.kind,
            ]
            for n, r in enumerate(rows)
        ],
    )


def store_transfers(session: Session, account_id: str, rows: Iterable[xa.TransferRow]) -> None:
    """Insert or refresh transfers: a pending deposit seen again later has become final."""
    upsert(
        session,
        Transfer,
        [
            {
                "exchange_account_id": account_id,
                "exchange_transfer_id": r.transfer_id,
                "type": r.type,
                "asset": r.asset,
                "amount": r.amount,
                "fee_cost": r.fee_cost,
                "fee_asset": r.fee_asset,
                "status": r.status,
                "txid": r.txid,
                "ts": r.ts,
                "source": r.source,
            }
            for r in rows
        ],
        TRANSFER_KEYS,
        update=("amount", "fee_cost", "fee_asset", "status", "txid", "source"),
    )


def replace_balances(
    session: Session,
    account_id: str,
    balances: dict[str, tuple[Any, Any]],
    *,
    wallet: str = "spot",
) -> None:
    """The account's live balances in one wallet become exactly `balances` (gone assets are
    removed); the other wallets' rows are left alone."""
    session.execute(
        delete(Balance).where(
            Balance.exchange_account_id == account_id,  # type: ignore[arg-type]
            Balance.wallet == wallet,  # type: ignore[arg-type]
        )
    )
    now = utcnow()
    insert_ignore(
        session,
        Balance,
        [
            {
                "exchange_account_id": account_id,
                "wallet": wallet,
                "asset": asset,
                "free": free,
                "locked": locked,
                "fetched_at": now,
            }
            for asset, (free, locked) in balances.items()
        ],
        ("exchange_account_id", "wallet", "asset"),
    )


def get_cursor(session: Session, account_id: str, kind: str, key: str) -> SyncCursor | None:
    return session.execute(
        select(SyncCursor).where(
            SyncCursor.exchange_account_id == account_id,  # type: ignore[arg-type]
            SyncCursor.kind == kind,  # type: ignore[arg-type]
            SyncCursor.key == key,  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()


def save_cursor(
    session: Session,
    account_id: str,
    kind: str,
    key: str,
    *,
    last_id: str | None = None,
    last_ts: datetime | None = None,
) -> None:
    """Upsert a cursor (the caller commits it with the page it describes)."""
    upsert(
        session,
        SyncCursor,
        [
            {
                "exchange_account_id": account_id,
                "kind": kind,
                "key": key,
                "last_id": last_id,
                "last_ts": last_ts,
                "updated_at": utcnow(),
            }
        ],
        CURSOR_KEYS,
        update=("last_id", "last_ts", "updated_at"),
    )


def clear_cursor(session: Session, account_id: str, kind: str, key: str) -> None:
    session.execute(
        delete(SyncCursor).where(
            SyncCursor.exchange_account_id == account_id,  # type: ignore[arg-type]
            SyncCursor.kind == kind,  # type: ignore[arg-type]
            SyncCursor.key == key,  # type: ignore[arg-type]
        )
    )
