"""The value history's read side: the stored days (never the exchange) in the reporting
currency asked for, and one asset's days replayed from the cached prices (docs/currencies.md
for the euro figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from exstrat_app.domain.currency import EUR, book_fiat, eur_close, eur_price_at
from exstrat_app.domain.history import AssetDay, DayPoint, asset_days, day_of
from exstrat_app.models import ValueHistoryDay, ValueHistoryState
from exstrat_app.services.portfolio.daily_closes import DailyCloses
from exstrat_app.services.portfolio.history_gaps import QuantityGap, quantity_gaps
from exstrat_app.services.portfolio.history_store import event_assets, load_events
from exstrat_app.services.portfolio.loaders import account_ids
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.views import reporting_quote


@dataclass(frozen=True)
class HistoryView:
    quote: str
    points: tuple[DayPoint, ...]  # oldest first
    building: bool  # the first build (or a rebuild) is still running
    progress: Decimal | None  # 0..1 of the days built while building, else None
    # Assets whose live quantity the history does not explain (`history_gaps`): the last
    # point and the portfolio page part by exactly these quantities.
    gaps: tuple[QuantityGap, ...] = ()


@dataclass(frozen=True)
class AssetDayPoint:
    day: date
    quantity: Decimal
    price: Decimal | None
    value: Decimal | None
    avg_price: Decimal | None
    cost: Decimal


@dataclass(frozen=True)
class AssetHistoryView:
    asset: str
    quote: str
    points: tuple[AssetDayPoint, ...]


# -- read -------------------------------------------------------------------------------------


def value_history(
    session: Session, user_id: str, *, start: date | None = None, quote: str = "USDT"
) -> HistoryView:
    """The stored points (never the exchange), oldest first, from `start` when given, in
    `quote` (the dollar book for USDT, USDC, USD; the euro figures for EUR)."""
    quote = reporting_quote(quote)
    query = select(ValueHistoryDay).where(ValueHistoryDay.user_id == user_id)  # type: ignore[arg-type]
    if start is not None:
        query = query.where(ValueHistoryDay.day >= start)  # type: ignore[operator]
    rows = session.execute(query.order_by(ValueHistoryDay.day)).scalars().all()  # type: ignore[arg-type]
    points = tuple(_eur_point(r) for r in rows) if quote == EUR else tuple(_point(r) for r in rows)
    # Days stored before the euro figures existed: left out until the next build fills them.
    points = tuple(p for p in points if p is not None)
    state = session.get(ValueHistoryState, user_id)
    gaps = quantity_gaps(session, user_id)
    if state is None:
        building = bool(account_ids(session, user_id))
        return HistoryView(quote, points, building, Decimal(0) if building else None, gaps)
    if not state.building:
        return HistoryView(quote, points, False, None, gaps)
    return HistoryView(quote, points, True, _progress(state), gaps)


def _point(r: ValueHistoryDay) -> DayPoint:
    return DayPoint(r.day, r.value, r.invested, r.realized, r.unrealized, r.income, r.unpriced)


def _eur_point(r: ValueHistoryDay) -> DayPoint | None:
    if (
        r.eur_value is None
        or r.eur_invested is None
        or r.eur_realized is None
        or r.eur_unrealized is None
        or r.eur_income is None
    ):
        return None
    return DayPoint(
        r.day, r.eur_value, r.eur_invested, r.eur_realized, r.eur_unrealized, r.eur_income,
        r.eur_unpriced or 0,
    )  # fmt: skip


def _progress(state: ValueHistoryState) -> Decimal:
    if state.first_day is None or state.last_day is None:
        return Decimal(0)
    total = (datetime.now(UTC).date() - state.first_day).days + 1
    done = (state.last_day - state.first_day).days + 1
    return min(Decimal(1), Decimal(done) / Decimal(max(total, 1))).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )


class NoMarkets:
    """An exchange that lists nothing, so only cached prices are used (the read path; also
    the benches and tests that must never reach an exchange)."""

    id = "binance"
    markets: dict[str, Any] = {}
    currencies: dict[str, Any] = {}

    def load_markets(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {}

    def set_markets(self, *args: Any, **kwargs: Any) -> None:
        return None


def asset_history(
    session: Session, user_id: str, asset: str, *, start: date | None = None, quote: str = "USDT"
) -> AssetHistoryView:
    """One asset's quantity, value and average day by day, from the cached prices only, in
    `quote` (dollars, or euros: each leg at its minute's EURUSDT, each day at its close's)."""
    asset = asset.strip().upper()[:20]
    quote = reporting_quote(quote)
    events = load_events(session, user_id)
    mine = [e for e in events if asset in event_assets([e])]
    if not mine:
        return AssetHistoryView(asset, quote, ())
    closes = DailyCloses(session, offline=True)
    prices = MinuteCloses(session, exchange_factory=NoMarkets)
    first = day_of(mine[0].ts)
    closes.prefetch([asset, EUR], first, closes.today)
    if quote == EUR:
        days: list[AssetDay] = asset_days(
            mine, asset, first=first, last=closes.today, close=eur_close(closes.close),
            price_at=eur_price_at(prices.price_at), quote=EUR, fiat=book_fiat(EUR),
        )  # fmt: skip
    else:
        days = asset_days(
            mine, asset, first=first, last=closes.today, close=closes.close,
            price_at=prices.price_at,
        )  # fmt: skip
    points = tuple(
        AssetDayPoint(d.day, d.quantity, d.price, d.value, d.avg_price, d.cost)
        for d in days
        if start is None or d.day >= start
    )
    return AssetHistoryView(asset, quote, points)
