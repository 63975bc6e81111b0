"""`/api/openings` (issue 13): scoped, validated, a change rebuilds the positions, and the
"unexplained" amount an opening explains goes away. And the token detail's new keys."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from exstrat_app.models import Balance, ExchangeAccount, Trade
from exstrat_app.services.portfolio.rebuild import recompute_for_user
from tests.portfolio.conftest import sign_in

D = Decimal
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _account(db: Any, user_id: str) -> str:
    """3 ETH held; the trades explain 2 (bought at 2,000): 1 ETH unexplained."""
    account = ExchangeAccount(
        user_id=user_id, exchange="binance", api_key_enc=b"k", api_secret_enc=b"s", key_id="k1"
    )
    db.add(account)
    db.flush()
    db.add(Balance(exchange_account_id=account.id, asset="ETH", free=D(3), locked=D(0)))
    db.add(
        Trade(exchange_account_id=account.id, exchange_trade_id="1", symbol="ETH/USDT",
              base="ETH", quote="USDT", side="buy", price=D(2000), amount=D(2), cost=D(4000),
              ts=T0)
    )  # fmt: skip
    db.commit()
    recompute_for_user(db, user_id)
    db.commit()
    return account.id


def _eth_row(client: Any) -> dict[str, Any]:
    [row] = [r for r in client.get("/api/portfolio").json() if r["asset"] == "ETH"]
    return row


def test_an_opening_position_explains_the_difference(client: Any, db: Any, make_user: Any) -> None:
    user = make_user()
    _account(db, user.id)
    sign_in(client, user.id)
    assert _eth_row(client)["unexplained"] == "1"

    response = client.post(
        "/api/openings",
        json={"asset": "eth", "quantity": "1", "totalCost": 1500, "at": "2019-06-01",
              "note": "bought on a pair Binance delisted"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    opening = response.json()
    assert (opening["asset"], opening["quantity"], opening["totalCost"]) == ("ETH", "1", "1500")
    assert opening["at"].startswith("2019-06-01T00:00:00")

    row = _eth_row(client)
    # 1 ETH for 1,500 then 2 for 4,000: 3 ETH for 5,500, average 1,833.33...
    assert row["unexplained"] == "0" and row["computedQuantity"] == "3"
    assert row["avgPrice"].startswith("1833.333333")
    assert [o["id"] for o in client.get("/api/openings").json()] == [opening["id"]]
    token = client.get("/api/tokens/ETH").json()
    assert [m["kind"] for m in token["movements"]] == ["trade", "opening"]
    assert token["movements"][1]["cost"] == "1500" and token["movementsTotal"] == 2

    assert client.delete(f"/api/openings/{opening['id']}").status_code == 204
    assert _eth_row(client)["unexplained"] == "1"
    assert client.get("/api/openings").json() == []


def test_openings_are_validated_all_at_once(client: Any, db: Any, make_user: Any) -> None:
    user = make_user()
    sign_in(client, user.id)
    response = client.post(
        "/api/openings",
        json={"asset": "not a ticker", "quantity": "0", "totalCost": "-1", "at": "2999-01-01"},
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"asset", "quantity", "totalCost", "at"}
    response = client.post("/api/openings", json={"asset": "ETH", "quantity": "x", "at": "soon"})
    assert set(response.json()["error"]["fields"]) == {"quantity", "totalCost", "at"}
    assert client.get("/api/openings").json() == []


def test_openings_are_scoped_to_their_user(client: Any, db: Any, make_user: Any) -> None:
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    sign_in(client, alice.id)
    made = client.post(
        "/api/openings", json={"asset": "BTC", "quantity": "0.5", "totalCost": "100", "at":
                               "2016-01-01"}
    ).json()  # fmt: skip
    sign_in(client, bob.id)
    assert client.get("/api/openings").json() == []
    response = client.delete(f"/api/openings/{made['id']}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    sign_in(client, alice.id)
    assert len(client.get("/api/openings").json()) == 1


def test_the_token_detail_has_income_holdings_and_unvalued(
    client: Any, db: Any, make_user: Any
) -> None:
    user = make_user()
    _account(db, user.id)
    sign_in(client, user.id)
    body = client.get("/api/tokens/ETH").json()
    # 3 held valued at the 2,000 average (the existing rule): (2,500 - 2,000) x 3 = 1,500
    assert body["pnl"] == {"realized": "0", "unrealized": "1500", "income": "0"}
    assert body["position"]["income"] == "0"
    assert [(h["wallet"], h["quantity"]) for h in body["holdings"]] == [("spot", "3")]
    assert body["unvalued"] == []
    summary = client.get("/api/portfolio/summary").json()
    assert summary["totals"]["income"] == "0"
