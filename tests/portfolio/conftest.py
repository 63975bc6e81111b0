"""Fixtures of the portfolio tests: users, an account with its rows, and an API client whose
last prices are a fixed table (no price provider, no exchange)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

BASE_URL = "http://testserver"


class Priced:
    def __init__(self, price: str) -> None:
        self.price = Decimal(price)


def fixed_prices(table: dict[str, str]) -> Any:
    def prices(assets: list[str], quote: str) -> dict[str, Priced]:
        return {a: Priced(table[a]) for a in assets if a in table}

    return prices


class NoMarkets:
    """An exchange that lists nothing: every price not in PriceCandle is unavailable."""

    id = "binance"
    markets: dict[str, Any] = {}
    currencies: dict[str, Any] = {}

    def load_markets(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {}


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from exstrat_app.models import User

    def _make(email: str = "alice@example.com") -> Any:
        user = User(email=email, password_hash="not-a-real-hash")
        db.add(user)
        db.commit()
        return user

    return _make


@pytest.fixture
def prices_table() -> dict[str, str]:
    return {"ETH": "2500", "SOL": "150"}


@pytest.fixture
def client(db: Any, redis: Any, prices_table: dict[str, str]) -> Iterator[TestClient]:
    from exstrat_app.api import create_api
    from exstrat_app.api.portfolio import last_prices

    app = create_api()
    app.dependency_overrides[last_prices] = lambda: fixed_prices(prices_table)
    with TestClient(app, base_url=BASE_URL, headers={"Origin": BASE_URL}) as c:
        yield c


def sign_in(client: TestClient, user_id: str) -> None:
    from exstrat_app.services.auth import issue_session_token
    from exstrat_app.settings import get_settings

    client.cookies.set("exstrat_session", issue_session_token(get_settings(), user_id=user_id))
