"""Seeding the demo: the demo user, its synced simulated Binance account and two example
strategies (run once by the `jobs.demo.seed` job that `up --demo` enqueues).

The demo trades on paper only (issue 15): the demo user's global paper mode is on and its
strategies are created in paper mode, so an order is simulated at the trigger price and a
demo never calls an exchange's order endpoint, whatever mode the visitor picks."""

from __future__ import annotations

import secrets
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from exstrat_app.demo.mode import DEMO_EMAIL, DEMO_NICKNAME
from exstrat_app.services.exchanges.demo_guard import assert_demo_target

if TYPE_CHECKING:
    from sqlmodel import Session


def seed_demo() -> str:
    """Create (once) the demo user, its synced demo account and two strategies; returns the
    user id. Safe to run again: an existing demo user is only re-synced."""
    from sqlmodel import select

    from exstrat_app import bootstrap
    from exstrat_app.infra.db.engine import session_scope
    from exstrat_app.models import ExchangeAccount, User
    from exstrat_app.services import strategies
    from exstrat_app.services.auth import signup
    from exstrat_app.services.exchanges import accounts, runner
    from exstrat_app.services.exchanges.context import SyncEnv
    from exstrat_app.services.execution import guardrails
    from simexchange import datasets

    assert_demo_target(bootstrap.settings())
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == DEMO_EMAIL)).first()
        if user is None:
            # Nobody signs in with this password: the "Try the demo" button uses a ticket.
            user = signup(session, email=DEMO_EMAIL, password=secrets.token_urlsafe(24))
            user.is_demo = True
            session.add(user)
        existing = session.exec(
            select(ExchangeAccount).where(ExchangeAccount.user_id == user.id)
        ).first()
        if existing is None:
            account_id = accounts.add_account(
                session,
                bootstrap.secret_box(),
                user_id=user.id,
                exchange="binance",
                api_key=datasets.BINANCE_READONLY_KEY,
                api_secret=datasets.BINANCE_READONLY_SECRET,
                nickname=DEMO_NICKNAME,
                is_demo=True,
            ).id
        else:
            account_id = existing.id
        user_id = user.id
    env = SyncEnv(
        sessions=bootstrap.session_factory(),
        box=bootstrap.secret_box(),
        settings=bootstrap.settings(),
    )
    runner.sync_account(account_id, env=env)
    with bootstrap.unit_of_work() as session:
        guardrails.update_guardrails(session, user_id, paper=True)
        if not strategies.list_strategies(session, user_id=user_id):
            _example_strategies(session, user_id=user_id)
    return user_id


def _example_strategies(session: Session, *, user_id: str) -> None:
    """The seed's ladder on ETH (its last step trailing 3 %, and a stop-loss 15 % below the
    average that moves to break-even after the first step: issue 14), and a BTC ladder whose
    first step is a whisker away."""
    from exstrat_app import bootstrap
    from exstrat_app.models import Strategy
    from exstrat_app.services import strategies

    lots = strategies.exchange_lot_step_lookup(bootstrap.redis())
    eth = strategies.create_strategy(
        session,
        user_id=user_id,
        asset="ETH",
        reference={"type": "avgPrice"},
        steps=[
            {"targetPct": "10", "sellPct": "20"},
            {"targetPct": "40", "sellPct": "59", "trailPct": "3"},
        ],
        stop_loss={"type": "pct", "value": "15", "breakEven": True},
        notify={"email": True, "inApp": True},
        lot_step_lookup=lots,
    )
    btc = bootstrap.price_provider().last_prices(["BTC"], "USDT")["BTC"].price
    # Reference chosen so that +2 % sits 0.2 % above today's price: the random walk
    # crosses it within minutes, so the demo shows a live alert.
    reference = (btc * Decimal("1.002") / Decimal("1.02")).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )
    btc_strategy = strategies.create_strategy(
        session,
        user_id=user_id,
        asset="BTC",
        reference={"type": "custom", "price": str(reference)},
        steps=[{"targetPct": "2", "sellPct": "25"}, {"targetPct": "8", "sellPct": "25"}],
        notify={"email": True, "inApp": True},
        lot_step_lookup=lots,
    )
    for view in (eth, btc_strategy):
        row = session.get(Strategy, view.id)
        if row is not None:
            row.paper = True  # simulated fills only: the demo never places a real order
            session.add(row)
    session.flush()
