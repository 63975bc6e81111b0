"""Stop-losses on the watch cycle's touches (the rules are `domain/exits.py`'s).

A strategy's stop is judged on the low of the window (on the last price when the strategy was
created after that low, or when its level just moved). With break-even on, it first moves up
to the reference once a step of its strategy fired (a conditional UPDATE from the level read).
It fires once: stop_state active -> fired and the strategy completed, through `firing`, with a
`stop_loss` notification (no step row) saying the price, the level, what is left to sell and
what selling it there realises against the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from redis import Redis
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from exstrat_app.domain.exits import break_even_stop, realised, stop_fire_price
from exstrat_app.domain.money import MONEY_CONTEXT
from exstrat_app.domain.touch import PriceTouch
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Notification, Strategy, StrategyStep
from exstrat_app.services.notifications.wording import (
    KIND_STOP_LOSS,
    StopFacts,
    recipient_locale,
    stop_body,
    stop_title,
)
from exstrat_app.services.strategies.firing import fire_once
from exstrat_app.services.strategies.markets import split_key, watch_key
from exstrat_app.services.strategies.views import REACHED_STATES
from exstrat_app.services.strategies.watcher import Fired


@dataclass(frozen=True)
class StopRow:
    strategy_id: str
    asset: str  # its watch key (`ETH`, `ETH/EUR`)
    ref_price: Decimal
    stop_price: Decimal
    break_even: bool
    moved: bool
    reached: int  # steps of the strategy triggered or done
    created_at: datetime


def stop_rows(
    session: Session, chunks: Sequence[Sequence[tuple[str, PriceTouch]]]
) -> list[StopRow]:
    """Active stops of active strategies on the touched assets (the strategies.asset index)."""
    reached = (
        select(func.count())
        .select_from(StrategyStep)
        .where(
            col(StrategyStep.strategy_id) == col(Strategy.id),
            col(StrategyStep.state).in_(REACHED_STATES),
        )
        .scalar_subquery()
    )
    rows: list[StopRow] = []
    for chunk in chunks:
        keys = {key for key, _ in chunk}
        query = select(
            Strategy.id,
            Strategy.asset,
            Strategy.quote,
            Strategy.ref_price,
            Strategy.stop_price,
            Strategy.stop_break_even,
            col(Strategy.stop_moved_at).is_not(None),
            reached,
            Strategy.created_at,
        ).where(
            col(Strategy.asset).in_(sorted({split_key(key)[0] for key in keys})),
            Strategy.status == "active",
            Strategy.stop_state == "active",
            col(Strategy.stop_price).is_not(None),
        )
        # a EUR stop is compared with the EUR price only: keep the rows of the touched keys
        rows += [
            StopRow(strategy_id, key, *rest)
            for strategy_id, asset, quote, *rest in session.execute(query)
            if (key := watch_key(asset, quote)) in keys
        ]
    return sorted(rows, key=lambda r: (r.asset, r.strategy_id))


def watch_stop(
    engine: Engine, redis: Redis, row: StopRow, touch: PriceTouch, public_url: str
) -> Fired | None:
    level = break_even_stop(
        row.stop_price, row.ref_price, break_even=row.break_even and not row.moved,
        steps_fired=row.reached,
    )  # fmt: skip
    low = touch.low if row.created_at <= touch.low_seen_at else touch.last
    if level != row.stop_price:
        _move_to_break_even(engine, row.strategy_id, row.stop_price, level)
        low = touch.last  # the window's low may have come before the step that moved it
    price = stop_fire_price(level, last=touch.last, low=low)
    if price is None:
        return None
    touched_at = touch.low_seen_at if price != touch.last else None
    return _fire_stop(engine, redis, row, level, price, touched_at, public_url)


def _move_to_break_even(engine: Engine, strategy_id: str, was: Decimal, level: Decimal) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(Strategy)
            .where(
                col(Strategy.id) == strategy_id,
                col(Strategy.stop_state) == "active",
                col(Strategy.stop_moved_at).is_(None),
                col(Strategy.stop_price) == was,
            )
            .values(stop_price=level, stop_moved_at=utcnow())
        )


def _fire_stop(
    engine: Engine,
    redis: Redis,
    row: StopRow,
    level: Decimal,
    price: Decimal,
    touched_at: datetime | None,
    public_url: str,
) -> Fired | None:
    """stop_state active -> fired and the strategy completed, once, at the level judged."""
    now = utcnow()
    claim = (
        update(Strategy)
        .where(
            col(Strategy.id) == row.strategy_id,
            col(Strategy.status) == "active",
            col(Strategy.stop_state) == "active",
            col(Strategy.stop_price) == level,
        )
        .values(
            stop_state="fired",
            stop_fired_at=now,
            stop_fired_price=price,
            status="completed",
            updated_at=now,
        )
    )

    def write(session: Session) -> Notification | None:
        if session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
            return None
        strategy = session.get(Strategy, row.strategy_id)
        assert strategy is not None
        sold = session.exec(
            select(StrategyStep.qty_to_sell).where(
                StrategyStep.strategy_id == strategy.id,
                col(StrategyStep.state).in_(REACHED_STATES),
            )
        ).all()
        with localcontext(MONEY_CONTEXT):
            qty = strategy.base_qty - sum(sold, Decimal(0))
        facts = StopFacts(
            asset=strategy.asset, quote=strategy.quote, stop_price=level, fire_price=price,
            ref_price=strategy.ref_price, qty=qty,
            result=realised(qty, price, strategy.ref_price),
            moved_to_break_even=strategy.stop_moved_at is not None,
            link=f"{public_url.rstrip('/')}/strategies/{strategy.id}", touched_at=touched_at,
            locale=recipient_locale(session, strategy.user_id),
        )  # fmt: skip
        notification = Notification(
            user_id=strategy.user_id,
            kind=KIND_STOP_LOSS,
            strategy_id=strategy.id,
            title=stop_title(facts),
            body=stop_body(facts),
            in_app=strategy.notify_in_app,
            email_status="pending" if strategy.notify_email else "skipped",
        )
        session.add(notification)
        return notification

    # No step row: the alert's id in the cycle report; never an order job (mode "alert").
    return fire_once(
        engine, redis, f"stop:{row.strategy_id}", write, step_id=f"stop:{row.strategy_id}",
        stop=True,
    )  # fmt: skip
