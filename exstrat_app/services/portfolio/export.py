"""CSV exports: trades, transfers, positions and the value history, of one of the user's
accounts or all of them; positions and history in the reporting currency asked for (the
`quote` column and the figures: docs/currencies.md). Decimals are written as exact strings
(`fmt`: no exponent), times as ISO 8601 UTC, text cells defused for spreadsheets
(`csv_cell`); the columns are documented in docs/export.md."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from exstrat_app.domain.money import fmt
from exstrat_app.i18n import N_
from exstrat_app.models import ExchangeAccount, Position, Trade, Transfer
from exstrat_app.services.errors import InvalidInput, NotFound
from exstrat_app.services.portfolio.history import value_history
from exstrat_app.services.portfolio.loaders import account_ids
from exstrat_app.services.portfolio.rebuild import BOOK_QUOTE
from exstrat_app.services.portfolio.views import book_figures, reporting_quote

KINDS = ("trades", "transfers", "positions", "history")
COLUMNS: dict[str, tuple[str, ...]] = {
    "trades": ("account_id", "exchange", "trade_id", "ts", "symbol", "base", "quote", "side",
               "amount", "price", "cost", "fee_asset", "fee_cost", "kind"),
    "transfers": ("account_id", "exchange", "transfer_id", "ts", "type", "source", "asset",
                  "amount", "fee_asset", "fee_cost", "status", "txid"),
    "positions": ("asset", "quote", "quantity", "computed_qty", "cost_basis", "avg_price",
                  "realized_pnl", "unknown_cost_qty", "income"),
    "history": ("day", "value", "invested", "realized", "unrealized", "income", "unpriced"),
}  # fmt: skip


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's CSV
# injection list); exchange-supplied text may start with anything.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """One cell as every export writes it (docs/export.md): numbers and times as themselves
    (a negative Decimal stays a number), text with a leading `'` when a spreadsheet would
    read it as a formula, and no carriage return."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    # The writer quotes a cell with a line feed but not one with a lone carriage return, which
    # most readers take for the end of the row: a CR inside text is written as a line feed.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The CSV text of `rows` under `columns`, every cell through `csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def export_csv(
    session: Session,
    user_id: str,
    kind: str,
    *,
    account: str | None = None,
    quote: str = "USDT",
) -> str:
    """The CSV text of `kind` for the user (one account with `account`, else all); positions
    and history in `quote` (USDT, USDC, USD: the dollar book; EUR)."""
    if kind not in KINDS:
        raise InvalidInput(
            N_("Unknown export."),
            fields={"kind": N_("One of {choices}.", choices=", ".join(KINDS))},
        )
    quote = reporting_quote(quote)
    accounts = account_ids(session, user_id)
    if account:
        if account not in accounts:
            raise NotFound(N_("Exchange account not found."))
        accounts = [account]
    if kind == "trades":
        rows = _trades(session, accounts)
    elif kind == "transfers":
        rows = _transfers(session, accounts)
    elif kind == "positions":
        rows = _positions(session, user_id, quote)
    else:
        rows = _history(session, user_id, quote)
    return write_csv(COLUMNS[kind], rows)


def _exchanges(session: Session, accounts: list[str]) -> dict[str, str]:
    rows = session.execute(
        select(ExchangeAccount.id, ExchangeAccount.exchange).where(
            ExchangeAccount.id.in_(accounts or [""])  # type: ignore[attr-defined]
        )
    )
    return dict(rows.all())  # type: ignore[arg-type]


def _trades(session: Session, accounts: list[str]) -> list[tuple[object, ...]]:
    names = _exchanges(session, accounts)
    rows = session.execute(
        select(Trade)
        .where(Trade.exchange_account_id.in_(accounts or [""]))  # type: ignore[attr-defined]
        .order_by(Trade.ts, Trade.exchange_account_id, Trade.symbol, Trade.exchange_trade_id)  # type: ignore[arg-type]
    ).scalars()
    return [
        (t.exchange_account_id, names.get(t.exchange_account_id), t.exchange_trade_id, t.ts,
         t.symbol, t.base, t.quote, t.side, t.amount, t.price, t.cost, t.fee_asset, t.fee_cost,
         t.kind)
        for t in rows
    ]  # fmt: skip


def _transfers(session: Session, accounts: list[str]) -> list[tuple[object, ...]]:
    names = _exchanges(session, accounts)
    rows = session.execute(
        select(Transfer)
        .where(Transfer.exchange_account_id.in_(accounts or [""]))  # type: ignore[attr-defined]
        .order_by(Transfer.ts, Transfer.exchange_account_id, Transfer.exchange_transfer_id)  # type: ignore[arg-type]
    ).scalars()
    return [
        (t.exchange_account_id, names.get(t.exchange_account_id), t.exchange_transfer_id, t.ts,
         t.type, t.source, t.asset, t.amount, t.fee_asset, t.fee_cost, t.status, t.txid)
        for t in rows
    ]  # fmt: skip


def _positions(session: Session, user_id: str, quote: str) -> list[tuple[object, ...]]:
    """The stored positions (all accounts together: a position is per user), in `quote`'s
    book. USDT, USDC and USD are the one dollar book, stored as USDT: the same figures, and
    the `quote` column says the currency asked for (the stored one for USDT)."""
    rows = session.execute(
        select(Position).where(Position.user_id == user_id).order_by(Position.asset)  # type: ignore[arg-type]
    ).scalars()
    out: list[tuple[object, ...]] = []
    for position in rows:
        p = book_figures(position, quote)
        book = position.quote if quote == BOOK_QUOTE else quote
        out.append((p.asset, book, p.quantity, p.computed_qty, p.cost_basis, p.avg_price,
                    p.realized_pnl, p.unknown_cost_qty, p.income))  # fmt: skip
    return out


def _history(session: Session, user_id: str, quote: str) -> list[tuple[object, ...]]:
    """The value history (all accounts together: it is per user)."""
    view = value_history(session, user_id, quote=quote)
    return [
        (p.day, p.value, p.invested, p.realized, p.unrealized, p.income, p.unpriced)
        for p in view.points
    ]
