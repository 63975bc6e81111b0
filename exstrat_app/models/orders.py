"""Order execution: the separate trading key, the user's guardrails, the orders
placed for steps and the audit trail of every request sent for them.

The trading key is sealed like the read key (AES-GCM, its row id and column as associated
data) and is only ever opened to place, look up or cancel an order: syncs never use it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from exstrat_app.infra.db.types import Money, UTCDateTime, utcnow


def new_id() -> str:
    return uuid.uuid4().hex


def moment(*, nullable: bool = False, now: bool = False) -> datetime:
    return Field(  # type: ignore[no-any-return]
        default_factory=utcnow if now else None, sa_type=UTCDateTime, nullable=nullable
    )


class TradingKey(SQLModel, table=True):
    """An exchange account's optional second key: may trade spot, never withdraw/transfer."""

    __tablename__ = "trading_keys"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    exchange_account_id: str = Field(
        foreign_key="exchange_accounts.id", unique=True, index=True, max_length=32
    )
    api_key_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    api_secret_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    api_pass_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    key_id: str = Field(max_length=16)  # which ENCRYPTION_KEY sealed it
    status: str = Field(default="ok", max_length=10)  # ok | refused (rights changed later)
    problem: str | None = Field(default=None, max_length=500)  # why it was refused, in words
    checked_at: datetime = moment(now=True)
    created_at: datetime = moment(now=True)


class ExecutionSettings(SQLModel, table=True):
    """A user's guardrails: the kill switch, the daily cap on sold value, global paper mode."""

    __tablename__ = "execution_settings"
    user_id: str = Field(foreign_key="users.id", primary_key=True, max_length=32)
    kill_switch: bool = Field(default=False)
    daily_cap: Decimal | None = Field(default=None, sa_type=Money, nullable=True)  # quote/day
    paper: bool = Field(default=False)
    updated_at: datetime = moment(now=True)


class Order(SQLModel, table=True):
    """The order placed (or simulated, or refused) for one step; at most one per step.

    `client_order_id` is derived from the step id, so a retry after a lost answer finds the
    order the exchange already accepted instead of placing a second one.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("step_id"),
        UniqueConstraint("client_order_id"),
        Index("ix_orders_user_created", "user_id", "created_at"),
        Index("ix_orders_status", "status"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", max_length=32)
    strategy_id: str = Field(foreign_key="strategies.id", index=True, max_length=32)
    step_id: str = Field(foreign_key="strategy_steps.id", max_length=32)
    exchange_account_id: str | None = Field(
        default=None, foreign_key="exchange_accounts.id", max_length=32
    )
    client_order_id: str = Field(max_length=36)
    exchange_order_id: str | None = Field(default=None, max_length=64)
    symbol: str = Field(max_length=40)
    side: str = Field(default="sell", max_length=4)
    # awaiting_confirmation | expired | sending | open | partially_filled | filled | cancelled
    # | failed | stopped (kill switch / cap)
    status: str = Field(max_length=24)
    paper: bool = Field(default=False)
    price: Decimal | None = Field(default=None, sa_type=Money, nullable=True)
    qty: Decimal | None = Field(default=None, sa_type=Money, nullable=True)
    filled_qty: Decimal = Field(default=Decimal(0), sa_type=Money)
    avg_fill_price: Decimal | None = Field(default=None, sa_type=Money, nullable=True)
    trigger_price: Decimal = Field(sa_type=Money)
    reason: str | None = Field(default=None, max_length=500)  # in words, for the person
    confirm_by: datetime | None = moment(nullable=True)
    sent_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment(now=True)
    updated_at: datetime = moment(now=True)


class OrderAudit(SQLModel, table=True):
    """Every request sent for an order and what came back, without secrets (no key, no
    signature: the adapter records the order's own parameters only)."""

    __tablename__ = "order_audit"
    __table_args__ = (Index("ix_order_audit_order_at", "order_id", "at"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    order_id: str = Field(foreign_key="orders.id", max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    action: str = Field(max_length=16)  # check_key | place | lookup | status | cancel | paper
    request: str = Field(max_length=2000)
    response: str = Field(max_length=2000)
    ok: bool = Field(default=True)
    at: datetime = moment(now=True)
