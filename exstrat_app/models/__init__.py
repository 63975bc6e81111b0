"""The data model (SQLModel tables). Amounts are `Money` (exact), times `UTCDateTime`.

Ids are random hex strings so that no id can be guessed from another user's.
Unique constraints make ingestion idempotent: re-running a sync inserts nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from exstrat_app.infra.db.types import Money, UTCDateTime, utcnow


def new_id() -> str:
    return uuid.uuid4().hex


def money(*, nullable: bool = False, default: Decimal | None = None) -> Decimal:
    return Field(default=default, sa_type=Money, nullable=nullable)  # type: ignore[no-any-return]


def moment(*, nullable: bool = False, now: bool = False, index: bool = False) -> datetime:
    return Field(  # type: ignore[no-any-return]
        default_factory=utcnow if now else None,
        sa_type=UTCDateTime,
        nullable=nullable,
        index=index,
    )


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=100)
    is_demo: bool = Field(default=False)
    created_at: datetime = moment(now=True)
    # Two-factor sign-in (services/auth/totp.py): the TOTP secret sealed with the secret box
    # (AES-GCM, the user id as associated data), the key that sealed it, when it was turned on
    # (None with a secret: enrolment started, not confirmed), the last time step accepted.
    totp_secret_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    totp_key_id: str | None = Field(default=None, max_length=16)
    totp_enabled_at: datetime | None = moment(nullable=True)
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)
    # When the owner of the address proved it (sign-up's emailed link). None: signed up, not
    # yet confirmed, cannot sign in. Confirmed by default, so only `auth.register` (a stranger's
    # sign-up) makes an unconfirmed account; the demo user and internal callers are confirmed.
    email_confirmed_at: datetime | None = moment(nullable=True, now=True)
    # Every session issued by this moment has ended, except the one kept (its `jti`): set when
    # the user ends their other sessions (services/auth/sessions.py, `end_other_sessions`).
    sessions_cut_at: datetime | None = moment(nullable=True)
    session_kept_jti: str | None = Field(default=None, max_length=64)
    # The reader's language and reporting currency (docs/translations.md, docs/currencies.md):
    # None until chosen (the language then follows the browser; the currency is USD).
    locale: str | None = Field(default=None, max_length=8)
    currency: str = Field(default="USD", max_length=8, sa_column_kwargs={"server_default": "USD"})


class RecoveryCode(SQLModel, table=True):
    """A single-use two-factor recovery code: its SHA-256 only, and when it was used."""

    __tablename__ = "recovery_codes"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment(now=True)


class RevokedToken(SQLModel, table=True):
    """A session JWT's `jti` revoked by logout; kept until the token would expire anyway."""

    __tablename__ = "revoked_tokens"
    jti: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = moment(index=True)


class ExchangeAccount(SQLModel, table=True):
    __tablename__ = "exchange_accounts"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    exchange: str = Field(max_length=20)  # 'binance' | 'coinbase'
    nickname: str | None = Field(default=None, max_length=100)
    # AES-256-GCM ciphertexts (nonce + ciphertext + tag); never leave the server.
    api_key_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    api_secret_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    api_pass_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    key_id: str = Field(max_length=16)  # which ENCRYPTION_KEY sealed them (rotation)
    status: str = Field(default="connected", max_length=16)  # connected | syncing | error
    last_error: str | None = Field(default=None, max_length=1000)
    last_sync_at: datetime | None = moment(nullable=True)
    progress_done: int = Field(default=0)
    progress_total: int = Field(default=0)
    progress_eta_s: int | None = Field(default=None)  # estimated seconds left (issue 17)
    unvalued_count: int = Field(default=0)  # items the last rebuild could not price
    is_demo: bool = Field(default=False)
    created_at: datetime = moment(now=True)


