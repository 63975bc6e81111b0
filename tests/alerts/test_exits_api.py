"""Richer steps over HTTP (issue 14): absolute and trailing targets, the stop-loss, and a clear
422 for every bad value."""

from __future__ import annotations

from typing import Any

import pytest

from exstrat_app.services import strategies as svc
from tests.alerts.conftest import lot_0001, sign_in

BODY: dict[str, Any] = {
    "asset": "ETH",
    "reference": {"type": "custom", "price": "2000"},
    "baseQty": "4",
    "steps": [
        {"targetPct": "10", "sellPct": "20", "trailPct": "2"},
        {"targetPrice": "2500", "sellPct": "50"},
    ],
    "stopLoss": {"type": "pct", "value": "5", "breakEven": True},
}


@pytest.fixture(autouse=True)
def _fixed_lot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svc, "exchange_lot_step_lookup", lambda _redis: lot_0001)


def error_fields(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return response.json()["error"]["fields"]


def test_preview_and_create_with_trailing_absolute_and_stop(client: Any, alice: Any) -> None:
    sign_in(client, alice.id)
    preview = client.post("/api/strategies/preview", json=BODY)
    assert preview.status_code == 200, preview.text
    data = preview.json()
    trailing, absolute = data["steps"]
    # 2000 * 1.10 = 2200, trail 2 %: fires at 2156 or above (2200 * 0.98); 0.8 * 2156 = 1724.8.
    assert (trailing["targetPrice"], trailing["trailPct"], trailing["fireFloor"]) == (
        "2200", "2", "2156",
    )  # fmt: skip
    assert (trailing["targetKind"], trailing["proceeds"]) == ("pct", "1724.8")
    # 2500 absolute = +25 %; 2 ETH * 2500 = 5000.
    assert (absolute["targetKind"], absolute["targetPct"], absolute["proceeds"]) == (
        "price", "25", "5000",
    )  # fmt: skip
    assert absolute["trailPct"] is None
    # Stop 5 % below 2000 = 1900; selling the 4 ETH there: (1900 - 2000) * 4 = -400, -5 %.
    assert data["stopLoss"] == {
        "type": "pct", "value": "5", "breakEven": True, "price": "1900", "state": "planned",
        "qty": "4", "result": "-400", "resultPct": "-5", "movedAt": None, "firedAt": None,
        "firedPrice": None,
    }  # fmt: skip
    assert data["projectedProceeds"] == "6724.8"  # 1724.8 + 5000

    created = client.post("/api/strategies", json=BODY)
    assert created.status_code == 201, created.text
    stored = created.json()
    assert stored["steps"] == [
        {**s, "id": got["id"]} for s, got in zip(data["steps"], stored["steps"], strict=True)
    ]
    assert stored["stopLoss"]["state"] == "active" and stored["stopLoss"]["price"] == "1900"
    again = client.get(f"/api/strategies/{stored['id']}").json()
    assert again["stopLoss"] == stored["stopLoss"]


def test_no_stop_is_null(client: Any, alice: Any) -> None:
    sign_in(client, alice.id)
    body = {**BODY, "stopLoss": None}
    assert client.post("/api/strategies/preview", json=body).json()["stopLoss"] is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"steps": [{"targetPct": "10", "sellPct": "20", "trailPct": "0"}]},
            {"steps.0.trailPct": "the trail must be greater than 0 %"},
        ),
        (
            {"steps": [{"targetPct": "10", "sellPct": "20", "trailPct": "100"}]},
            {"steps.0.trailPct": "the trail must be below 100 %"},
        ),
        (
            {"steps": [{"targetPrice": "1900", "sellPct": "20"}]},
            {"steps.0.targetPrice": "the target price must be above the reference price 2000"},
        ),
        (
            {"steps": [{"targetPrice": "2500", "targetPct": "10", "sellPct": "20"}]},
            {"steps.0.targetPrice": "give targetPct or targetPrice, not both"},
        ),
        (
            {"stopLoss": {"type": "price", "value": "2000"}},
            {"stopLoss.value": "the stop price must be below the reference price 2000"},
        ),
        (
            {"stopLoss": {"type": "pct", "value": "100"}},
            {"stopLoss.value": "the stop must be less than 100 % below the reference"},
        ),
        (
            {"stopLoss": {"type": "trailing", "value": "5"}},
            {"stopLoss.type": "must be pct or price"},
        ),
        (
            {"stopLoss": {"type": "pct", "value": "5", "breakEven": "yes"}},
            {"stopLoss.breakEven": "must be true or false"},
        ),
        (
            {"stopLoss": "5 %"},
            {"stopLoss": "must be {type: pct | price, value, breakEven} or null"},
        ),
    ],
)
def test_bad_values_are_422_with_the_field(
    client: Any, alice: Any, change: dict[str, Any], expected: dict[str, str]
) -> None:
    sign_in(client, alice.id)
    assert error_fields(client.post("/api/strategies", json={**BODY, **change})) == expected
    assert client.get("/api/strategies").json() == []
