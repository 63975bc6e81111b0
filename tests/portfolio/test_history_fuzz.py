"""The stored history on fuzzed histories (issue 16), through the service on the real DB:
built day by day (each build reading only the new days' events) it equals a full rebuild; a
late trade rewrites the rows from its day only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import select

from exstrat_app.models import ExchangeAccount, Trade, Transfer, User, ValueHistoryDay
from tests.portfolio.test_history_service import TODAY, DailyKlines, _build

D = Decimal
FIELDS = ("value", "invested", "realized", "unrealized", "income")

# (day of January 2026, hour, kind, quantity in hundredths of ETH, price)
events = st.lists(
    st.tuples(
        st.integers(1, 9),
        st.integers(0, 23),
        st.sampled_from(["buy", "sell", "deposit", "withdrawal"]),
        st.integers(1, 300),
        st.integers(1500, 3500),
    ),
    min_size=1,
    max_size=12,
)


def _user(db: Any) -> tuple[str, str]:
    user = User(email=f"{uuid.uuid4().hex}@example.com", password_hash="-")
    db.add(user)
    db.commit()
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.commit()
    return user.id, account.id


def _add(db: Any, account: str, n: int, event: tuple[int, int, str, int, int]) -> None:
    day, hour, kind, hundredths, price = event
    ts = datetime(2026, 1, day, hour, n % 60, tzinfo=UTC)
    qty, p = D(hundredths) / 100, D(price)
    if kind in ("buy", "sell"):
        db.add(Trade(
            exchange_account_id=account, exchange_trade_id=str(n), symbol="ETH/USDT",
            base="ETH", quote="USDT", side=kind, amount=qty, price=p, cost=qty * p, ts=ts,
        ))  # fmt: skip
    else:
        db.add(Transfer(
            exchange_account_id=account, exchange_transfer_id=str(n), type=kind, asset="ETH",
            amount=qty, ts=ts,
        ))  # fmt: skip


def _figures(db: Any, user_id: str) -> dict[date, tuple[Decimal, ...]]:
    db.expire_all()
    rows = db.exec(select(ValueHistoryDay).where(ValueHistoryDay.user_id == user_id)).all()
    return {r.day: tuple(getattr(r, f) for f in FIELDS) for r in rows}


SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(history=events, late=events)
def test_day_by_day_builds_equal_a_full_rebuild(db, history, late) -> None:
    exchange = DailyKlines()
    daily, daily_account = _user(db)
    full, full_account = _user(db)
    everything = sorted(history) + sorted(late)
    # Day by day: each day's events land before that day's build (the sync then the job),
    # then the late ones land at once and one more build takes them in.
    for day in range(1, 11):
        for n, event in enumerate(sorted(history)):
            if event[0] == day - 1:
                _add(db, daily_account, n, event)
        db.commit()
        _build(db, daily, exchange, today=date(2026, 1, day))
    for n, event in enumerate(sorted(late), start=len(history)):
        _add(db, daily_account, n, event)
    db.commit()
    _build(db, daily, exchange)
    for n, event in enumerate(everything):
        _add(db, full_account, n, event)
    db.commit()
    _build(db, full, exchange)
    assert _figures(db, daily) == _figures(db, full)


@SETTINGS
@given(history=events, late_day=st.integers(2, 9), late=events)
def test_a_late_trade_rewrites_from_its_day_only(db, history, late_day, late) -> None:
    exchange = DailyKlines()
    user_id, account = _user(db)
    for n, event in enumerate(history):
        _add(db, account, n, event)
    db.commit()
    _build(db, user_id, exchange)
    first = min(e[0] for e in history)
    # Mark every stored row: a row rewritten loses the mark.
    db.exec(update(ValueHistoryDay).where(ValueHistoryDay.user_id == user_id).values(unpriced=77))  # type: ignore[call-overload,arg-type]
    db.commit()
    event = late[0]
    _add(db, account, 1000, (late_day, event[1], "buy", event[3], event[4]))
    db.commit()
    result = _build(db, user_id, exchange)
    changed = date(2026, 1, late_day)  # before the first activity too: it becomes the first
    assert result.first_written == changed
    db.expire_all()
    rows = db.exec(select(ValueHistoryDay).where(ValueHistoryDay.user_id == user_id)).all()
    for row in rows:
        assert (row.unpriced == 77) == (row.day < changed), row.day
    assert min(r.day for r in rows) == date(2026, 1, min(first, late_day))
    assert max(r.day for r in rows) == TODAY
