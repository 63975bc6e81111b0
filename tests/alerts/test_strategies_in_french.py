"""The ladder's words in French: the API's field errors (the money core's too, recognised from
their English), the dialog's step rules, and the reason an EUR ladder cannot sell."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exstrat_app.i18n import render, use_locale
from exstrat_app.models import Strategy
from exstrat_app.services import strategies as svc
from exstrat_app.services.execution.eur_market import eur_sale_problem
from exstrat_app.services.strategies.views import StepView
from exstrat_app.state.strategy_form import step_rule
from tests.alerts.conftest import add_position, lot_0001, sign_in

D = Decimal
NB = "\u00a0"


@pytest.fixture(autouse=True)
def _fixed_lot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svc, "exchange_lot_step_lookup", lambda _redis: lot_0001)


def test_the_api_says_what_is_wrong_with_a_ladder_in_french(
    client: Any, db: Any, alice: Any
) -> None:
    add_position(db, alice.id, "ETH", "4", "2000")
    sign_in(client, alice.id)
    body = {
        "asset": "ETH",
        "quote": "GBP",
        "reference": {"type": "avgPrice"},
        "steps": [{"targetPct": "10", "sellPct": "70"}, {"targetPct": "5", "sellPct": "50"}],
    }
    answer = client.post("/api/strategies", json=body, headers={"Accept-Language": "fr"})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"]["quote"] == "doit être USDT ou EUR"

    answer = client.post(
        "/api/strategies", json={**body, "quote": "EUR"}, headers={"Accept-Language": "fr"}
    )
    fields = answer.json()["error"]["fields"]
    assert fields["reference"] == (
        f"aucun prix moyen d'achat n'est encore connu pour ETH{NB}: synchronisez un compte qui "
        "en détient, ou utilisez un prix de référence personnalisé"
    )

    answer = client.post(
        "/api/strategies", json={**body, "quote": "USDT"}, headers={"Accept-Language": "fr"}
    )
    fields = answer.json()["error"]["fields"]
    assert fields["steps"] == (
        f"les pourcentages de vente totalisent 120{NB}%{NB}; ils doivent totaliser 100{NB}% au "
        "maximum"
    )
    assert fields["steps.1.targetPct"] == (
        f"les cibles doivent augmenter{NB}: 5{NB}% n'est pas au-dessus des 10{NB}% du palier "
        "précédent"
    )


def test_the_dialog_says_each_step_rule_in_french() -> None:
    step = StepView(
        id=None, position=0, target_pct=D("10"), sell_pct=D("20"), target_price=D("2200"),
        qty_to_sell=D("0.8"), proceeds=D("1760"), state="pending",
    )  # fmt: skip
    with use_locale("fr"):
        assert step_rule(step).startswith("Alerte quand le prix atteint ")
    with use_locale("en"):
        assert step_rule(step).startswith("Alert when the price reaches ")


def test_why_an_eur_ladder_cannot_sell_in_french() -> None:
    strategy = Strategy(
        user_id="u", asset="SOL", quote="EUR", watched_on="SOL/USDT via EUR/USDT",
        ref_type="custom", ref_price=D("130"), base_qty=D("10"),
    )  # fmt: skip
    problem = eur_sale_problem(strategy)
    assert problem is not None
    assert render(problem, "fr") == (
        f"La vente est indisponible pour cette stratégie{NB}: Binance ne propose pas de marché "
        "SOL/EUR, et une stratégie en euros ne vend que sur SOL/EUR."
    )
    direct = Strategy(
        user_id="u", asset="ETH", quote="EUR", watched_on="ETH/EUR", ref_type="custom",
        ref_price=D("1850"), base_qty=D("4"),
    )  # fmt: skip
    assert eur_sale_problem(direct) is None