class Balance(SQLModel, table=True):
    __tablename__ = "balances"
    __table_args__ = (UniqueConstraint("exchange_account_id", "wallet", "asset"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    exchange_account_id: str = Field(foreign_key="exchange_accounts.id", index=True, max_length=32)
    wallet: str = Field(
        default="spot", max_length=16
    )  # spot | funding | earn_flexible | earn_locked
    asset: str = Field(max_length=20)
    free: Decimal = money()
    locked: Decimal = money()
    fetched_at: datetime = moment(now=True)


class Trade(SQLModel, table=True):
    __tablename__ = "trades"
    # Binance trade ids are unique per symbol only, hence the symbol in the key.
    __table_args__ = (
        UniqueConstraint("exchange_account_id", "symbol", "exchange_trade_id"),
        Index("ix_trades_account_symbol_ts", "exchange_account_id", "symbol", "ts"),
        Index("ix_trades_base", "base"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    exchange_account_id: str = Field(foreign_key="exchange_accounts.id", max_length=32)
    exchange_trade_id: str = Field(max_length=64)
    order_id: str | None = Field(default=None, max_length=64)
    symbol: str = Field(max_length=40)  # 'ETH/USDT'
    base: str = Field(max_length=20)
    quote: str = Field(max_length=20)
    side: str = Field(max_length=4)  # buy | sell
    price: Decimal = money()
    amount: Decimal = money()
    cost: Decimal = money()
    fee_asset: str | None = Field(default=None, max_length=20)
    fee_cost: Decimal | None = money(nullable=True)
    ts: datetime = moment()
    # How it happened: trade (order book) | convert | card | dust | simple (Coinbase Buy/Sell).
    kind: str = Field(default="trade", max_length=10)


class Transfer(SQLModel, table=True):
    __tablename__ = "transfers"
    __table_args__ = (
        UniqueConstraint("exchange_account_id", "type", "exchange_transfer_id"),
        Index("ix_transfers_account_asset_ts", "exchange_account_id", "asset", "ts"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    exchange_account_id: str = Field(foreign_key="exchange_accounts.id", max_length=32)
    exchange_transfer_id: str = Field(max_length=128)
    type: str = Field(max_length=16)  # deposit | withdrawal | income | unclassified
    # Where it came from: fiat, dividend, earn_flexible, staking_reward, ... (None: on-chain).
    source: str | None = Field(default=None, max_length=40)
    asset: str = Field(max_length=20)
    amount: Decimal = money()
    fee_cost: Decimal | None = money(nullable=True)
    fee_asset: str | None = Field(default=None, max_length=20)
    status: str = Field(default="ok", max_length=16)
    txid: str | None = Field(default=None, max_length=256)
    ts: datetime = moment()


class SyncCursor(SQLModel, table=True):
    """Where an incremental sync stopped, per account, kind and key (symbol or asset).

    Saved after every page so a killed sync resumes where it stopped.
    """

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("exchange_account_id", "kind", "key"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    exchange_account_id: str = Field(foreign_key="exchange_accounts.id", index=True, max_length=32)
    # trades | deposits | withdrawals | fills | convert | earn_rewards_flexible | ledger-walk ...
    kind: str = Field(max_length=40)
    key: str = Field(max_length=40)
    last_id: str | None = Field(default=None, max_length=128)
    last_ts: datetime | None = moment(nullable=True)
    updated_at: datetime = moment(now=True)


class PriceCandle(SQLModel, table=True):
    """1-minute candle closes used to value fees and non-stable quotes at a trade's time."""

    __tablename__ = "price_candles"
    __table_args__ = (UniqueConstraint("symbol", "minute"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    symbol: str = Field(max_length=40)
    minute: datetime = moment()
    close: Decimal = money()


class Position(SQLModel, table=True):
    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("user_id", "asset", "quote"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    asset: str = Field(max_length=20)
    quote: str = Field(default="USDT", max_length=10)
    quantity: Decimal = money()  # sum of live balances (what the user holds)
    computed_qty: Decimal = money()  # rebuilt from trades and transfers
    cost_basis: Decimal = money()
    avg_price: Decimal | None = money(nullable=True)
    realized_pnl: Decimal = money()
    unknown_cost_qty: Decimal = money()
    income: Decimal = money(default=Decimal(0))  # value at receipt of income (its cost basis)
    # The same position's money figures in euros, replayed in the same pass (docs/currencies.md);
    # None until the first rebuild after they were added. Quantities are the same in both.
    eur_cost_basis: Decimal | None = money(nullable=True)
    eur_avg_price: Decimal | None = money(nullable=True)
    eur_realized_pnl: Decimal | None = money(nullable=True)
    eur_income: Decimal | None = money(nullable=True)
    updated_at: datetime = moment(now=True)


class Strategy(SQLModel, table=True):
    __tablename__ = "strategies"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    asset: str = Field(max_length=20, index=True)
    quote: str = Field(default="USDT", max_length=10)  # USDT | EUR: its prices' currency
    # The market its price is read on, as shown: `ETH/USDT`, `ETH/EUR`, or for a EUR ladder on
    # an asset Binance lists no EUR market of, `ETH/USDT via EUR/USDT` (None: ASSET/USDT).
    watched_on: str | None = Field(default=None, max_length=50)
    name: str | None = Field(default=None, max_length=100)
    ref_type: str = Field(max_length=10)  # avgPrice | custom
    ref_price: Decimal = money()
    base_qty: Decimal = money()  # frozen at creation (seed §15)
    status: str = Field(default="active", max_length=10)  # active | paused | completed
    exchange_account_id: str | None = Field(
        default=None, foreign_key="exchange_accounts.id", max_length=32
    )
    notify_email: bool = Field(default=True)
    notify_in_app: bool = Field(default=True)
    # Order execution (issue 15): alert (never trades) | confirm | auto; paper: simulated fills.
    execution_mode: str = Field(default="alert", max_length=10)
    paper: bool = Field(default=False)
    # Stop-loss (issue 14; domain/exits.py): stated as a price or a % below the reference
    # (stop_kind price | pct, None: no stop); `stop_price` is the live level, moved up to the
    # reference (break-even) once the first step fired when `stop_break_even`; stop_state
    # none | active | fired (it fires once, and completes the strategy).
    stop_kind: str | None = Field(default=None, max_length=5)
    stop_value: Decimal | None = money(nullable=True)
    stop_price: Decimal | None = money(nullable=True)
    stop_break_even: bool = Field(default=False)
    stop_state: str = Field(default="none", max_length=10)
    stop_moved_at: datetime | None = moment(nullable=True)
    stop_fired_at: datetime | None = moment(nullable=True)
    stop_fired_price: Decimal | None = money(nullable=True)
    created_at: datetime = moment(now=True)
    updated_at: datetime = moment(now=True)


class StrategyStep(SQLModel, table=True):
    __tablename__ = "strategy_steps"
    # The watcher's query: pending steps of an asset at or below the last price.
    __table_args__ = (Index("ix_steps_watch", "asset", "state", "target_price"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    strategy_id: str = Field(foreign_key="strategies.id", index=True, max_length=32)
    asset: str = Field(max_length=20)  # copied from the strategy for the watch index
    position: int  # 0-based order in the ladder
    target_pct: Decimal = money()
    sell_pct: Decimal = money()
    target_price: Decimal = money()
    qty_to_sell: Decimal = money()
    # Richer steps (issue 14): the target as the user stated it (pct of the reference, or an
    # absolute price: target_pct is then derived), and a trailing take-profit: armed at its
    # target, it fires when the price falls trail_pct % below the peak seen since arming.
    target_kind: str = Field(default="pct", max_length=5)  # pct | price
    trail_pct: Decimal | None = money(nullable=True)  # None: a plain take-profit
    armed_at: datetime | None = moment(nullable=True)
    peak_price: Decimal | None = money(nullable=True)
    peak_at: datetime | None = moment(nullable=True)
    state: str = Field(default="pending", max_length=10)  # pending | armed | triggered | done
    triggered_at: datetime | None = moment(nullable=True)
    triggered_price: Decimal | None = money(nullable=True)
    done_at: datetime | None = moment(nullable=True)


class StrategyExecution(SQLModel, table=True):
    __tablename__ = "strategy_executions"
    # One alert per step, ever: the database refuses a second one.
    __table_args__ = (UniqueConstraint("step_id", "execution_type"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    strategy_id: str = Field(foreign_key="strategies.id", index=True, max_length=32)
    step_id: str = Field(foreign_key="strategy_steps.id", max_length=32)
    executed_qty: Decimal = money()
    price: Decimal = money()
    execution_type: str = Field(default="alert", max_length=10)  # alert | order
    status: str = Field(default="created", max_length=16)
    created_at: datetime = moment(now=True)


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("step_id", "kind"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", max_length=32)
    kind: str = Field(default="step_triggered", max_length=30)
    strategy_id: str | None = Field(default=None, foreign_key="strategies.id", max_length=32)
    step_id: str | None = Field(default=None, foreign_key="strategy_steps.id", max_length=32)
    title: str = Field(max_length=200)
    body: str = Field(max_length=2000)
    in_app: bool = Field(default=True)
    email_status: str = Field(default="skipped", max_length=10)  # pending|sent|failed|skipped
    email_attempts: int = Field(default=0)
    read_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment(now=True)


class OpeningPosition(SQLModel, table=True):
    """History no API shows (delisted pairs, coins bought elsewhere), entered by the person:
    `quantity` of `asset` that cost `total_cost` (in `quote`) at `at`; replayed like a buy."""

    __tablename__ = "opening_positions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    asset: str = Field(max_length=20)
    quote: str = Field(default="USDT", max_length=10)
    quantity: Decimal = money()
    total_cost: Decimal = money()
    at: datetime = moment()
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = moment(now=True)


class UnvaluedItem(SQLModel, table=True):
    """Something the last rebuild could not price (cost 0 instead of failing the sync),
    e.g. a fee in a delisted coin; rebuilt with the positions, listed on the token page."""

    __tablename__ = "unvalued_items"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    exchange_account_id: str | None = Field(
        default=None, foreign_key="exchange_accounts.id", max_length=32
    )
    asset: str = Field(max_length=20)  # the position whose figures it affects
    item_asset: str = Field(max_length=20)  # what could not be priced
    amount: Decimal = money()
    role: str = Field(max_length=16)  # fee | quote | income | ...
    ref: str | None = Field(default=None, max_length=128)  # the trade or transfer id
    ts: datetime = moment()


# Tables of later features live in modules of their own beside this one (each under 400 lines,
# importing only SQLModel and infra.db.types); they are imported here so that `SQLModel.metadata`
# and `from exstrat_app.models import X` hold every table.
from exstrat_app.models.account import (  # noqa: E402, F401
    ApiToken,
    EmailChange,
    PasswordReset,
    UserSession,
)
from exstrat_app.models.auth_tokens import EmailConfirmation  # noqa: E402, F401
from exstrat_app.models.channels import Channel, ChannelDelivery  # noqa: E402, F401
from exstrat_app.models.history import (  # noqa: E402, F401
    DailyCandle,
    ValueHistoryDay,
    ValueHistorySnapshot,
    ValueHistoryState,
)
from exstrat_app.models.orders import (  # noqa: E402, F401
    ExecutionSettings,
    Order,
    OrderAudit,
    TradingKey,
)
