"""Fixtures for the order execution tests: the simulated Binance (the small dataset: 3.999 ETH
free, ETH/USDT LOT_SIZE 0.0001, tick 0.01, min notional 5) as EXSTRAT_BINANCE_URL, alice with
a read key and a trading key on it, and the seed strategy (4 ETH at 2000: 0.8 ETH at 2200,
2.36 ETH at 2800) tied to that account."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from simexchange import (
    BINANCE_READONLY_KEY,
    BINANCE_READONLY_SECRET,
    BINANCE_TRADING_KEY,
    BINANCE_TRADING_SECRET,
    SimExchange,
    small_dataset,
)
from tests.alerts.conftest import add_position, create_seed_strategy

D = Decimal


@pytest.fixture(scope="session")
def _sim_server() -> Iterator[SimExchange]:
    server = SimExchange(small_dataset(), clock=time.time)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sim(
    _sim_server: SimExchange, monkeypatch: pytest.MonkeyPatch, redis: Any
) -> Iterator[SimExchange]:
    """The simulated exchange, reset, ETH/USDT at 2000 (below the first target, 2200)."""
    from exstrat_app.settings import get_settings

    server = _sim_server
    server.load(small_dataset())
    server.clear_faults()
    server.set_price("ETH/USDT", "2000")
    server.reset_counts()
    monkeypatch.setenv("EXSTRAT_BINANCE_URL", server.url)
    get_settings.cache_clear()
    yield server
    get_settings.cache_clear()


@pytest.fixture
def box() -> Any:
    from exstrat_app import bootstrap

    return bootstrap.secret_box()


@pytest.fixture
def alice(db: Any) -> Any:
    from exstrat_app.models import User

    user = User(email="alice@example.com", password_hash="x" * 60)
    db.add(user)
    db.commit()
    return user


@pytest.fixture
def account(db: Any, box: Any, alice: Any, sim: SimExchange) -> Any:
    """Alice's Binance account (read key sealed, as `add_account` stores it)."""
    from exstrat_app.infra import exchanges as xa
    from exstrat_app.models import ExchangeAccount, new_id
    from exstrat_app.services.exchanges.sealing import sealed_columns

    account_id = new_id()
    creds = xa.Credentials(api_key=BINANCE_READONLY_KEY, secret=BINANCE_READONLY_SECRET)
    row = ExchangeAccount(
        id=account_id, user_id=alice.id, exchange="binance", key_id=box.current_key_id,
        **sealed_columns(box, account_id=account_id, credentials=creds),
    )  # fmt: skip
    db.add(row)
    db.commit()
    return row


@pytest.fixture
def trading_key(db: Any, box: Any, alice: Any, account: Any) -> Any:
    from exstrat_app.services.execution.trading_keys import set_trading_key

    view = set_trading_key(
        db, box, user_id=alice.id, account_id=account.id,
        api_key=BINANCE_TRADING_KEY, api_secret=BINANCE_TRADING_SECRET,
    )  # fmt: skip
    db.commit()
    return view


def seed_strategy(db: Any, user_id: str, account_id: str, mode: str, paper: bool = False) -> Any:
    from exstrat_app.models import Strategy

    add_position(db, user_id, "ETH", "4.00", "2000")
    strategy = create_seed_strategy(db, user_id, exchange_account_id=account_id)
    db.execute(
        update(Strategy)
        .where(col(Strategy.id) == strategy.id)
        .values(execution_mode=mode, paper=paper)
    )
    db.commit()
    return strategy


def steps_of(db: Any, strategy_id: str) -> list[Any]:
    from exstrat_app.models import StrategyStep

    db.expire_all()
    query = select(StrategyStep).where(StrategyStep.strategy_id == strategy_id)
    return sorted(db.exec(query), key=lambda s: s.position)


def trigger(db: Any, step: Any, price: str) -> None:
    """As the watcher leaves a step it fired (its own tests prove that part)."""
    from exstrat_app.infra.db.types import utcnow
    from exstrat_app.models import StrategyStep

    db.execute(
        update(StrategyStep)
        .where(col(StrategyStep.id) == step.id)
        .values(state="triggered", triggered_at=utcnow(), triggered_price=D(price))
    )
    db.commit()


def order_of(db: Any, step_id: str) -> Any:
    from exstrat_app.models import Order

    db.expire_all()
    return db.exec(select(Order).where(Order.step_id == step_id)).first()


def audit_of(db: Any, order_id: str) -> list[Any]:
    from exstrat_app.models import OrderAudit

    db.expire_all()
    rows = db.exec(select(OrderAudit).where(OrderAudit.order_id == order_id))
    return sorted(rows, key=lambda r: r.at)
