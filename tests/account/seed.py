"""A person with a row in every table that can hold theirs, the secrets they were made with,
and an independent count of each person's rows (walking the foreign keys of
`SQLModel.metadata`, not the service's rules)."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyotp
from sqlalchemy import func, or_, select
from sqlmodel import SQLModel

from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import (
    ApiToken,
    Balance,
    Channel,
    ChannelDelivery,
    EmailChange,
    EmailConfirmation,
    ExchangeAccount,
    ExecutionSettings,
    Notification,
    OpeningPosition,
    Order,
    OrderAudit,
    PasswordReset,
    Position,
    PriceCandle,
    Strategy,
    StrategyExecution,
    StrategyStep,
    SyncCursor,
    Trade,
    TradingKey,
    Transfer,
    UnvaluedItem,
    User,
    UserSession,
    ValueHistoryDay,
    ValueHistorySnapshot,
    ValueHistoryState,
    new_id,
)
from exstrat_app.services.auth import totp
from exstrat_app.services.exchanges.sealing import sealed_columns

D = Decimal
EXACT = "0.123456789012345678"  # 18 decimals: a lost digit shows


@dataclass
class Seeded:
    user_id: str
    email: str
    account_id: str
    strategy_id: str
    secrets: dict[str, str] = field(default_factory=dict)  # what must never be exported
    totp_secret: str = ""
    recovery_codes: list[str] = field(default_factory=list)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fill(db: Any, box: Any, user: User, *, two_factor: bool = True) -> Seeded:
    """One or more rows of `user` in every table that holds a user's rows."""
    tag = uuid.uuid4().hex
    secrets = {
        "api key": f"READKEY{tag}",
        "api secret": f"READSECRET{tag}",
        "api passphrase": f"READPASS{tag}",
        "trading key": f"TRADEKEY{tag}",
        "trading secret": f"TRADESECRET{tag}",
        "channel url": f"json://127.0.0.1:9/hook-{tag}",
        "password hash": user.password_hash,
        "api token hash": _digest(f"exs_{tag}"),
        "reset link hash": _digest(f"reset-{tag}"),
        "email change hash": _digest(f"change-{tag}"),
        "confirmation hash": _digest(f"confirm-{tag}"),
        "session jti": f"{tag}.session",
        "channel test token": tag[:16],
    }
    seeded = Seeded(user.id, user.email, new_id(), new_id(), secrets)
    _accounts(db, box, seeded)
    _portfolio(db, seeded)
    _strategy(db, seeded)
    _alerts(db, box, seeded)
    _sign_in_rows(db, seeded)
    if two_factor:
        turn_on_two_factor(db, box, user, seeded)
    db.commit()
    return seeded


def turn_on_two_factor(db: Any, box: Any, user: User, seeded: Seeded) -> None:
    seeded.totp_secret = pyotp.random_base32(length=32)
    seeded.secrets["totp seed"] = seeded.totp_secret
    row = db.get(User, user.id)
    row.totp_secret_enc = box.seal(seeded.totp_secret, row_id=user.id, column=totp.SEALED_AS)
    row.totp_key_id = box.current_key_id
    row.totp_enabled_at = utcnow()
    db.add(row)
    db.flush()
    seeded.recovery_codes = totp.new_recovery_codes(db, user.id)
    db.commit()


def totp_code(seeded: Seeded) -> str:
    return str(pyotp.TOTP(seeded.totp_secret).at(time.time()))


