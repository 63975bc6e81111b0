"""The value history: one row per user and UTC day, the replay's checkpoints, the
build's state, and the daily candles it is valued with.

- `ValueHistoryDay`: the portfolio at one day's close (`domain.history.DayPoint`), with a
  digest of that day's events: a rebuild compares digests to find the first changed day.
- `ValueHistorySnapshot`: the engine's state at the end of a day (JSON text, exact decimal
  strings), kept at the first of each month and at the last final day: a change in the past
  is replayed from the latest checkpoint before it, and a new day from the last one.
- `ValueHistoryState`: per user, what the stored history was built from (the inputs'
  fingerprint), how far it goes, and whether a build is running (for the page's progress).
- `DailyCandle`: a daily close of a symbol (Binance `1d` kline, the candle opening at 00:00
  UTC); only finished days are stored, each fetched once ever.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from exstrat_app.infra.db.types import Money, UTCDateTime, utcnow


def _new_id() -> str:
    return uuid.uuid4().hex


def _money() -> Decimal:
    return Field(sa_type=Money, nullable=False)  # type: ignore[no-any-return]


class ValueHistoryDay(SQLModel, table=True):
    __tablename__ = "value_history"
    __table_args__ = (UniqueConstraint("user_id", "day"),)
    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", max_length=32)
    day: date
    value: Decimal = _money()
    invested: Decimal = _money()
    realized: Decimal = _money()
    unrealized: Decimal = _money()
    income: Decimal = _money()
    unpriced: int = Field(default=0)
    # The same day in euros (docs/currencies.md), replayed in the same build; None until the
    # first build after these were added.
    eur_value: Decimal | None = Field(default=None, sa_type=Money, nullable=True)
    eur_invested: Decimal | None = Field(default=None, sa_type=Money, nullable=True)
    eur_realized: Decimal | None = Field(default=None, sa_type=Money, nullable=True)
    eur_unrealized: Decimal | None = Field(default=None, sa_type=Money, nullable=True)
    eur_income: Decimal | None = Field(default=None, sa_type=Money, nullable=True)
    eur_unpriced: int | None = Field(default=None, nullable=True)
    digest: str = Field(max_length=32)  # of the day's events, to find the first changed day
    final: bool = Field(default=True)  # False for today: rewritten at every build


class ValueHistorySnapshot(SQLModel, table=True):
    __tablename__ = "value_history_snapshots"
    __table_args__ = (UniqueConstraint("user_id", "day"),)
    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", max_length=32)
    day: date  # the state at the end of this day
    state: str = Field(sa_type=Text)


class ValueHistoryState(SQLModel, table=True):
    __tablename__ = "value_history_state"
    user_id: str = Field(foreign_key="users.id", primary_key=True, max_length=32)
    fingerprint: str = Field(default="", max_length=64)  # of the inputs the rows reflect
    first_day: date | None = Field(default=None)  # the first activity day
    last_day: date | None = Field(default=None)  # the last final (stored, finished) day
    building: bool = Field(default=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class DailyCandle(SQLModel, table=True):
    __tablename__ = "daily_candles"
    __table_args__ = (UniqueConstraint("symbol", "day"),)
    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    symbol: str = Field(max_length=40)
    day: date
    close: Decimal = _money()
