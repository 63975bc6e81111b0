"""Big accounts seeded straight into a database (the browser scale tests and `bench/pages.py`):
N assets with their positions and balances, one asset with N trades, N strategies.

Bulk inserts (one executemany per table): 20,000 ORM objects would take longer to seed than
the page takes to show them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from exstrat_app.models import (
    Balance,
    ExchangeAccount,
    Position,
    Strategy,
    StrategyStep,
    Trade,
    User,
    new_id,
)
from exstrat_app.services.auth import hash_password
from tests.browser.helpers import PASSWORD

STRATEGY_STEPS = 3
T0 = datetime(2023, 1, 1, tzinfo=UTC)


def _user(session: Session, email: str, currency: str = "USD") -> tuple[str, str]:
    user = User(email=email, password_hash=hash_password(PASSWORD), currency=currency)
    session.add(user)
    session.flush()
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", nickname="seeded", api_key_enc=b"-",
        api_secret_enc=b"-", key_id="seed", status="connected",
    )  # fmt: skip
    session.add(account)
    session.flush()
    return user.id, account.id


EURUSDT = Decimal("1.10")  # the euro book of a seeded position: its dollar figures / 1.10


def _position(user_id: str, asset: str, qty: Decimal, avg: Decimal) -> dict[str, Any]:
    eur_avg = (avg / EURUSDT).quantize(Decimal("0.00000001"))
    return dict(
        id=new_id(), user_id=user_id, asset=asset, quote="USDT", quantity=qty, computed_qty=qty,
        cost_basis=qty * avg, avg_price=avg.quantize(Decimal("0.00000001")),
        realized_pnl=Decimal(0), unknown_cost_qty=Decimal(0), income=Decimal(0),
        eur_cost_basis=qty * eur_avg, eur_avg_price=eur_avg, eur_realized_pnl=Decimal(0),
        eur_income=Decimal(0), updated_at=T0,
    )  # fmt: skip


def _balance(account_id: str, asset: str, qty: Decimal) -> dict[str, Any]:
    return dict(id=new_id(), exchange_account_id=account_id, wallet="spot", asset=asset,
                free=qty, locked=Decimal(0), fetched_at=T0)  # fmt: skip


def seed_portfolio(engine: Any, email: str, assets: int, currency: str = "USD") -> str:
    """X000..X{n-1}: X{i} holds (i+1)/8 at an average of (1000+i)/7 (no price: none is quoted),
    in euros (1000+i)/7/1.10; the user reports in `currency`."""
    with Session(engine) as session:
        user_id, account_id = _user(session, email, currency)
        balances, positions = [], []
        for i in range(assets):
            asset = f"X{i:03d}"
            qty = Decimal(i + 1) / Decimal(8)
            balances.append(_balance(account_id, asset, qty))
            positions.append(_position(user_id, asset, qty, Decimal(1000 + i) / Decimal(7)))
        session.execute(insert(Balance), balances)
        session.execute(insert(Position), positions)
        session.commit()
    return user_id


def seed_trades(engine: Any, email: str, asset: str, trades: int) -> str:
    """`trades` buys of 1 `asset` at 10 USDT, one a minute; trade k (1..n) has exchange id k."""
    with Session(engine) as session:
        user_id, account_id = _user(session, email)
        rows = [
            dict(
                id=new_id(),
                exchange_account_id=account_id,
                exchange_trade_id=str(k),
                order_id=None,
                symbol=f"{asset}/USDT",
                base=asset,
                quote="USDT",
                side="buy",
                price=Decimal(10),
                amount=Decimal(1),
                cost=Decimal(10),
                fee_asset=None,
                fee_cost=None,
                ts=T0 + timedelta(minutes=k),
                kind="trade",
            )
            for k in range(1, trades + 1)
        ]
        session.execute(insert(Trade), rows)
        session.execute(insert(Balance), [dict(
            id=new_id(), exchange_account_id=account_id, wallet="spot", asset=asset,
            free=Decimal(trades), locked=Decimal(0), fetched_at=T0)])  # fmt: skip
        session.execute(insert(Position), [_position(user_id, asset, Decimal(trades), Decimal(10))])
        session.commit()
    return user_id


def seed_strategies(engine: Any, email: str, total: int) -> str:
    """`total` active ladders on S000.., each of STRATEGY_STEPS pending steps (+10 %, ...)."""
    with Session(engine) as session:
        user_id, _ = _user(session, email)
        strategies, steps = [], []
        for i in range(total):
            sid, ref = new_id(), Decimal(100 + i)
            strategies.append(dict(
                id=sid, user_id=user_id, asset=f"S{i:03d}", quote="USDT", name=f"ladder {i}",
                ref_type="custom", ref_price=ref, base_qty=Decimal(10), status="active",
                created_at=T0 + timedelta(minutes=i), updated_at=T0,
            ))  # fmt: skip
            for p in range(STRATEGY_STEPS):
                pct = Decimal(10 * (p + 1))
                steps.append(dict(
                    id=new_id(), strategy_id=sid, asset=f"S{i:03d}", position=p, target_pct=pct,
                    sell_pct=Decimal(25), target_price=ref * (1 + pct / 100),
                    qty_to_sell=Decimal("2.5"), state="pending",
                ))  # fmt: skip
        session.execute(insert(Strategy), strategies)
        session.execute(insert(StrategyStep), steps)
        session.commit()
    return user_id