def _accounts(db: Any, box: Any, s: Seeded) -> None:
    creds = xa.Credentials(
        api_key=s.secrets["api key"],
        secret=s.secrets["api secret"],
        password=s.secrets["api passphrase"],
    )
    db.add(
        ExchangeAccount(
            id=s.account_id,
            user_id=s.user_id,
            exchange="coinbase",
            nickname="Main",
            key_id=box.current_key_id,
            **sealed_columns(box, account_id=s.account_id, credentials=creds),
        )
    )
    db.flush()
    key_row = new_id()
    db.add(
        TradingKey(
            id=key_row,
            exchange_account_id=s.account_id,
            key_id=box.current_key_id,
            api_key_enc=box.seal(s.secrets["trading key"], row_id=key_row, column="api_key"),
            api_secret_enc=box.seal(
                s.secrets["trading secret"], row_id=key_row, column="api_secret"
            ),
        )
    )
    when = datetime(2025, 3, 1, 12, tzinfo=UTC)
    db.add(Balance(exchange_account_id=s.account_id, asset="ETH", free=D(EXACT), locked=D(0)))
    for i in range(3):
        db.add(
            Trade(
                exchange_account_id=s.account_id,
                exchange_trade_id=f"t{i}",
                symbol="ETH/USDC",
                base="ETH",
                quote="USDC",
                side="buy",
                price=D(2000),
                amount=D(EXACT),
                cost=D(EXACT) * 2000,
                ts=when + timedelta(hours=i),
            )
        )
    for i in range(2):
        db.add(
            Transfer(
                exchange_account_id=s.account_id,
                exchange_transfer_id=f"d{i}",
                type="deposit",
                asset="USDC",
                amount=D("1000.5"),
                ts=when - timedelta(days=1, hours=i),
            )
        )
    db.add(SyncCursor(exchange_account_id=s.account_id, kind="fills", key="ETH-USDC", last_id="t2"))


def _portfolio(db: Any, s: Seeded) -> None:
    db.add(
        Position(
            user_id=s.user_id,
            asset="ETH",
            quantity=D(EXACT),
            computed_qty=D(EXACT),
            cost_basis=D(250),
            avg_price=D(2000),
            realized_pnl=D(0),
            unknown_cost_qty=D(0),
        )
    )
    db.add(
        OpeningPosition(
            user_id=s.user_id,
            asset="SOL",
            quantity=D(3),
            total_cost=D(300),
            at=datetime(2024, 1, 1, tzinfo=UTC),
            note="bought elsewhere",
        )
    )
    db.add(
        UnvaluedItem(
            user_id=s.user_id,
            exchange_account_id=s.account_id,
            asset="ETH",
            item_asset="OLD",
            amount=D(1),
            role="fee",
            ts=utcnow(),
        )
    )
    figures = {k: D(1) for k in ("value", "invested", "realized", "unrealized", "income")}
    for i in range(2):
        db.add(
            ValueHistoryDay(
                user_id=s.user_id, day=date(2025, 3, 1) + timedelta(days=i), digest="d", **figures
            )
        )
    db.add(ValueHistorySnapshot(user_id=s.user_id, day=date(2025, 3, 1), state="{}"))
    db.add(ValueHistoryState(user_id=s.user_id, fingerprint="f"))
    db.add(ExecutionSettings(user_id=s.user_id, daily_cap=D("500.25")))


def _strategy(db: Any, s: Seeded) -> None:
    db.add(
        Strategy(
            id=s.strategy_id,
            user_id=s.user_id,
            asset="ETH",
            ref_type="custom",
            ref_price=D(2000),
            base_qty=D(1),
            exchange_account_id=s.account_id,
        )
    )
    db.flush()
    steps = [new_id(), new_id()]
    for position, step_id in enumerate(steps):
        db.add(
            StrategyStep(
                id=step_id,
                strategy_id=s.strategy_id,
                asset="ETH",
                position=position,
                target_pct=D(10),
                sell_pct=D(50),
                target_price=D(2200),
                qty_to_sell=D("0.5"),
            )
        )
    db.flush()
    db.add(
        StrategyExecution(
            strategy_id=s.strategy_id, step_id=steps[0], executed_qty=D("0.5"), price=D(2200)
        )
    )
    order = Order(
        user_id=s.user_id,
        strategy_id=s.strategy_id,
        step_id=steps[0],
        exchange_account_id=s.account_id,
        client_order_id=f"xs-{steps[0]}"[:36],
        symbol="ETH/USDC",
        status="filled",
        trigger_price=D(2200),
    )
    db.add(order)
    db.flush()
    db.add(
        OrderAudit(
            order_id=order.id,
            user_id=s.user_id,
            action="place",
            request='{"side": "sell"}',
            response='{"status": "open"}',
        )
    )
    db.add(
        Notification(
            id=new_id(),
            user_id=s.user_id,
            strategy_id=s.strategy_id,
            step_id=steps[0],
            title="ETH reached 2200",
            body="Sell 0.5 ETH",
        )
    )


