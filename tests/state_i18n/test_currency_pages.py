"""The portfolio and token pages count in the person's reporting currency: a euro user's
portfolio starts in EUR with "€" amounts, a dollar user's keeps the bare USDT figures the
pages always showed, a picked quote wins over the user's currency, and the token page asks
its figures, its ladders and its chart in the same currency (docs/currencies.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal as D
from types import SimpleNamespace
from typing import Any

import pytest

from exstrat_app import bootstrap
from exstrat_app.i18n import use_locale
from exstrat_app.services.portfolio.views import PortfolioRow, PortfolioTotals, PortfolioView
from exstrat_app.state import base as state_base
from exstrat_app.state import portfolio as portfolio_state
from exstrat_app.state import token as token_state
from exstrat_app.state.charts import last_day_text, last_position_text, money_shown, price_shown
from exstrat_app.state.portfolio import PortfolioState, display_row
from tests.asyncrun import run as run_coroutine

NNBSP, NBSP = "\u202f", "\u00a0"
ETH = PortfolioRow(
    asset="ETH", quantity=D("5.599"), computed_quantity=D("5.599"), avg_price=D("1721.75"),
    price=D("2500"), value=D("13996.5"), pnl=D("4356"), pnl_pct=D("45.2"),
    realized_pnl=D("12"), unexplained=D(0), cost_unknown_qty=D(0),
)  # fmt: skip
TOTALS = PortfolioTotals(value=D("13996.5"), pnl=D("4356"), realized_pnl=D("12"), unpriced=())


@pytest.fixture
def user_in(db: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Any]:
    """A signed-in user counting in `currency` (the handlers take them as signed in)."""
    from exstrat_app.models import User

    def make(currency: str) -> Any:
        user = User(email=f"{currency.lower()}@example.com", password_hash="x", currency=currency)
        db.add(user)
        db.commit()

        async def current_user_id(_state: Any) -> str:
            return user.id

        for module in (portfolio_state, token_state, state_base):
            monkeypatch.setattr(module, "current_user_id", current_user_id)
        return user

    return make


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The quotes the portfolio service is asked in; it answers one ETH row in that quote."""
    quotes: list[str] = []

    def view(_session: Any, *, user_id: str, prices: Any, quote: str) -> PortfolioView:
        quotes.append(quote)
        return PortfolioView(quote, (ETH,), TOTALS)

    monkeypatch.setattr(portfolio_state, "portfolio_view", view)
    monkeypatch.setattr(bootstrap, "price_provider", lambda: SimpleNamespace(last_prices=None))
    return quotes


async def _in_locale(locale: str, step: Any) -> Any:
    with use_locale(locale):  # inside the coroutine's own thread, as the middleware does
        return await step


def loaded(state: PortfolioState, locale: str = "en") -> Any:
    return run_coroutine(_in_locale(locale, PortfolioState.load.fn(state)))


def new_portfolio() -> PortfolioState:
    return PortfolioState(_reflex_internal_init=True)  # type: ignore[call-arg]


def test_a_euro_user_portfolio_starts_in_euros(user_in: Any, asked: list[str]) -> None:
    user_in("EUR")
    state = new_portfolio()
    loaded(state)
    assert asked == ["EUR"]
    assert (state.quote, state.currency, state.money_signed) == ("EUR", "EUR", True)
    assert state.totals["value_money"] == "€13,996.50"
    assert state.totals["pnl_money"] == "+€4,356.00"
    assert state.rows[0]["value"] == "€13,996.50"
    assert state.rows[0]["avg_price"] == "€1,721.75"


def test_a_euro_user_reads_euros_the_french_way(user_in: Any, asked: list[str]) -> None:
    user_in("EUR")
    state = new_portfolio()
    loaded(state, "fr")
    assert state.totals["value_money"] == f"13{NNBSP}996,50{NBSP}€"
    assert state.rows[0]["value"] == f"13{NNBSP}996,50{NBSP}€"


