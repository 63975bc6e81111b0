"""Strategies, notifications and prices over HTTP, on the real API app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Notification
from exstrat_app.services import strategies as svc
from simexchange import SimExchange
from tests.alerts.conftest import SEED_STEPS, add_position, lot_0001, sign_in

SEED_BODY = {
    "asset": "ETH",
    "reference": {"type": "avgPrice"},
    "steps": SEED_STEPS,
    "notify": {"email": True, "inApp": False},
}


@pytest.fixture(autouse=True)
def _fixed_lot(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lot size without the exchange (its own path is tested in test_strategies)."""
    monkeypatch.setattr(svc, "exchange_lot_step_lookup", lambda _redis: lot_0001)


def error_fields(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return response.json()["error"]["fields"]


def test_signup_login_then_create_and_read_a_strategy(client: Any, db: Any) -> None:
    assert (
        client.post(
            "/api/auth/signup", json={"email": "carol@example.com", "password": "long enough pw"}
        ).status_code
        == 201
    )
    login = client.post(
        "/api/auth/login", json={"email": "carol@example.com", "password": "long enough pw"}
    )
    assert login.status_code == 200
    add_position(db, login.json()["id"], "ETH", "4", "2000")

    created = client.post("/api/strategies", json=SEED_BODY)
    assert created.status_code == 201, created.text
    data = created.json()
    assert [(s["targetPrice"], s["qtyToSell"], s["state"]) for s in data["steps"]] == [
        ("2200", "0.8", "pending"),
        ("2800", "2.36", "pending"),
    ]
    assert data["remainingQty"] == "0.84" and data["notify"] == {"email": True, "inApp": False}
    assert data.pop("warnings") == []  # the creation's answer only (ladder_warnings)
    assert client.get(f"/api/strategies/{data['id']}").json() == data
    assert [s["id"] for s in client.get("/api/strategies").json()] == [data["id"]]


def test_json_numbers_are_exact_and_floats_never_appear(client: Any, alice: Any) -> None:
    sign_in(client, alice.id)
    body = {
        "asset": "eth",
        "reference": {"type": "custom", "price": 1999.99},
        "baseQty": "1.23456789",
        "steps": [{"targetPct": 10.1, "sellPct": 33.3}],
    }
    response = client.post("/api/strategies/preview", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["id"] is None and data["asset"] == "ETH"
    assert data["reference"]["price"] == "1999.99"
    assert data["steps"][0]["targetPrice"] == "2201.98899"  # 1999.99 x 1.101, exactly
    assert data["steps"][0]["qtyToSell"] == "0.4111"
    assert client.get("/api/strategies").json() == []  # a preview stores nothing


def test_field_level_422s(client: Any, alice: Any) -> None:
    sign_in(client, alice.id)
    fields = error_fields(
        client.post(
            "/api/strategies",
            json={
                "asset": "ETH",
                "reference": {"type": "custom", "price": "-1"},
                "baseQty": "1",
                "steps": [
                    {"targetPct": "20", "sellPct": "60"},
                    {"targetPct": "10", "sellPct": "50"},
                ],
            },
        )
    )
    assert set(fields) == {"reference.price", "steps", "steps.1.targetPct"}
    assert set(error_fields(client.post("/api/strategies", json=SEED_BODY))) == {
        "reference",
        "baseQty",
    }
    assert error_fields(client.post("/api/strategies", content=b"{nope")) == {
        "body": "invalid JSON"
    }
    assert "body" in error_fields(client.post("/api/strategies", json=[1, 2]))
    nan = b'{"asset": "ETH", "reference": {"type": "custom", "price": NaN}, "steps": []}'
    assert error_fields(client.post("/api/strategies", content=nan)) == {"body": "invalid JSON"}
    huge = b'{"asset": "ETH", "reference": {"type": "custom", "price": 1e400}, "steps": []}'
    assert "reference.price" in error_fields(client.post("/api/strategies", content=huge))


def test_another_users_strategy_is_a_404(client: Any, db: Any, alice: Any, bob: Any) -> None:
    add_position(db, alice.id, "ETH", "4", "2000")
    sign_in(client, alice.id)
    sid = client.post("/api/strategies", json=SEED_BODY).json()["id"]
    sign_in(client, bob.id)
    assert client.get(f"/api/strategies/{sid}").status_code == 404
    for action in ("pause", "resume", "complete"):
        response = client.post(f"/api/strategies/{sid}/{action}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/strategies").json() == []
    sign_in(client, alice.id)
    assert client.get(f"/api/strategies/{sid}").json()["status"] == "active"


def test_state_changes_and_step_done_over_http(client: Any, db: Any, alice: Any) -> None:
    add_position(db, alice.id, "ETH", "4", "2000")
    sign_in(client, alice.id)
    data = client.post("/api/strategies", json=SEED_BODY).json()
    sid, first = data["id"], data["steps"][0]["id"]
    assert client.post(f"/api/strategies/{sid}/pause").json()["status"] == "paused"
    assert client.post(f"/api/strategies/{sid}/resume").json()["status"] == "active"
    pending = client.post(f"/api/strategies/{sid}/steps/{first}/done")
    assert pending.status_code == 409
    assert client.post(f"/api/strategies/{sid}/complete").json()["status"] == "completed"
    assert client.post(f"/api/strategies/{sid}/resume").status_code == 409
    assert client.post(f"/api/strategies/{sid}/steps/nope/done").status_code == 404


def test_signed_out_requests_are_401(client: Any) -> None:
    assert client.get("/api/strategies").status_code == 401
    assert client.post("/api/strategies", json=SEED_BODY).status_code == 401
    assert client.get("/api/notifications").status_code == 401
    assert client.get("/api/prices?assets=ETH").status_code == 401


def test_prices_route(client: Any, alice: Any, binance: SimExchange) -> None:
    sign_in(client, alice.id)
    data = client.get("/api/prices?assets=ETH,btc,NOPE&quote=USDT").json()
    assert data["ETH"]["price"] == "2000" and data["BTC"]["price"] == "60000"
    assert data["ETH"]["stale"] is False and data["ETH"]["at"].endswith("+00:00")
    assert data["NOPE"] is None
    assert "assets" in error_fields(client.get("/api/prices?assets=E$H"))
    assert "quote" in error_fields(client.get("/api/prices?assets=ETH&quote=EUR"))


def test_notifications_list_read_and_read_all(client: Any, db: Any, alice: Any, bob: Any) -> None:
    start = utcnow()
    rows = [
        Notification(
            user_id=alice.id,
            title=f"n{i}",
            body="b",
            kind=f"k{i}",
            created_at=start + timedelta(seconds=i),
        )
        for i in range(3)
    ]
    rows.append(Notification(user_id=alice.id, title="email only", body="b", in_app=False))
    rows.append(Notification(user_id=bob.id, title="bob's", body="b"))
    for row in rows:
        db.add(row)
        db.commit()
    sign_in(client, alice.id)
    page = client.get("/api/notifications").json()
    assert [n["title"] for n in page["items"]] == ["n2", "n1", "n0"]
    assert page["unread"] == 3
    read = client.post(f"/api/notifications/{rows[1].id}/read").json()
    assert read["read"] is True and read["unread"] == 2
    assert client.post(f"/api/notifications/{rows[4].id}/read").status_code == 404
    assert client.post(f"/api/notifications/{rows[3].id}/read").status_code == 404
    assert client.post("/api/notifications/read-all").json() == {"updated": 2, "unread": 0}
    assert client.get("/api/notifications?limit=1").json()["items"][0]["read"] is True
    assert client.get("/api/notifications?limit=0").status_code == 422
