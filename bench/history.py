"""The value history build (issue 16): the first build over N trades (3 years, 50 symbols),
then one more day. Trades go straight into a fresh SQLite database (the sync has its own
bench); daily closes come from an in-process klines table (1 request per symbol and 1000
days, counted), so the figures are the history's own cost. Printed, never asserted.

    python -m bench history                         # 20,000 trades
    EXSTRAT_BENCH_FULL=1 python -m bench history    # 100,000 trades

Measured on the 2-core dev machine (100,000 trades, SQLite), before and after the loaders got
a `since` (one more day reads only its own events, replayed from the last day's snapshot):
first build 3.04 s -> 2.61 s; one more day 1.54 s -> 0.06 s.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

FULL = os.environ.get("EXSTRAT_BENCH_FULL") == "1"
N_TRADES = 100_000 if FULL else 20_000
N_SYMBOLS = 50
START = date(2023, 1, 1)
DAYS = 3 * 365


class _Klines:
    """Lists ASSETi/USDT and answers 1d klines from a seeded random walk."""

    id = "binance"
    currencies: dict[str, Any] = {}

    def __init__(self, assets: list[str]) -> None:
        self.markets = {f"{a}/USDT": {"symbol": f"{a}/USDT"} for a in assets}
        self.calls = 0

    def load_markets(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.markets

    def set_markets(self, *args: Any, **kwargs: Any) -> None:
        return None

    def fetch_ohlcv(self, symbol: str, timeframe: str, since: int, limit: int) -> list[list[Any]]:
        self.calls += 1
        seed = sum(map(ord, symbol))
        first = datetime.fromtimestamp(since / 1000, tz=UTC).date()
        rows = []
        for i in range(limit):
            day = first + timedelta(days=i)
            price = 100 + (seed * 7 + day.toordinal() * 13) % 97
            ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
            rows.append([ms, "0", "0", "0", str(price), "1"])
        return rows


def _dataset(session: Any, account_id: str, assets: list[str]) -> None:
    from exstrat_app.infra.db.bulk import insert_ignore
    from exstrat_app.models import Trade

    rng = random.Random(16)
    rows = []
    held: dict[str, Decimal] = dict.fromkeys(assets, Decimal(0))
    for i in range(N_TRADES):
        asset = rng.choice(assets)
        ts = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(DAYS * 86400))
        qty = Decimal(rng.randrange(1, 500)) / 100
        side = "sell" if held[asset] > qty and rng.random() < 0.4 else "buy"
        held[asset] += qty if side == "buy" else -qty
        price = Decimal(rng.randrange(5000, 20000)) / 100
        rows.append({
            "exchange_account_id": account_id, "exchange_trade_id": str(i),
            "symbol": f"{asset}/USDT", "base": asset, "quote": "USDT", "side": side,
            "price": price, "amount": qty, "cost": qty * price, "fee_asset": None,
            "fee_cost": None, "ts": ts, "kind": "trade",
        })  # fmt: skip
    for i in range(0, len(rows), 5000):
        insert_ignore(session, Trade, rows[i : i + 5000], ["id"])
    session.commit()


def main() -> int:
    from sqlmodel import Session

    from exstrat_app.infra.db.engine import get_engine
    from exstrat_app.infra.db.migrate import upgrade_to_head
    from exstrat_app.models import ExchangeAccount, User
    from exstrat_app.services.portfolio.daily_closes import DailyCloses
    from exstrat_app.services.portfolio.history import build_history
    from exstrat_app.services.portfolio.price_history import MinuteCloses
    from exstrat_app.settings import get_settings

    with tempfile.TemporaryDirectory(prefix="exstrat-bench-history-") as tmp:
        os.environ["EXSTRAT_DATA_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.db'}"
        get_settings.cache_clear()
        get_engine.cache_clear()
        upgrade_to_head()
        assets = [f"C{i:02d}" for i in range(N_SYMBOLS)]
        exchange = _Klines(assets)
        today = START + timedelta(days=DAYS)
        with Session(get_engine(), expire_on_commit=False) as session:
            user = User(email="bench@example.com", password_hash="-")
            session.add(user)
            session.commit()
            account = ExchangeAccount(
                user_id=user.id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s",
                key_id="k1",
            )  # fmt: skip
            session.add(account)
            session.commit()
            _dataset(session, account.id, assets)
            timings = []
            for label, day in (("first build", today), ("one more day", today + timedelta(1))):
                started = time.perf_counter()
                result = build_history(
                    session, user.id,
                    closes=DailyCloses(session, exchange_factory=lambda: exchange, today=day),
                    prices=MinuteCloses(session, exchange_factory=lambda: exchange),
                )  # fmt: skip
                session.commit()
                took = time.perf_counter() - started
                timings.append((label, took, result.rows_written, exchange.calls))
        get_engine.cache_clear()
        get_settings.cache_clear()
    print(f"value history, {N_TRADES:,} trades, {N_SYMBOLS} symbols, {DAYS} days (SQLite)")
    for label, took, rows, calls in timings:
        print(
            f"  {label:<13} {took:7.2f} s  rows written {rows:5d}  klines requests so far {calls}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