def test_a_dollar_user_keeps_the_usdt_figures(user_in: Any, asked: list[str]) -> None:
    user_in("USD")
    state = new_portfolio()
    events = loaded(state)
    assert asked == ["USDT"]
    assert (state.quote, state.currency, state.money_signed) == ("USDT", "USDT", False)
    assert (state.totals["value"], state.totals["pnl"]) == ("13,996.50", "+4,356.00")
    assert state.rows[0]["value"] == "13,996.50"
    assert state.rows[0]["price"] == "2,500.00"
    assert "USDT" in repr(events)  # the history chart loads in the same quote


def test_the_switch_wins_over_the_users_currency(user_in: Any, asked: list[str]) -> None:
    user_in("EUR")
    state = new_portfolio()
    loaded(state)
    assert PortfolioState.set_quote.fn(state, "USDC") is not None
    loaded(state)
    loaded(state)  # a refresh stays on the picked quote
    assert PortfolioState.set_quote.fn(state, "GBP") is None
    assert asked == ["EUR", "USDC", "USDC"]
    assert (state.quote, state.money_signed) == ("USDC", False)
    assert state.rows[0]["value"] == "13,996.50"


def test_the_table_rows_follow_the_currency() -> None:
    with use_locale("en"):
        assert display_row(ETH)["value"] == "13,996.50"  # as the pages always showed
        assert display_row(ETH, "USDC")["avg_price"] == "1,721.75"
        assert display_row(ETH, "EUR")["price"] == "€2,500.00"
        assert price_shown(D("0.00012345"), "EUR") == "€0.00012345"
        assert price_shown(D("0.5"), "EUR") == "€0.50"
        assert price_shown(None, "EUR") == "—"
        assert money_shown(D("-3.1"), "USDT") == "-3.10"


def day(**figures: str) -> SimpleNamespace:
    return SimpleNamespace(day=date(2024, 1, 1), **{k: D(v) for k, v in figures.items()})


def test_the_history_captions_carry_the_euro_sign() -> None:
    point = day(value="1399", invested="900", realized="0", unrealized="499", income="0")
    position = day(quantity="0.5", price="2798", value="1399", avg_price="1800")
    with use_locale("en"):
        assert last_day_text([point])["value"] == "1,399.00"
        assert last_day_text([point], "EUR")["invested"] == "€900.00"
        assert last_position_text([position], "EUR")["avg"] == "€1,800.00"
        assert last_position_text([position])["avg"] == "1,800.00"
    with use_locale("fr"):
        assert last_day_text([point], "EUR")["value"] == f"1{NNBSP}399,00{NBSP}€"


def test_the_token_page_asks_its_figures_and_ladders_in_the_users_currency(
    user_in: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = user_in("EUR")
    seen: dict[str, str] = {}

    def view(_session: Any, **kwargs: Any) -> Any:
        seen["view"] = kwargs["quote"]
        return SimpleNamespace(quote=kwargs["quote"])

    def targets(_session: Any, **kwargs: Any) -> list[Any]:
        seen["ladders"] = kwargs["quote"]
        return []

    monkeypatch.setattr(token_state, "token_view", view)
    monkeypatch.setattr(token_state.strategies, "ladder_targets", targets)
    monkeypatch.setattr(bootstrap, "price_provider", lambda: SimpleNamespace(last_prices=None))
    page = token_state._view(user.id, "ETH", 1, 1)
    assert seen == {"view": "EUR", "ladders": "EUR"}
    assert page.quote == "EUR"


def test_a_euro_chart_without_an_eur_market_divides_by_eurusdt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d1, d2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    markets = {"SOL/USDT": [(d1, "110"), (d2, "120")], "EUR/USDT": [(d1, "1.1")]}

    def closes(asset: str, *, quote: str, days: int, redis: Any) -> list[Any]:
        return markets.get(f"{asset}/{quote}", [])

    monkeypatch.setattr(token_state, "daily_closes", closes)
    monkeypatch.setattr(bootstrap, "redis", lambda: None)
    assert token_state._closes("SOL", "EUR") == [(d1, "100")]  # no EURUSDT on day 2: left out
    assert token_state._closes("SOL", "USDT") == markets["SOL/USDT"]
