"""A user with a Binance account (keys to be set by the test) and the seed's ETH ladder on it,
written straight into the shared app's database: the start of the order-execution tests."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from exstrat_app.models import ExchangeAccount, User
from exstrat_app.services.auth import hash_password
from tests.alerts.conftest import add_position, create_seed_strategy
from tests.browser.helpers import PASSWORD


def seed_binance_ladder(app: Any, email: str) -> tuple[str, str]:
    """(account id, strategy id): 4 ETH at 2000 and the seed ladder, on a Binance account."""
    with Session(app.engine) as s:
        user = User(email=email, password_hash=hash_password(PASSWORD))
        s.add(user)
        s.flush()
        account = ExchangeAccount(
            user_id=user.id, exchange="binance", nickname="orders", api_key_enc=b"-",
            api_secret_enc=b"-", key_id="seed", status="connected",
        )  # fmt: skip
        s.add(account)
        s.commit()
        add_position(s, user.id, "ETH", "4.00", "2000")
        strategy = create_seed_strategy(s, user.id, exchange_account_id=account.id)
        s.commit()
        return account.id, strategy.id
