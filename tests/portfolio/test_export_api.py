"""CSV exports and the history API: the CSV's figures are the API's, scoped to the user,
decimals as exact strings; bad input is a 4xx."""

from __future__ import annotations

import csv
import io

from exstrat_app.models import ExchangeAccount
from tests.portfolio.conftest import sign_in
from tests.portfolio.test_history_service import DailyKlines, _build, _trade


def test_history_csv_equals_the_api_and_trades_keep_exact_digits(client, db, make_user) -> None:
    user = make_user()
    other = make_user("bob@example.com")
    accounts = []
    for owner in (user, other):
        account = ExchangeAccount(
            user_id=owner.id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s",
            key_id="k1",
        )  # fmt: skip
        db.add(account)
        accounts.append(account)
    db.add(_trade(accounts[0].id, "1", 2, "buy", "0.123456789012345678", "2100"))
    db.add(_trade(accounts[1].id, "9", 3, "buy", "5", "2100"))
    db.commit()
    _build(db, user.id, DailyKlines())
    sign_in(client, user.id)

    api = client.get("/api/portfolio/history").json()
    assert api["building"] is False
    text = client.get("/api/export/history.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["day"] for r in rows] == [p["day"] for p in api["points"]]
    for row, point in zip(rows, api["points"], strict=True):
        for key in ("value", "invested", "realized", "unrealized", "income"):
            assert row[key] == point[key]
    # Day 10: 0.123456789012345678 ETH at 3,000 = 370.370367037037034 -> 370.37036704 (8 dp);
    # its cost 0.123456789012345678 * 2,100 = 259.2592569259259238 -> 259.25925693;
    # unrealized (3,000 - 2,100) * 0.123456789012345678 = 111.1111101111111102 -> 111.11111011.
    assert api["points"][-1] == {
        "day": "2026-01-10", "value": "370.37036704", "invested": "259.25925693",
        "realized": "0", "unrealized": "111.11111011", "income": "0", "unpriced": 0,
    }  # fmt: skip

    trades = list(csv.DictReader(io.StringIO(client.get("/api/export/trades.csv").text)))
    # Only the signed-in user's trade, every digit kept.
    assert [(t["trade_id"], t["amount"]) for t in trades] == [("1", "0.123456789012345678")]
    one = client.get(f"/api/export/trades.csv?account={accounts[0].id}").text
    assert one == client.get("/api/export/trades.csv").text
    # Another user's account is not found; an unknown kind is refused.
    assert client.get(f"/api/export/trades.csv?account={accounts[1].id}").status_code == 404
    assert client.get("/api/export/wallets.csv").status_code == 422
