"""The consolidated portfolio (SPEC §4): positions rebuilt from every trade and transfer of
the user's accounts, quantities from the live balances, values from the last prices.

`recompute_positions` runs after each sync (and after an account is deleted) and stores one
`Position` row per asset; the views read those rows and only add current prices, so a page
load never replays the history.

Positions are computed once, in USDT: USDT, USDC and USD (and the other stablecoins) are
all worth 1 in V1, so the rebuild is the same whichever of them the user reports in.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, func, or_, select
from sqlmodel import Session

from exstrat_app.domain.money import MONEY_CONTEXT, STABLE_QUOTES, fmt
from exstrat_app.domain.positions import Fill, Movement, PositionState, rebuild_positions
from exstrat_app.infra.db.bulk import upsert
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Balance, ExchangeAccount, Position, Trade, Transfer
from exstrat_app.services.errors import InvalidInput
from exstrat_app.services.portfolio.price_history import PriceHistory

log = logging.getLogger(__name__)

BOOK_QUOTE = "USDT"  # positions are stored in this quote (every stable is 1:1 in V1)
REPORTING_QUOTES = ("USDT", "USDC", "USD")
ZERO = Decimal(0)
VALUE_PLACES = Decimal("0.00000001")  # values and P&L in quote: 8 decimals
PCT_PLACES = Decimal("0.01")
MAX_PAGE_SIZE = 200

# `prices` dependency: a mapping {asset: Quote|Decimal} or a callable(assets, quote) -> that.
PricesArg = Mapping[str, Any] | Callable[[list[str], str], Mapping[str, Any]] | None


# --- rebuilding -----------------------------------------------------------------------------


def recompute_for_user(session: Session, user_id: str, *, redis: Redis | None = None) -> None:
    """`recompute_positions` with the real price history (Binance candles, cached)."""
    recompute_positions(
        session, user_id=user_id, price_history=PriceHistory(session, redis=redis), redis=redis
    )


def recompute_positions(
    session: Session,
    *,
    user_id: str,
    price_history: PriceHistory,
    redis: Redis | None = None,
) -> dict[str, PositionState]:
    """Replay the user's trades and transfers (all accounts) and store one Position per asset
    held or traded: live quantity, rebuilt quantity, cost, average, realized P&L.

    With `redis`, the replay's result is cached under a fingerprint of its inputs: a re-sync
    that brought nothing new (the hourly case) only refreshes the live quantities instead of
    replaying years of history.
    """
    account_ids = _account_ids(session, user_id)
    fingerprint = inputs_fingerprint(session, account_ids)
    states = _cached_states(redis, user_id, fingerprint)
    if states is None:
        fills = load_fills(session, account_ids)
        movements = load_movements(session, account_ids)
        price_history.prefetch(price_needs(fills, movements))
        states = rebuild_positions(
            fills, movements, quote=BOOK_QUOTE, price_at=price_history.price_at
        )
        _cache_states(redis, user_id, fingerprint, states)
    held = live_quantities(session, account_ids)
    _store_positions(session, user_id, states, held)
    session.commit()
    return states


# Bump when the replay's rules change: every cached result is then recomputed.
REPLAY_VERSION = "1"
STATES_TTL_SECONDS = 24 * 3600  # and at least daily anyway
_STATE_FIELDS = tuple(f.name for f in fields(PositionState))


def inputs_fingerprint(session: Session, account_ids: list[str]) -> str:
    """What the replay depends on: the accounts, how many trades each has (trades are only
    ever inserted, never changed) and every transfer's settled state (they can change)."""
    digest = hashlib.sha256(f"v{REPLAY_VERSION}".encode())
    for account_id in sorted(account_ids):
        count = session.execute(
            select(func.count()).select_from(Trade).where(Trade.exchange_account_id == account_id)  # type: ignore[arg-type]
        ).scalar_one()
        digest.update(f"|{account_id}:{count}".encode())
    transfers = session.execute(
        select(
            Transfer.exchange_account_id,
            Transfer.type,
            Transfer.exchange_transfer_id,
            Transfer.status,
            Transfer.amount,
            Transfer.fee_cost,
        )
        .where(Transfer.exchange_account_id.in_(account_ids or [""]))  # type: ignore[attr-defined]
        .order_by(Transfer.exchange_account_id, Transfer.type, Transfer.exchange_transfer_id)  # type: ignore[arg-type]
    )
    for row in transfers:
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _states_key(user_id: str) -> str:
    return f"exstrat:positions:{user_id}"


