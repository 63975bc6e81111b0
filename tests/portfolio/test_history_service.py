"""The stored value history: built once, extended by new days, rebuilt from the first changed
day only (a late-ingested trade); daily closes cached and fetched once ever."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select

from exstrat_app.models import DailyCandle, ExchangeAccount, Trade, ValueHistoryDay
from exstrat_app.services.portfolio.daily_closes import DailyCloses
from exstrat_app.services.portfolio.history import asset_history, build_history, value_history
from exstrat_app.services.portfolio.price_history import MinuteCloses
from tests.portfolio.conftest import NoMarkets

D = Decimal
TODAY = date(2026, 1, 10)


class DailyKlines(NoMarkets):
    """Lists ETH/USDT and answers 1d klines: ETH closes at 2000 + 100 * day of month."""

    markets = {"ETH/USDT": {"symbol": "ETH/USDT"}}

    def __init__(self) -> None:
        self.calls = 0

    def fetch_ohlcv(self, symbol: str, timeframe: str, since: int, limit: int) -> list[list[Any]]:
        assert (symbol, timeframe) == ("ETH/USDT", "1d")
        self.calls += 1
        start = datetime.fromtimestamp(since / 1000, tz=UTC).date()
        rows = []
        for i in range(limit):
            day = date.fromordinal(start.toordinal() + i)
            if day > TODAY:
                break
            ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
            rows.append([ms, "0", "0", "0", str(2000 + 100 * day.day), "1"])
        return rows


def _trade(account: str, tid: str, day: int, side: str, qty: str, price: str) -> Trade:
    q, p = D(qty), D(price)
    return Trade(
        exchange_account_id=account, exchange_trade_id=tid, symbol="ETH/USDT", base="ETH",
        quote="USDT", side=side, amount=q, price=p, cost=q * p,
        ts=datetime(2026, 1, day, 12, tzinfo=UTC),
    )  # fmt: skip


def _build(db: Any, user_id: str, exchange: DailyKlines, today: date = TODAY) -> Any:
    closes = DailyCloses(db, exchange_factory=lambda: exchange, today=today)
    prices = MinuteCloses(db, exchange_factory=NoMarkets)
    result = build_history(db, user_id, closes=closes, prices=prices)
    db.commit()
    return result


def _rows(db: Any, user_id: str) -> dict[date, ValueHistoryDay]:
    db.expire_all()  # the builds write with bulk statements, past the session's objects
    rows = db.exec(select(ValueHistoryDay).where(ValueHistoryDay.user_id == user_id)).all()
    return {r.day: r for r in rows}


def test_late_trade_rebuilds_from_its_day_only_and_equals_a_full_rebuild(db, make_user) -> None:
    user = make_user()
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.add(_trade(account.id, "1", 2, "buy", "1", "2100"))
    db.add(_trade(account.id, "2", 7, "buy", "1", "2700"))
    db.commit()
    exchange = DailyKlines()

    first = _build(db, user.id, exchange, today=date(2026, 1, 9))
    # Day 2 to day 9: 8 rows; one klines request for the whole span.
    assert (first.rows_written, first.first_written) == (8, date(2026, 1, 2))
    assert exchange.calls == 1
    # One more day: day 9 (provisional yesterday, now finished) and day 10, one request.
    more = _build(db, user.id, exchange)
    assert (more.rows_written, more.first_written) == (2, date(2026, 1, 9))
    assert exchange.calls == 2
    rows = _rows(db, user.id)
    # Day 10: 2 ETH at 3,000 = 6,000; invested 2,100 + 2,700 = 4,800; unrealized 1,200.
    assert (rows[TODAY].value, rows[TODAY].invested, rows[TODAY].unrealized) == (
        D("6000"), D("4800"), D("1200"),
    )  # fmt: skip
    # Day 9 (finished, stored): the cash spent is not held (no deposit recorded): 2 ETH only.
    assert rows[date(2026, 1, 9)].value == D("5800")

    # A trade of day 5 ingested late: days 5..10 are rewritten, days 2..4 untouched.
    db.add(_trade(account.id, "3", 5, "sell", "0.5", "2500"))
    db.commit()
    late = _build(db, user.id, exchange)
    assert (late.rows_written, late.first_written) == (6, date(2026, 1, 5))
    # Every finished day's candle came from the cache: no more requests but today's.
    assert exchange.calls <= 3
    incremental = {
        d: (r.value, r.invested, r.realized, r.unrealized) for d, r in _rows(db, user.id).items()
    }
    # Day 5: 0.5 ETH sold at 2,500 for an average of 2,100: realized 200.
    assert incremental[date(2026, 1, 5)][2] == D("200")

    # The same history built from nothing is identical.
    for row in db.exec(select(ValueHistoryDay)).all():
        db.delete(row)
    from exstrat_app.models import ValueHistorySnapshot, ValueHistoryState

    for model in (ValueHistorySnapshot, ValueHistoryState):
        for row in db.exec(select(model)).all():
            db.delete(row)
    db.commit()
    full = _build(db, user.id, exchange)
    assert full.rows_written == 9
    rebuilt = {
        d: (r.value, r.invested, r.realized, r.unrealized) for d, r in _rows(db, user.id).items()
    }
    assert rebuilt == incremental
    # The finished days' candles are stored once each (today's never).
    stored = db.exec(select(DailyCandle.day)).all()
    assert sorted(stored) == [date(2026, 1, d) for d in range(2, 10)]

    view = value_history(db, user.id, start=date(2026, 1, 9))
    assert [p.day for p in view.points] == [date(2026, 1, 9), TODAY]
    assert view.building is False
    assert view.points[-1].value == D("4500")  # 1.5 ETH at 3,000

    # The token page's series: ETH day by day from the cache only (today's close is not cached).
    eth = asset_history(db, user.id, "eth")
    assert eth.points[0].day == date(2026, 1, 2)
    day9 = next(p for p in eth.points if p.day == date(2026, 1, 9))
    # 1 @ 2,100, 0.5 sold (cost 1,050 left), 1 @ 2,700: 1.5 ETH, cost 3,750, average 2,500;
    # at day 9's close of 2,900: 4,350.
    assert (day9.quantity, day9.cost, day9.avg_price, day9.value) == (
        D("1.5"), D("3750"), D("2500"), D("4350"),
    )  # fmt: skip
    assert eth.points[-1].price is None


def test_the_job_builds_an_empty_history_and_the_view_says_it_is_ready(db, make_user) -> None:
    from jobs.history import build_user_history

    user = make_user()
    assert build_user_history(user.id) == 0
    view = value_history(db, user.id)
    assert (view.points, view.building, view.progress) == ((), False, None)
