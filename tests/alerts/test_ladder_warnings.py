"""Warnings while drafting a ladder: worked examples, over the API (preview and creation),
in English and French. ETH is at 2,000 USDT on the simulated Binance; the position is 4 ETH
at an average of 2,000 USDT."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exstrat_app.i18n import formats
from exstrat_app.services import strategies as svc
from simexchange import SimExchange
from tests.alerts.conftest import create_seed_strategy, lot_0001, sign_in

D = Decimal


@pytest.fixture(autouse=True)
def _fixed_lot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svc, "exchange_lot_step_lookup", lambda _redis: lot_0001)


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "asset": "ETH",
        "reference": {"type": "avgPrice"},
        "steps": [{"targetPct": "10", "sellPct": "20"}, {"targetPct": "40", "sellPct": "59"}],
        **overrides,
    }


def warnings_of(answer: Any) -> list[tuple[str, str]]:
    return [(w["code"], w["message"]) for w in answer.json()["warnings"]]


def test_a_plain_ladder_has_no_warnings(
    client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    sign_in(client, alice.id)
    answer = client.post("/api/strategies/preview", json=body())
    assert answer.status_code == 200, answer.text
    assert answer.json()["warnings"] == []


def test_a_step_already_reached_would_fire_now(
    client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    # Reference 1,800: +10 % is 1,980, below the price of 2,000 -> fires now;
    # +40 % is 2,520, above it -> no warning for step 2.
    sign_in(client, alice.id)
    answer = client.post(
        "/api/strategies/preview", json=body(reference={"type": "custom", "price": "1800"})
    )
    assert answer.status_code == 200, answer.text
    assert warnings_of(answer) == [
        ("fires_now", "Step 1 would fire now: its target $1,980 is already reached (price $2,000).")
    ]


def test_a_base_quantity_over_the_position(
    client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    # 5 ETH as the base, 4 ETH held.
    sign_in(client, alice.id)
    answer = client.post("/api/strategies/preview", json=body(baseQty="5"))
    assert warnings_of(answer) == [
        ("more_than_held", "The base quantity 5 is more than the 4 ETH you hold.")
    ]


def test_other_active_ladders_plan_more_than_held(
    db: Any, client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    # The seed ladder plans 0.8 + 2.36 = 3.16 ETH. The new one: 50 % + 40 % of 4 = 3.6 ETH.
    # 3.16 + 3.6 = 6.76 ETH of the 4 held: 169 %.
    create_seed_strategy(db, alice.id)
    sign_in(client, alice.id)
    steps = [{"targetPct": "20", "sellPct": "50"}, {"targetPct": "50", "sellPct": "40"}]
    answer = client.post("/api/strategies", json=body(steps=steps))
    assert answer.status_code == 201, answer.text
    assert warnings_of(answer) == [
        (
            "over_planned",
            "With your other active ladders on ETH, 169 % of what you hold is planned for sale.",
        )
    ]
    # The warning is the creation's answer only; the stored ladder is as asked.
    assert "warnings" not in client.get(f"/api/strategies/{answer.json()['id']}").json()


def test_a_paused_ladder_is_not_counted(
    db: Any, client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    seed = create_seed_strategy(db, alice.id)
    svc.pause_strategy(db, user_id=alice.id, strategy_id=seed.id)
    db.commit()
    sign_in(client, alice.id)
    steps = [{"targetPct": "20", "sellPct": "50"}, {"targetPct": "50", "sellPct": "40"}]
    assert client.post("/api/strategies/preview", json=body(steps=steps)).json()["warnings"] == []


def test_warnings_in_french(
    db: Any, client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    create_seed_strategy(db, alice.id)
    sign_in(client, alice.id)
    answer = client.post(
        "/api/strategies/preview",
        json=body(reference={"type": "custom", "price": "1800"}, baseQty="5"),
        headers={"Accept-Language": "fr"},
    )
    target, price = formats.money(D("1980"), "USDT", "fr"), formats.money(D("2000"), "USDT", "fr")
    nb = "\u00a0"
    assert warnings_of(answer) == [
        (
            "fires_now",
            f"Le palier 1 se déclencherait tout de suite{nb}: son prix cible {target} est déjà "
            f"atteint (prix {price}).",
        ),
        ("more_than_held", "La quantité de base 5 dépasse les 4 ETH que vous détenez."),
        (
            # 3.16 + 5 x (20 % + 59 %) = 3.16 + 3.95 = 7.11 ETH of 4: 177,8 %.
            "over_planned",
            f"Avec vos autres stratégies actives sur ETH, 177,8{nb}% de ce que vous détenez "
            "est prévu à la vente.",
        ),
    ]


def test_the_dialog_gets_the_preview_warnings(
    alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    from exstrat_app.i18n import render
    from exstrat_app.state.strategy_form import blank_step, form_warnings, preview_form

    form = {
        "asset": "ETH",
        "ref_type": "custom",
        "custom_price": "1800",
        "base_qty": "5",
        "steps": [blank_step("10", "20"), blank_step("40", "59")],
        "notify_email": True,
        "notify_in_app": True,
        "name": "",
        "stop_on": False,
    }
    view = preview_form(alice.id, form)
    assert [render(w.message) for w in form_warnings(alice.id, view)] == [
        "Step 1 would fire now: its target $1,980 is already reached (price $2,000).",
        "The base quantity 5 is more than the 4 ETH you hold.",
    ]