def _cached_states(
    redis: Redis | None, user_id: str, fingerprint: str
) -> dict[str, PositionState] | None:
    if redis is None:
        return None
    try:
        raw = redis.get(_states_key(user_id))
    except RedisError:
        return None
    if not raw:
        return None
    saved = json.loads(raw)
    if saved.get("fingerprint") != fingerprint:
        return None
    return {
        asset: PositionState(
            asset=asset,
            **{
                name: None if value is None else Decimal(value)
                for name, value in values.items()
                if name in _STATE_FIELDS and name != "asset"
            },
        )
        for asset, values in saved["states"].items()
    }


def _cache_states(
    redis: Redis | None, user_id: str, fingerprint: str, states: dict[str, PositionState]
) -> None:
    if redis is None:
        return
    payload = {
        "fingerprint": fingerprint,
        "states": {
            asset: {
                name: None if (value := getattr(state, name)) is None else str(value)
                for name in _STATE_FIELDS
                if name != "asset"
            }
            for asset, state in states.items()
        },
    }
    try:
        redis.set(_states_key(user_id), json.dumps(payload), ex=STATES_TTL_SECONDS)
    except RedisError:
        log.warning("could not cache the positions", exc_info=True)


def _account_ids(session: Session, user_id: str) -> list[str]:
    return list(
        session.execute(
            select(ExchangeAccount.id).where(ExchangeAccount.user_id == user_id)  # type: ignore[arg-type]
        ).scalars()
    )


def load_fills(session: Session, account_ids: list[str]) -> list[Fill]:
    """Every trade of the accounts as a Fill."""
    if not account_ids:
        return []
    t = Trade.__table__.c  # type: ignore[attr-defined]
    # Core rows (no ORM identity map): about 3x faster to load at 100,000 trades.
    rows = (
        session.connection()
        .execute(
            select(
                t.ts,
                t.exchange_account_id,
                t.symbol,
                t.exchange_trade_id,
                t.base,
                t.quote,
                t.side,
                t.amount,
                t.price,
                t.cost,
                t.fee_asset,
                t.fee_cost,
            ).where(t.exchange_account_id.in_(account_ids))
        )
        .all()
    )  # one fetchall: iterating the cursor row by row costs more than the query
    fills = []
    for ts, acc, symbol, tid, base, quote, side, amount, price, cost, fee_asset, fee in rows:
        if fee is not None and fee == 0:
            fee, fee_asset = None, None
        try:
            fills.append(
                Fill(
                    ts,
                    f"{acc}:{symbol}:{tid}",
                    base,
                    quote,
                    side,
                    amount,
                    price,
                    cost,
                    fee_asset,
                    fee,
                )
            )
        except ValueError as exc:  # a malformed row must not hide the whole portfolio
            log.warning("trade %s skipped: %s", tid, exc)
    return fills


def load_movements(session: Session, account_ids: list[str]) -> list[Movement]:
    """Settled transfers. `amount` is what moved; a withdrawal's fee left on top of it."""
    if not account_ids:
        return []
    rows = session.execute(
        select(
            Transfer.ts,
            Transfer.exchange_account_id,
            Transfer.exchange_transfer_id,
            Transfer.type,
            Transfer.asset,
            Transfer.amount,
            Transfer.fee_cost,
            Transfer.fee_asset,
        ).where(
            Transfer.exchange_account_id.in_(account_ids),  # type: ignore[attr-defined]
            Transfer.status == "ok",  # type: ignore[arg-type]
        )
    )
    moves = []
    for ts, acc, tid, kind, asset, amount, fee, fee_asset in rows:
        charged = fee if kind == "withdrawal" and fee else ZERO
        try:
            moves.append(Movement(ts, f"{acc}:{tid}", asset, kind, amount, charged, fee_asset))
        except ValueError as exc:
            log.warning("transfer %s skipped: %s", tid, exc)
    return moves


def price_needs(fills: Iterable[Fill], movements: Iterable[Movement]) -> list[tuple[str, datetime]]:
    """Every (asset, time) the rebuild will value: non-stable quotes and third-asset fees."""
    del movements  # transfers never need a price (they move holdings at the average)
    needs = []
    for fill in fills:
        if fill.quote not in STABLE_QUOTES:
            needs.append((fill.quote, fill.ts))
        if fill.fee and fill.fee_asset not in (None, fill.base) and fill.fee_asset != fill.quote:
            needs.append((fill.fee_asset, fill.ts))
    return needs