def _alerts(db: Any, box: Any, s: Seeded) -> None:
    channel_id = new_id()
    db.add(
        Channel(
            id=channel_id,
            user_id=s.user_id,
            kind="apprise",
            label="Webhook",
            hint="json://127.0.0.1…",
            key_id=box.current_key_id,
            secret_enc=box.seal(s.secrets["channel url"], row_id=channel_id, column="secret"),
            fingerprint=_digest(s.secrets["channel url"]),
            test_token=s.secrets["channel test token"],
        )
    )
    db.flush()
    notification = db.execute(
        select(Notification.id).where(Notification.user_id == s.user_id)
    ).scalar_one()
    db.add(ChannelDelivery(notification_id=notification, channel_id=channel_id, status="sent"))


def _sign_in_rows(db: Any, s: Seeded) -> None:
    later = utcnow() + timedelta(hours=1)
    db.add(
        ApiToken(
            user_id=s.user_id,
            name="script",
            scope="read",
            token_hash=s.secrets["api token hash"],
            hint="exs_abcd",
        )
    )
    db.add(UserSession(jti=s.secrets["session jti"], user_id=s.user_id, expires_at=later))
    db.add(
        PasswordReset(token_hash=s.secrets["reset link hash"], user_id=s.user_id, expires_at=later)
    )
    db.add(
        EmailChange(
            token_hash=s.secrets["email change hash"],
            user_id=s.user_id,
            new_email=f"new-{s.email}",
            expires_at=later,
        )
    )
    db.add(
        EmailConfirmation(
            token_hash=s.secrets["confirmation hash"], user_id=s.user_id, expires_at=later
        )
    )


def add_shared_price(db: Any) -> None:
    db.add(PriceCandle(symbol="ETH/USDC", minute=datetime(2025, 3, 1, tzinfo=UTC), close=D(2000)))
    db.commit()


# ---------------------------------------------------------------- counting, independently


def _ids_of(db: Any, name: str, user_id: str, memo: dict[str, set[Any]]) -> set[Any] | None:
    """The primary keys of the user's rows of table `name`: its `user_id` column, else the
    foreign keys to tables holding the user's rows; None when no path leads to a user."""
    if name in memo:
        return memo[name]
    table = SQLModel.metadata.tables[name]
    pk = next(iter(table.primary_key.columns))
    if name == "users":
        condition = table.c.id == user_id
    elif "user_id" in table.c:
        condition = table.c.user_id == user_id
    else:
        links = []
        for fk in table.foreign_keys:
            parents = _ids_of(db, fk.column.table.name, user_id, memo)
            if parents is not None:
                links.append(fk.parent.in_(list(parents) or [""]))
        if not links:
            return None
        condition = or_(*links)
    found = set(db.execute(select(pk).where(condition)).scalars())
    memo[name] = found
    return found


def row_counts(db: Any, user_id: str) -> dict[str, int]:
    """{table: the user's rows} for every table with a path to a user."""
    db.expire_all()
    memo: dict[str, set[Any]] = {}
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        ids = _ids_of(db, table.name, user_id, memo)
        if ids is not None:
            counts[table.name] = len(ids)
    return counts


def shared_counts(db: Any) -> dict[str, int]:
    return {
        name: db.execute(select(func.count()).select_from(SQLModel.metadata.tables[name])).scalar()
        for name in ("price_candles", "daily_candles", "revoked_tokens")
    }
