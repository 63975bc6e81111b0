"""Which rows of the database are a person's, and which of their columns they take away.

One rule per table of `SQLModel.metadata` (docs/account-data.md):

- `owner`: how the user's rows are found: a column equal to the user id (`parent` "users"),
  or a column naming a row of another table that is theirs (a trade's account, a step's
  strategy). Every table with an owner is emptied of the user's rows when the account is
  deleted; a table without one holds nothing of theirs (shared prices, revoked session ids).
- `file`: the JSON file of the export, with the `columns` written and, for every other
  column, why it is `left_out` (secrets, the server's key names, session bookkeeping). A
  table without a file says in `reason` why it is not exported.

The export writes only the columns listed (an allow list): a column added later is in no
file until someone decides, and tests/account/test_data_map.py fails until they do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Table, select
from sqlmodel import SQLModel

import exstrat_app.models  # noqa: F401 - every table in SQLModel.metadata

USERS = "users"

NEVER_OUT = "a secret: never leaves the server"
SEALED = "a secret sealed with the server's key: never leaves the server"
KEY_NAME = "names the server's encryption key that sealed a secret: bookkeeping"
PENDING_LINK = (
    "a pending single-use link: its digest is the link's credential, and it expires by itself"
)
SHARED = "shared market data, the same for every user: nobody's personal data"


@dataclass(frozen=True)
class Owner:
    """The user's rows: `column` equals the user id (`parent` users) or names one of the
    user's rows of `parent`."""

    column: str
    parent: str = USERS


@dataclass(frozen=True)
class TableRule:
    owner: Owner | None  # None: nothing in the table is the user's
    file: str | None = None  # the export's file; None: not exported (see `reason`)
    columns: tuple[str, ...] = ()  # exported, in this order
    left_out: Mapping[str, str] = field(default_factory=dict)  # column -> why not exported
    reason: str = ""  # why the table is not exported


def _exported(
    file: str, owner: Owner, columns: str, left_out: Mapping[str, str] | None = None
) -> TableRule:
    return TableRule(owner, file, tuple(columns.split()), left_out or {})


def _erased_only(owner: Owner, reason: str) -> TableRule:
    return TableRule(owner, reason=reason)


def _not_theirs(reason: str) -> TableRule:
    return TableRule(None, reason=reason)


BY_USER = Owner("user_id")
BY_ACCOUNT = Owner("exchange_account_id", "exchange_accounts")
BY_STRATEGY = Owner("strategy_id", "strategies")

