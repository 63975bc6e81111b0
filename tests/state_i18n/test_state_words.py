"""What the states write for a person, in French under `use_locale("fr")` (as the socket
middleware sets it for an event) and unchanged in English: service errors rendered, form
errors, status words, sentences with figures in them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from decimal import Decimal as D
from types import SimpleNamespace
from typing import Any

from exstrat_app.i18n import N_, use_locale
from exstrat_app.services.errors import InvalidInput, ServiceError
from exstrat_app.state import strategies as strategies_state
from exstrat_app.state.account_data import AccountDataState, deleted_notice
from exstrat_app.state.charts import gap_text
from exstrat_app.state.exchanges import eta_text
from exstrat_app.state.field_errors import error_text, field_texts
from exstrat_app.state.field_limits import invalid_fields_text, text_refusal
from exstrat_app.state.password_reset import PasswordResetState
from exstrat_app.state.portfolio import _problem, allocation, totals_text
from exstrat_app.state.sessions import browser_words
from exstrat_app.state.strategies import StrategiesState
from tests.asyncrun import run as run_coroutine

NNBSP, NBSP = "\u202f", "\u00a0"
AT = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)


def state_of(cls: type) -> Any:
    return cls(_reflex_internal_init=True)


async def drain(handler: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in handler]


async def in_locale(locale: str, step: Awaitable[Any]) -> Any:
    """Run a handler in `locale`, as the socket middleware sets it around an event (the
    test's coroutine runs in a thread of its own: the locale is set inside it)."""
    with use_locale(locale):
        return await step


def test_a_service_error_is_shown_in_french() -> None:
    exc = InvalidInput(N_("No such user."), fields={"email": N_("No such user.")})
    with use_locale("fr"):
        assert error_text(exc) == "Utilisateur introuvable."
        assert field_texts(exc.fields) == {"email": "Utilisateur introuvable."}
        assert _problem(exc) == "Utilisateur introuvable."
        assert _problem(RuntimeError()) == (
            f"Le portefeuille n'a pas pu être chargé{NBSP}; veuillez réessayer dans un instant."
        )
    assert error_text(exc) == "No such user."
    assert error_text(ServiceError("plain text")) == "plain text"  # not a Msg: as it came


def test_a_states_helper_keeps_the_error_in_french() -> None:
    state = state_of(StrategiesState)
    with use_locale("fr"):
        state._failed(ServiceError(N_("No such user.")))
    assert state.error == "Utilisateur introuvable."
    assert (state.rows, state.loading, state.loaded) == ([], False, True)


def test_the_form_errors_follow_the_locale() -> None:
    reset = state_of(PasswordResetState)
    run_coroutine(
        in_locale("fr", drain(PasswordResetState.submit_reset.fn(reset, {"password": "a"})))
    )
    assert reset.field_errors == {"confirm": "Les deux mots de passe sont différents."}
    assert reset.confirm_error == "Les deux mots de passe sont différents."  # the mixin's
    assert reset.email_error == ""

    data = state_of(AccountDataState)
    run_coroutine(in_locale("fr", AccountDataState.delete_account.fn(data, {"confirm": "nope"})))
    assert data.confirm_error == "Tapez DELETE (en majuscules) pour confirmer."
    run_coroutine(AccountDataState.delete_account.fn(data, {"confirm": "nope"}))
    assert data.confirm_error == "Type DELETE (in capitals) to confirm."


def test_notices_and_refusals_in_french() -> None:
    with use_locale("fr"):
        assert deleted_notice({"notice": "account-deleted"}).startswith("Votre compte et toutes")
        assert text_refusal("abcd", 3) == "doit contenir au plus 3 caractères"
        assert invalid_fields_text({"api_secret": text_refusal(None, 3) or ""}) == (
            f"Certains champs ne sont pas valides{NBSP}: «{NBSP}secret API{NBSP}» doit être "
            "du texte"
        )
        assert eta_text(125) == " · environ 2 min 05 s restantes"
        assert browser_words("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0") == (
            "Firefox sous Linux"
        )
    assert invalid_fields_text({"api_secret": "must be text"}) == (
        "Some fields are invalid: api secret must be text"
    )


def test_portfolio_totals_carry_the_reporting_currency() -> None:
    totals = SimpleNamespace(value=D("1721.75"), pnl=D("12"), realized_pnl=D("-3.1"))
    with use_locale("fr"):
        text = totals_text(totals, "EUR")  # type: ignore[arg-type]
        other = allocation(
            {"ETH": SimpleNamespace(value=D("1"))}  # type: ignore[dict-item]
            | {f"A{i}": SimpleNamespace(value=D("1")) for i in range(8)}
        )
    assert text["value"] == f"1{NNBSP}721,75"
    assert text["value_money"] == f"1{NNBSP}721,75{NBSP}€"
    assert text["pnl_money"] == f"+12,00{NBSP}€"
    assert text["realized_money"] == f"-3,10{NBSP}€"
    assert other[-1]["name"] == "Autres" and other[-1]["share"] == f"22,2{NBSP}%"
    english = totals_text(totals, "USDT")  # type: ignore[arg-type]
    assert (english["value"], english["value_money"]) == ("1,721.75", "$1,721.75")


def step(**changes: Any) -> Any:
    base = {"trail_pct": D("2"), "state": "armed", "peak_price": D("2300"),
            "fire_price": D("2254"), "armed_at": AT, "target_price": D("2200")}  # fmt: skip
    return SimpleNamespace(**(base | changes))


def test_a_trailing_step_in_words() -> None:
    assert strategies_state.trailing_text(step()) == (
        "trailing 2 %: armed since 2026-12-07 14:05 UTC, peak 2,300.00, alerts at 2,254.00"
    )
    with use_locale("fr"):
        assert strategies_state.trailing_text(step()) == (
            f"suiveur 2{NBSP}%{NBSP}: armé depuis le 7 déc. 2026 14:05 UTC, plus haut "
            f"2{NNBSP}300,00, alerte à 2{NNBSP}254,00"
        )
        assert strategies_state.trailing_text(step(state="pending")) == (
            f"suiveur 2{NBSP}%{NBSP}: s'arme à 2{NNBSP}200,00"
        )


def test_a_stop_loss_in_words() -> None:
    stop = SimpleNamespace(state="active", fired_price=None, price=D("1900"), qty=D("4"),
                           result=D("-400"), moved_at=None, break_even=True)  # fmt: skip
    view = SimpleNamespace(stop=stop, quote="USDT", asset="ETH")
    assert strategies_state.stop_text(view) == (  # type: ignore[arg-type]
        "1,900.00: selling the 4 ETH left realises -400.00 USDT (moves to break-even after "
        "the first step)"
    )
    with use_locale("fr"):
        assert strategies_state.stop_text(view) == (  # type: ignore[arg-type]
            f"1{NNBSP}900,00{NBSP}: vendre les 4 ETH restants rapporte -400,00 USDT (remonte "
            "au point mort après le premier palier)"
        )


def test_the_history_gap_sentence() -> None:
    gaps = [SimpleNamespace(asset="ETH", held=D("2.5"), explained=D("2"))]
    with use_locale("fr"):
        assert gap_text(gaps) == (  # type: ignore[arg-type]
            f"L'historique valorise ce que vos trades et transferts expliquent{NBSP}: 2 des "
            "2,5 ETH détenus (les chiffres ci-dessus valorisent ce que l'exchange détient "
            "aujourd'hui)."
        )
    many = [SimpleNamespace(asset=f"A{i}", held=D("1"), explained=D("0")) for i in range(6)]
    assert gap_text(many).endswith(  # type: ignore[arg-type]
        "0 of the 1 A4 held and 1 more asset (the figures above value what the exchange holds "
        "today)."
    )
