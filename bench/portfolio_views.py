"""The portfolio's server side in dollars and in euros (docs/currencies.md), printed, never
asserted; no browser (the browser timings are `bench pages`):

    python -m bench portfolio_views

- `portfolio_view` with 300 and 1,000 stored positions, `?quote=USDT` and `?quote=EUR` (in
  euros, half the assets have an ASSET/EUR market, the others go through ASSET/USDT and
  EURUSDT): what a page load or `GET /api/portfolio` costs on top of the request;
- the positions rebuild (a sync's last step) of 20,000 trades over 20 symbols, for a dollar
  user and for a euro user (EURUSDT minute closes already cached): both books replayed.

Everything is throwaway: a temporary data dir with a SQLite file; prices come from a table.

Measured on the 2-core dev machine when the euro book came in (before -> after): the view of
1,000 assets 36-49 ms in USDT -> 41-46 ms in USDT, 41-52 ms in EUR (a page load stays a read
of the stored rows: nothing is replayed); the sync's positions step of 100,000 trades for a
dollar user with no EURUSDT kept 1.8-2.4 s -> 1.9-3.0 s (one replay, as before), for a euro
user 4.1-4.4 s (both books); the value history's first build of 20,000 trades 1.81 s ->
2.77 s (both books), one more day 0.06 s -> 0.06 s.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from exstrat_app.services.portfolio.history_views import NoMarkets

SIZES = (300, 1000)
RUNS = 7
N_TRADES = 20_000
N_SYMBOLS = 20
D = Decimal


class _Priced:
    __slots__ = ("price",)

    def __init__(self, price: Decimal) -> None:
        self.price = price


def _prices(n: int) -> Any:
    """Last prices: every asset in USDT, the even ones in EUR too, EURUSDT 1.08."""
    table = {(f"A{i:04d}", "USDT"): D(100 + i) for i in range(n)}
    table.update({(f"A{i:04d}", "EUR"): D(90 + i) for i in range(0, n, 2)})
    table[("EUR", "USDT")] = D("1.08")

    def prices(assets: list[str], quote: str) -> dict[str, _Priced]:
        return {a: _Priced(table[(a, quote)]) for a in assets if (a, quote) in table}

    return prices


def _seed_positions(session: Any, user_id: str, n: int) -> None:
    from exstrat_app.infra.db.bulk import insert_ignore
    from exstrat_app.models import Position

    euros = hasattr(Position, "eur_cost_basis")
    rows = []
    for i in range(n):
        row: dict[str, Any] = {
            "id": f"p{user_id[:8]}{i:05d}", "user_id": user_id, "asset": f"A{i:04d}",
            "quote": "USDT", "quantity": D(3), "computed_qty": D(3), "cost_basis": D(300),
            "avg_price": D(100), "realized_pnl": D(5), "unknown_cost_qty": D(0),
            "income": D(0), "updated_at": datetime.now(UTC),
        }  # fmt: skip
        if euros:
            row.update(eur_cost_basis=D(270), eur_avg_price=D(90), eur_realized_pnl=D(4),
                       eur_income=D(0))  # fmt: skip
        rows.append(row)
    insert_ignore(session, Position, rows, ["id"])
    session.commit()


def _time_view(session: Any, user_id: str, n: int, quote: str) -> str:
    from exstrat_app.services.errors import ServiceError
    from exstrat_app.services.portfolio.views import portfolio_view

    prices = _prices(n)
    times = []
    try:
        for _ in range(RUNS):
            started = time.perf_counter()
            view = portfolio_view(session, user_id=user_id, prices=prices, quote=quote)
            times.append((time.perf_counter() - started) * 1000)
    except ServiceError:
        return "n/a (not supported)"
    assert len(view.rows) == n
    return f"median {statistics.median(times):6.1f} ms (best {min(times):.1f})"


def _seed_trades(session: Any, account_id: str) -> None:
    from exstrat_app.infra.db.bulk import insert_ignore
    from exstrat_app.models import PriceCandle, Trade

    rng = random.Random(7)
    rows, minutes = [], set()
    for i in range(N_TRADES):
        asset = f"C{rng.randrange(N_SYMBOLS):02d}"
        ts = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(400 * 1440))
        minutes.add(ts)
        qty, price = D(rng.randrange(1, 500)) / 100, D(rng.randrange(5000, 20000)) / 100
        rows.append({
            "exchange_account_id": account_id, "exchange_trade_id": str(i),
            "symbol": f"{asset}/USDT", "base": asset, "quote": "USDT",
            "side": "buy" if i % 3 else "sell", "price": price, "amount": qty,
            "cost": qty * price, "fee_asset": None, "fee_cost": None, "ts": ts, "kind": "trade",
        })  # fmt: skip
    for i in range(0, len(rows), 5000):
        insert_ignore(session, Trade, rows[i : i + 5000], ["id"])
    candles = [{"symbol": "EUR/USDT", "minute": m, "close": D("1.08")} for m in sorted(minutes)]
    for i in range(0, len(candles), 5000):
        insert_ignore(session, PriceCandle, candles[i : i + 5000], ["symbol", "minute"])
    session.commit()


def _time_rebuild(session: Any, user: Any, account_id: str, currency: str) -> str:
    from exstrat_app.services.portfolio.price_history import MinuteCloses
    from exstrat_app.services.portfolio.rebuild import recompute_positions

    if hasattr(user, "currency"):
        user.currency = currency
        session.add(user)
        session.commit()
    times = []
    for _ in range(3):
        started = time.perf_counter()
        recompute_positions(
            session, user_id=user.id, closes=MinuteCloses(session, exchange_factory=NoMarkets)
        )
        session.commit()
        times.append(time.perf_counter() - started)
    return f"median {statistics.median(times):5.2f} s (best {min(times):.2f})"


def main() -> int:
    from sqlmodel import Session

    from exstrat_app.infra.db.engine import get_engine
    from exstrat_app.infra.db.migrate import upgrade_to_head
    from exstrat_app.models import ExchangeAccount, User
    from exstrat_app.settings import get_settings

    lines = []
    with tempfile.TemporaryDirectory(prefix="exstrat-bench-views-") as tmp:
        os.environ["EXSTRAT_DATA_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.db'}"
        get_settings.cache_clear()
        get_engine.cache_clear()
        upgrade_to_head()
        with Session(get_engine(), expire_on_commit=False) as session:
            for n in SIZES:
                user = User(email=f"views{n}@example.com", password_hash="-")
                session.add(user)
                session.commit()
                _seed_positions(session, user.id, n)
                for quote in ("USDT", "EUR"):
                    figure = _time_view(session, user.id, n, quote)
                    lines.append(f"  portfolio_view {n:5d} assets, {quote:<4}  {figure}")
            user = User(email="rebuild@example.com", password_hash="-")
            session.add(user)
            session.commit()
            account = ExchangeAccount(
                user_id=user.id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s",
                key_id="k1",
            )  # fmt: skip
            session.add(account)
            session.commit()
            _seed_trades(session, account.id)
            for currency in ("USD", "EUR"):
                figure = _time_rebuild(session, user, account.id, currency)
                lines.append(f"  positions rebuild {N_TRADES:,} trades, {currency} user  {figure}")
        get_engine.cache_clear()
        get_settings.cache_clear()
    print("portfolio server side (SQLite, prices from a table)")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
