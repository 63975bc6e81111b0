"""Response models of the value history (issue 16): decimals as strings, camelCase keys."""

from __future__ import annotations

from exstrat_app.api.schemas import Body, decimal_text
from exstrat_app.domain.history import DayPoint
from exstrat_app.domain.money import fmt
from exstrat_app.services.portfolio.history import AssetDayPoint, AssetHistoryView, HistoryView
from exstrat_app.services.portfolio.history_gaps import QuantityGap


class DayPointOut(Body):
    day: str  # YYYY-MM-DD (UTC)
    value: str
    invested: str
    realized: str
    unrealized: str
    income: str
    unpriced: int

    @classmethod
    def of(cls, p: DayPoint) -> DayPointOut:
        return cls(
            day=p.day.isoformat(), value=fmt(p.value), invested=fmt(p.invested),
            realized=fmt(p.realized), unrealized=fmt(p.unrealized), income=fmt(p.income),
            unpriced=p.unpriced,
        )  # fmt: skip


class QuantityGapOut(Body):
    asset: str
    held: str  # live balances, all wallets
    explained: str  # rebuilt from trades and transfers: what the history values
    gap: str  # held - explained

    @classmethod
    def of(cls, g: QuantityGap) -> QuantityGapOut:
        return cls(asset=g.asset, held=fmt(g.held), explained=fmt(g.explained), gap=fmt(g.gap))


class HistoryOut(Body):
    quote: str
    building: bool
    progress: str | None
    points: list[DayPointOut]
    gaps: list[QuantityGapOut]  # assets whose live quantity the history does not explain

    @classmethod
    def of(cls, view: HistoryView) -> HistoryOut:
        return cls(
            quote=view.quote,
            building=view.building,
            progress=decimal_text(view.progress),
            points=[DayPointOut.of(p) for p in view.points],
            gaps=[QuantityGapOut.of(g) for g in view.gaps],
        )


class AssetDayPointOut(Body):
    day: str
    quantity: str
    price: str | None
    value: str | None
    avg_price: str | None
    cost: str

    @classmethod
    def of(cls, p: AssetDayPoint) -> AssetDayPointOut:
        return cls(
            day=p.day.isoformat(), quantity=fmt(p.quantity), price=decimal_text(p.price),
            value=decimal_text(p.value), avg_price=decimal_text(p.avg_price), cost=fmt(p.cost),
        )  # fmt: skip


class AssetHistoryOut(Body):
    asset: str
    quote: str
    points: list[AssetDayPointOut]

    @classmethod
    def of(cls, view: AssetHistoryView) -> AssetHistoryOut:
        return cls(
            asset=view.asset, quote=view.quote, points=[AssetDayPointOut.of(p) for p in view.points]
        )
