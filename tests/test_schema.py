"""The migration chain builds exactly the models' schema, and money stays exact in it."""

from __future__ import annotations

from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from exstrat_app.models import StrategyStep, User


def test_migrations_match_the_models(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_money_round_trips_38_digits_and_orders_numerically(db) -> None:
    user = User(email="a@example.com", password_hash="x")
    db.add(user)
    db.commit()
    from exstrat_app.models import Strategy

    strategy = Strategy(
        user_id=user.id, asset="ETH", ref_type="custom", ref_price=Decimal("2000"),
        base_qty=Decimal("4"),
    )  # fmt: skip
    db.add(strategy)
    db.commit()
    prices = ["2200", "2199.99", "12345678901234567890.123456789012345678", "0.000000000000000001"]
    for i, price in enumerate(prices):
        db.add(
            StrategyStep(
                strategy_id=strategy.id, asset="ETH", position=i, target_pct=Decimal("1"),
                sell_pct=Decimal("1"), target_price=Decimal(price), qty_to_sell=Decimal("0.8"),
            )
        )  # fmt: skip
    db.commit()
    db.expire_all()
    # Every digit survives the database (SQLite would keep ~15 as a float).
    stored = sorted(s.target_price for s in db.exec(select(StrategyStep)))
    assert stored == sorted(Decimal(p) for p in prices)
    # The watcher's comparison happens in SQL: only 2199.99 and the tiny one are <= 2200 - 0.01.
    hit = db.exec(
        select(StrategyStep.target_price).where(StrategyStep.target_price <= Decimal("2199.99"))
    ).all()
    assert sorted(hit) == [Decimal("0.000000000000000001"), Decimal("2199.99")]
