"""Field limits of the pages' setters (issue 12 point 3/5): an oversized or unstorable value
sent to a setter over the websocket is refused with a message and never kept in the state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from exstrat_app.state import exchanges as exchanges_state
from exstrat_app.state.exchanges import ExchangesState
from exstrat_app.state.field_limits import text_refusal
from exstrat_app.state.strategy_dialog import StrategyDialogState
from tests.asyncrun import run as run_coroutine

HUGE = "9" * 900_000


def dialog() -> StrategyDialogState:
    return StrategyDialogState(_reflex_internal_init=True)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("setter", "attr", "key"),
    [
        ("set_name", "name", "name"),
        ("set_custom_price", "custom_price", "reference.price"),
        ("set_base_qty", "base_qty", "baseQty"),
        ("set_asset", "asset", "asset"),
    ],
)
@pytest.mark.parametrize("value", [HUGE, "ok\x00name", "\ud800", 12])
def test_dialog_setters_refuse_what_cannot_be_kept(setter, attr, key, value):
    state = dialog()
    before = getattr(state, attr)
    result = getattr(StrategyDialogState, setter).fn(state, value)
    assert result is None  # no preview for a refused value
    assert getattr(state, attr) == before
    assert state.errors[key]
    assert state.message


def test_dialog_setters_keep_normal_values():
    state = dialog()
    StrategyDialogState.set_name.fn(state, "Take profit " + "x" * 80)
    StrategyDialogState.set_custom_price.fn(state, "2500.123456789012345678")
    StrategyDialogState.set_base_qty.fn(state, "1.5")
    assert (state.custom_price, state.base_qty) == ("2500.123456789012345678", "1.5")
    assert state.errors == {}


def test_a_step_percentage_is_bounded_too():
    state = dialog()
    before = [dict(s) for s in state.steps]
    assert StrategyDialogState.set_step.fn(state, 0, "target_pct", HUGE) is None
    assert state.steps == before and state.errors["steps.0.targetPct"]
    assert StrategyDialogState.set_step.fn(state, 99, "target_pct", "1") is not None  # ignored


async def _drain(handler: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in handler]


def test_adding_an_exchange_refuses_oversized_fields_before_the_service(monkeypatch):
    async def signed_in(_state: Any) -> str:
        return "u1"

    def no_add(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("reached the service")

    monkeypatch.setattr(exchanges_state, "current_user_id", signed_in)
    monkeypatch.setattr(exchanges_state, "_add", no_add)
    state = ExchangesState(_reflex_internal_init=True)  # type: ignore[call-arg]
    form = {"api_key": "k" * 20, "api_secret": "s" * 20, "api_pass": "", "nickname": HUGE}
    run_coroutine(_drain(ExchangesState.add.fn(state, form)))
    assert "nickname" in state.add_fields and "at most 100" in state.add_fields["nickname"]
    assert not state.adding
    form = {"api_key": "k\x00" * 10, "api_secret": "s" * 20, "api_pass": "", "nickname": ""}
    run_coroutine(_drain(ExchangesState.add.fn(state, form)))
    assert "api_key" in state.add_fields


def test_text_refusal():
    assert text_refusal("abc", 3) is None
    assert text_refusal("abcd", 3) == "must be at most 3 characters"
    assert text_refusal(None, 3) == "must be text"
