"""The value history in euros: built in the same pass as the dollar one, each leg at its
minute's EURUSDT and each day at its close's (docs/currencies.md); over HTTP and in the CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from exstrat_app.models import DailyCandle
from exstrat_app.services.portfolio.daily_closes import DailyCloses
from exstrat_app.services.portfolio.history import build_history, value_history
from exstrat_app.services.portfolio.price_history import MinuteCloses
from tests.portfolio.conftest import NoMarkets, sign_in
from tests.portfolio.test_currency_api import _seed, eur_client  # noqa: F401 (fixture)

D = Decimal
TODAY = date(2026, 3, 5)


def _build(db: Any, user_id: str) -> None:
    for day in range(1, 6):
        db.add(DailyCandle(symbol="ETH/USDT", day=date(2026, 3, day), close=D(2500)))
        db.add(DailyCandle(symbol="EUR/USDT", day=date(2026, 3, day), close=D("1.25")))
    db.commit()
    closes = DailyCloses(db, exchange_factory=NoMarkets, today=TODAY)
    build_history(db, user_id, closes=closes, prices=MinuteCloses(db, exchange_factory=NoMarkets))
    db.commit()


def test_the_last_day_in_euros_and_in_dollars(db: Any) -> None:
    user = _seed(db, "EUR")
    _build(db, user.id)
    eur = value_history(db, user.id, quote="EUR")
    assert eur.quote == "EUR"
    last = eur.points[-1]
    assert last.day == TODAY
    # Held: 1 ETH (cost 1,760.64 EUR, tests/domain/test_currency.py) and the sale's
    # 4,800 - 4.8 = 4,795.2 USDT. On the day: ETH 2,500 USDT / 1.25 = 2,000 EUR; the USDT
    # 4,795.2 / 1.25 = 3,836.16 EUR. Value 2,000 + 3,836.16 = 5,836.16; invested 1,760.64 +
    # 3,836.16 (cash is its own cost) = 5,596.8; unrealized 2,000 - 1,760.64 = 239.36.
    assert (last.value, last.invested, last.realized, last.unrealized) == (
        D("5836.16"), D("5596.8"), D("356.04"), D("239.36"),
    )  # fmt: skip
    usd = value_history(db, user.id, quote="USDT").points[-1]
    # 2,500 + 4,795.2 = 7,295.2; invested 2,104.8 + 4,795.2 = 6,900; unrealized 395.2.
    assert (usd.value, usd.invested, usd.realized, usd.unrealized) == (
        D("7295.2"), D("6900"), D("1638"), D("395.2"),
    )  # fmt: skip


def test_history_api_and_csv_follow_the_currency(eur_client: Any, db: Any) -> None:  # noqa: F811
    user = _seed(db, "USD")
    _build(db, user.id)
    sign_in(eur_client, user.id)
    usd = eur_client.get("/api/portfolio/history").json()
    assert usd["quote"] == "USDT" and usd["points"][-1]["value"] == "7295.2"
    eur = eur_client.get("/api/portfolio/history?quote=EUR").json()
    assert eur["quote"] == "EUR" and eur["points"][-1]["value"] == "5836.16"
    rows = list(
        csv.DictReader(io.StringIO(eur_client.get("/api/export/history.csv?quote=EUR").text))
    )
    assert rows[-1]["value"] == "5836.16" and rows[-1]["realized"] == "356.04"
    token = eur_client.get("/api/tokens/ETH/history?quote=EUR").json()
    assert token["quote"] == "EUR"