def live_quantities(session: Session, account_ids: list[str]) -> dict[str, Decimal]:
    """free + locked summed over the accounts, in Python (money is text on SQLite)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    if not account_ids:
        return totals
    rows = session.execute(
        select(Balance.asset, Balance.free, Balance.locked).where(
            Balance.exchange_account_id.in_(account_ids)  # type: ignore[attr-defined]
        )
    )
    for asset, free, locked in rows:
        totals[asset] += free + locked
    return totals


def _store_positions(
    session: Session, user_id: str, states: dict[str, PositionState], held: dict[str, Decimal]
) -> None:
    now = utcnow()
    rows = []
    for asset in sorted(set(states) | {a for a, q in held.items() if q}):
        state = states.get(asset)
        quantity = held.get(asset, ZERO)
        rows.append(_position_row(user_id, asset, state, quantity, now))
    assets = [row["asset"] for row in rows]
    session.execute(
        delete(Position).where(
            Position.user_id == user_id,  # type: ignore[arg-type]
            Position.asset.not_in(assets),  # type: ignore[attr-defined]
        )
    )
    upsert(
        session,
        Position,
        rows,
        ("user_id", "asset", "quote"),
        update=(
            "quantity",
            "computed_qty",
            "cost_basis",
            "avg_price",
            "realized_pnl",
            "unknown_cost_qty",
            "updated_at",
        ),
    )


def _position_row(
    user_id: str, asset: str, state: PositionState | None, quantity: Decimal, now: datetime
) -> dict[str, Any]:
    if state is None:
        # Cash (stablecoins are not tracked by the engine) or an asset nothing explains
        # (an airdrop): cash is worth 1 each; anything else has no known cost.
        cash = asset in STABLE_QUOTES
        return {
            "user_id": user_id,
            "asset": asset,
            "quote": BOOK_QUOTE,
            "quantity": quantity,
            "computed_qty": quantity if cash else ZERO,
            "cost_basis": quantity if cash else ZERO,
            "avg_price": Decimal(1) if cash else None,
            "realized_pnl": ZERO,
            "unknown_cost_qty": ZERO if cash else quantity,
            "updated_at": now,
        }
    return {
        "user_id": user_id,
        "asset": asset,
        "quote": BOOK_QUOTE,
        "quantity": quantity,
        "computed_qty": state.quantity,
        "cost_basis": state.cost,
        "avg_price": state.avg_price,
        "realized_pnl": state.realized,
        "unknown_cost_qty": state.unknown_cost_qty,
        "updated_at": now,
    }


# --- viewing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioView:
    quote: str
    rows: list[dict[str, Any]]
    totals: dict[str, Any]


def portfolio_view(
    session: Session, *, user_id: str, quote: str = "USDT", prices: PricesArg = None
) -> PortfolioView:
    """One row per asset held (or still explained by the history), values in `quote`."""
    quote = reporting_quote(quote)
    positions = _positions(session, user_id)
    shown = [p for p in positions if p.quantity != 0 or p.computed_qty != 0]
    price_of = _price_lookup(prices, [p.asset for p in shown], quote)
    rows = [position_row(p, price_of(p.asset)) for p in shown]
    rows.sort(key=lambda r: (r["_value"] is None, -(r["_value"] or ZERO), r["asset"]))
    totals = _totals(rows, positions)
    for row in rows:
        del row["_value"], row["_pnl"]
    return PortfolioView(quote, rows, totals)


def reporting_quote(quote: str | None) -> str:
    quote = (quote or "USDT").strip().upper()
    if quote not in REPORTING_QUOTES:
        raise InvalidInput(
            "Unsupported quote.", fields={"quote": f"One of {', '.join(REPORTING_QUOTES)}."}
        )
    return quote


def _positions(session: Session, user_id: str) -> list[Position]:
    return list(
        session.execute(
            select(Position).where(
                Position.user_id == user_id,  # type: ignore[arg-type]
                Position.quote == BOOK_QUOTE,  # type: ignore[arg-type]
            )
        ).scalars()
    )


def _price_lookup(
    prices: PricesArg, assets: list[str], quote: str
) -> Callable[[str], Decimal | None]:
    """A function asset -> last price in quote (1 for stables; None when unknown)."""
    if prices is None:
        from exstrat_app.services.portfolio.prices import last_prices

        prices = last_prices
    wanted = sorted({a for a in assets if a not in STABLE_QUOTES})
    table = prices(wanted, quote) if callable(prices) else prices

    def lookup(asset: str) -> Decimal | None:
        if asset in STABLE_QUOTES:
            return Decimal(1)
        value = table.get(asset)
        if value is None:
            return None
        return value if isinstance(value, Decimal) else getattr(value, "price", None)

    return lookup


def position_row(position: Position, price: Decimal | None) -> dict[str, Any]:
    """The API row of one position (decimals as strings; `_value`/`_pnl` for sorting/totals)."""
    with localcontext(MONEY_CONTEXT):
        quantity = position.quantity
        # Units with a known cost: what is held minus what arrived with no cost, never < 0.
        costed = max(quantity - position.unknown_cost_qty, ZERO)
        avg = position.avg_price
        value = _q(quantity * price) if price is not None else None
        pnl = _q((price - avg) * costed) if price is not None and avg is not None else None
        pnl_pct = (
            ((price / avg - 1) * 100).quantize(PCT_PLACES, rounding=ROUND_HALF_EVEN)
            if price is not None and avg
            else None
        )
        unexplained = quantity - position.computed_qty
    return {
        "asset": position.asset,
        "quantity": fmt(quantity),
        "computedQuantity": fmt(position.computed_qty),
        "avgPrice": _s(avg),
        "price": _s(price),
        "value": _s(value),
        "pnl": _s(pnl),
        "pnlPct": _s(pnl_pct),
        "realizedPnl": fmt(_q(position.realized_pnl)),
        "unexplained": fmt(unexplained),
        "costUnknownQty": fmt(min(position.unknown_cost_qty, quantity) if quantity > 0 else ZERO),
        "_value": value,
        "_pnl": pnl,
    }


def _totals(rows: list[dict[str, Any]], positions: list[Position]) -> dict[str, Any]:
    with localcontext(MONEY_CONTEXT):
        value = sum((r["_value"] for r in rows if r["_value"] is not None), ZERO)
        pnl = sum((r["_pnl"] for r in rows if r["_pnl"] is not None), ZERO)
        realized = sum((p.realized_pnl for p in positions), ZERO)
    return {
        "value": fmt(value),
        "pnl": fmt(pnl),
        "realizedPnl": fmt(_q(realized)),
        "unpriced": [r["asset"] for r in rows if r["_value"] is None],
    }


def _q(value: Decimal) -> Decimal:
    return value.quantize(VALUE_PLACES, rounding=ROUND_HALF_EVEN, context=MONEY_CONTEXT)


def _s(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


# --- one token ----------------------------------------------------------------------------


def token_view(
    session: Session,
    *,
    user_id: str,
    asset: str,
    page: int = 1,
    page_size: int = 50,
    quote: str = "USDT",
    prices: PricesArg = None,
) -> dict[str, Any]:
    """The asset's position, its trades (as base, quote or fee) and transfers, newest first,
    paginated, and its realized/unrealized P&L."""
    asset = asset.strip().upper()
    quote = reporting_quote(quote)
    page, page_size = max(1, page), min(max(1, page_size), MAX_PAGE_SIZE)
    account_ids = _account_ids(session, user_id)
    position = session.execute(
        select(Position).where(
            Position.user_id == user_id,  # type: ignore[arg-type]
            Position.asset == asset,  # type: ignore[arg-type]
            Position.quote == BOOK_QUOTE,  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()
    price = _price_lookup(prices, [asset], quote)(asset) if position is not None else None
    row = position_row(position, price) if position is not None else None
    if row is not None:
        del row["_value"], row["_pnl"]
    trades, trades_total = _token_trades(session, account_ids, asset, page, page_size)
    transfers, transfers_total = _token_transfers(session, account_ids, asset, page, page_size)
    return {
        "asset": asset,
        "quote": quote,
        "position": row,
        "trades": trades,
        "transfers": transfers,
        "page": page,
        "pageSize": page_size,
        "tradesTotal": trades_total,
        "transfersTotal": transfers_total,
        "pnl": {
            "realized": row["realizedPnl"] if row else "0",
            "unrealized": row["pnl"] if row else None,
        },
    }


def _token_trades(
    session: Session, account_ids: list[str], asset: str, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    if not account_ids:
        return [], 0
    where = (
        Trade.exchange_account_id.in_(account_ids),  # type: ignore[attr-defined]
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
    return [_trade_json(t, exchange) for t, exchange in rows], total


def _token_transfers(
    session: Session, account_ids: list[str], asset: str, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    if not account_ids:
        return [], 0
    where = (
        Transfer.exchange_account_id.in_(account_ids),  # type: ignore[attr-defined]
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
    return [_transfer_json(t, exchange) for t, exchange in rows], total


def _trade_json(trade: Trade, exchange: str) -> dict[str, Any]:
    return {
        "id": trade.id,
        "exchange": exchange,
        "accountId": trade.exchange_account_id,
        "symbol": trade.symbol,
        "side": trade.side,
        "price": fmt(trade.price),
        "amount": fmt(trade.amount),
        "cost": fmt(trade.cost),
        "feeAsset": trade.fee_asset,
        "feeCost": _s(trade.fee_cost),
        "ts": trade.ts.isoformat(),
    }


def _transfer_json(transfer: Transfer, exchange: str) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "exchange": exchange,
        "accountId": transfer.exchange_account_id,
        "type": transfer.type,
        "asset": transfer.asset,
        "amount": fmt(transfer.amount),
        "feeCost": _s(transfer.fee_cost),
        "feeAsset": transfer.fee_asset,
        "status": transfer.status,
        "txid": transfer.txid,
        "ts": transfer.ts.isoformat(),
    }