RULES: dict[str, TableRule] = {
    USERS: _exported(
        "user.json", Owner("id"),
        "id email is_demo created_at email_confirmed_at totp_enabled_at locale currency",
        {
            "password_hash": "the password's bcrypt hash: " + NEVER_OUT,
            "totp_secret_enc": "the two-factor seed: " + SEALED,
            "totp_key_id": KEY_NAME,
            "totp_last_step": "the replay guard of two-factor codes (the last step accepted)",
            "sessions_cut_at": "session bookkeeping (when other sessions were ended)",
            "session_kept_jti": "the id of a live session: session data",
        },
    ),
    "exchange_accounts": _exported(
        "exchange_accounts.json", BY_USER,
        "id user_id exchange nickname status last_error last_sync_at progress_done "
        "progress_total progress_eta_s unvalued_count is_demo created_at",
        {
            "api_key_enc": "the read-only API key: " + SEALED,
            "api_secret_enc": "the API secret: " + SEALED,
            "api_pass_enc": "the API passphrase: " + SEALED,
            "key_id": KEY_NAME,
        },
    ),
    "trading_keys": _exported(
        "trading_keys.json", BY_ACCOUNT,
        "id exchange_account_id status problem checked_at created_at",
        {
            "api_key_enc": "the trading API key: " + SEALED,
            "api_secret_enc": "the trading API secret: " + SEALED,
            "api_pass_enc": "the trading API passphrase: " + SEALED,
            "key_id": KEY_NAME,
        },
    ),
    "balances": _exported(
        "balances.json", BY_ACCOUNT, "id exchange_account_id wallet asset free locked fetched_at"
    ),
    "trades": _exported(
        "trades.json", BY_ACCOUNT,
        "id exchange_account_id exchange_trade_id order_id symbol base quote side price amount "
        "cost fee_asset fee_cost ts kind",
    ),
    "transfers": _exported(
        "transfers.json", BY_ACCOUNT,
        "id exchange_account_id exchange_transfer_id type source asset amount fee_cost "
        "fee_asset status txid ts",
    ),
    "sync_cursors": _exported(
        "sync_cursors.json", BY_ACCOUNT,
        "id exchange_account_id kind key last_id last_ts updated_at",
    ),
    "positions": _exported(
        "positions.json", BY_USER,
        "id user_id asset quote quantity computed_qty cost_basis avg_price realized_pnl "
        "unknown_cost_qty income updated_at eur_cost_basis eur_avg_price eur_realized_pnl "
        "eur_income",
    ),
    "opening_positions": _exported(
        "opening_positions.json", BY_USER,
        "id user_id asset quote quantity total_cost at note created_at",
    ),
    "unvalued_items": _exported(
        "unvalued_items.json", BY_USER,
        "id user_id exchange_account_id asset item_asset amount role ref ts",
    ),
    "value_history": _exported(
        "value_history.json", BY_USER,
        "id user_id day value invested realized unrealized income unpriced digest final "
        "eur_value eur_invested eur_realized eur_unrealized eur_income eur_unpriced",
    ),
    "value_history_snapshots": _exported(
        "value_history_snapshots.json", BY_USER, "id user_id day state"
    ),
    "value_history_state": _exported(
        "value_history_state.json", BY_USER,
        "user_id fingerprint first_day last_day building updated_at",
    ),
    "strategies": _exported(
        "strategies.json", BY_USER,
        "id user_id asset quote name ref_type ref_price base_qty status exchange_account_id "
        "notify_email notify_in_app execution_mode paper stop_kind stop_value stop_price "
        "stop_break_even stop_state stop_moved_at stop_fired_at stop_fired_price created_at "
        "updated_at watched_on",
    ),
    "strategy_steps": _exported(
        "strategy_steps.json", BY_STRATEGY,
        "id strategy_id asset position target_pct sell_pct target_price qty_to_sell "
        "target_kind trail_pct armed_at peak_price peak_at state triggered_at triggered_price "
        "done_at",
    ),
    "strategy_executions": _exported(
        "strategy_executions.json", BY_STRATEGY,
        "id strategy_id step_id executed_qty price execution_type status created_at",
    ),
    "execution_settings": _exported(
        "execution_settings.json", BY_USER, "user_id kill_switch daily_cap paper updated_at"
    ),
    "orders": _exported(
        "orders.json", BY_USER,
        "id user_id strategy_id step_id exchange_account_id client_order_id exchange_order_id "
        "symbol side status paper price qty filled_qty avg_fill_price trigger_price reason "
        "confirm_by sent_at created_at updated_at",
    ),
    "order_audit": _exported(
        "order_audit.json", BY_USER, "id order_id user_id action request response ok at"
    ),
    "notifications": _exported(
        "notifications.json", BY_USER,
        "id user_id kind strategy_id step_id title body in_app email_status email_attempts "
        "read_at created_at",
    ),
    "channels": _exported(
        "channels.json", BY_USER,
        "id user_id kind label hint created_at test_state test_message test_requested_at "
        "test_done_at",
        {
            "secret_enc": "the push subscription or Apprise URL (whoever holds it can "
            "message you): " + SEALED,
            "key_id": KEY_NAME,
            "fingerprint": "a digest of the channel's secret",
            "test_token": "the capability of the last test send's job: bookkeeping",
        },
    ),
    "channel_deliveries": _exported(
        "channel_deliveries.json", Owner("channel_id", "channels"),
        "id notification_id channel_id status attempts last_error created_at sent_at",
    ),
    "api_tokens": _exported(
        "api_tokens.json", BY_USER,
        "id user_id name scope hint created_at expires_at last_used_at",
        {
            "token_hash": "the token's digest: whoever matches it holds a credential",
        },
    ),
    "recovery_codes": _erased_only(
        BY_USER, "two-factor recovery codes: digests of secrets (and which were used)"
    ),
    "user_sessions": _erased_only(
        BY_USER, "sign-in session bookkeeping: each row's key is a live session's id"
    ),
    "password_resets": _erased_only(BY_USER, PENDING_LINK),
    "email_changes": _erased_only(BY_USER, PENDING_LINK),
    "email_confirmations": _erased_only(BY_USER, PENDING_LINK),
    "revoked_tokens": _not_theirs(
        "logged-out session ids and their expiry, keyed by no user: a deleted user's "
        "sessions are refused because the user is gone"
    ),
    "price_candles": _not_theirs(SHARED),
    "daily_candles": _not_theirs(SHARED),
}  # fmt: skip


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def owned(name: str, user_id: str) -> ColumnElement[bool]:
    """The condition selecting the user's rows of table `name` (it must have an owner)."""
    owner = RULES[name].owner
    if owner is None:
        raise ValueError(f"{name} holds nobody's rows")
    column = table(name).c[owner.column]
    if owner.parent == USERS:
        return column == user_id
    parent = table(owner.parent)
    return column.in_(select(parent.c.id).where(owned(owner.parent, user_id)))


def exported_tables() -> list[tuple[str, TableRule]]:
    """(table, rule) of every exported table, in the archive's order (the user first)."""
    return [(name, rule) for name, rule in RULES.items() if rule.file is not None]


def erasure_order() -> list[str]:
    """The tables holding the user's rows, children before their parents (foreign keys)."""
    return [t.name for t in reversed(SQLModel.metadata.sorted_tables) if RULES[t.name].owner]
