"""The trading key: a second, optional key per exchange account that may trade spot and must
never withdraw or transfer. Checked with the exchange when it is added and again before every
order; sealed like the read key (its own row id as associated data); removable at any time;
never used by a sync (only `placement` and `lifecycle` open it).

The refusals name the box to tick or untick on the exchange's own key page. A person's own
change goes through `with_password` (the password first); these are the bare operations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, select

from exstrat_app.i18n import N_
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox, SecretUnreadable
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import ExchangeAccount, TradingKey, new_id
from exstrat_app.services.errors import (
    ExchangeRejected,
    ExchangeUnavailable,
    InvalidInput,
    NotFound,
)

log = logging.getLogger(__name__)

SEALED = (
    ("api_key", "api_key_enc"),
    ("api_secret", "api_secret_enc"),
    ("api_pass", "api_pass_enc"),
)
IP_HELP = (
    "Create a separate key for exstrat's orders, restricted to this server's IP address, with "
    "'Enable Spot & Margin Trading' (Binance) or 'Trade' (Coinbase) only: never withdrawals "
    "or transfers."
)


@dataclass(frozen=True)
class TradingKeyView:
    """The key's state as the pages and the API show it: never the key itself."""

    account_id: str
    status: str  # ok | refused
    problem: str | None
    checked_at: datetime


def trading_problem(exchange: str, perms: xa.KeyPermissions) -> str | None:
    """Why `perms` are not those of a trading key, naming the box; None when they are."""
    binance = exchange == "binance"
    if perms.can_withdraw:
        boxes = " and ".join(f"'{b}'" for b in perms.withdraw_rights) or "'Withdraw'"
        if binance:
            return N_(
                "This trading key can withdraw or transfer funds. Edit it on Binance (API "
                "Management) and untick {boxes}: exstrat never holds such a key.",
                boxes=boxes,
            )
        return N_(
            "This trading key can transfer funds. Edit it in the Coinbase Developer Platform "
            "(API keys) and untick {boxes}: exstrat never holds such a key.",
            boxes=boxes,
        )
    spot = "Enable Spot & Margin Trading" if binance else "Trade"
    if spot not in perms.trade_rights:
        if binance:
            return N_(
                "This key cannot trade spot. Edit it on Binance (API Management) and tick '{box}'.",
                box=spot,
            )
        return N_(
            "This key cannot trade spot. Edit it in the Coinbase Developer Platform (API keys) "
            "and tick '{box}'.",
            box=spot,
        )
    return None


def check_trading_key(exchange: str, credentials: xa.Credentials) -> xa.KeyPermissions:
    """Ask the exchange what the key may do; refuse it unless it trades and never withdraws."""
    instance = xa.make_exchange(exchange, credentials)
    try:
        perms = xa.key_permissions(instance)  # type: ignore[arg-type]
    except xa.ExchangeAuthError as exc:
        raise ExchangeRejected(exc.message, fields={"apiKey": exc.message}) from None
    except xa.ExchangeTemporaryError as exc:
        raise ExchangeUnavailable(
            N_("{reason} Try again in a few minutes.", reason=exc.message)
        ) from None
    except xa.ExchangeError as exc:
        raise ExchangeRejected(exc.message) from None
    problem = trading_problem(exchange, perms)
    if problem:
        raise ExchangeRejected(problem, fields={"apiKey": problem})
    return perms


def owned_account(session: Session, user_id: str, account_id: str) -> ExchangeAccount:
    account = session.get(ExchangeAccount, account_id)
    if account is None or account.user_id != user_id:
        raise NotFound(N_("No such exchange account."))
    return account


def set_trading_key(
    session: Session,
    box: SecretBox,
    *,
    user_id: str,
    account_id: str,
    api_key: str,
    api_secret: str,
    api_pass: str | None = None,
) -> TradingKeyView:
    """Check then seal the account's trading key (replacing any earlier one). Caller commits."""
    account = owned_account(session, user_id, account_id)
    if not api_key.strip() or not api_secret.strip():
        raise InvalidInput(
            N_("The trading key and its secret are required."),
            fields={"apiKey": N_("Required."), "apiSecret": N_("Required.")},
        )
    credentials = xa.Credentials(
        api_key=api_key.strip(), secret=api_secret.strip(), password=api_pass
    )
    check_trading_key(account.exchange, credentials)
    remove_trading_key(session, user_id=user_id, account_id=account_id)
    key_row_id = new_id()
    plain = {"api_key": credentials.api_key, "api_secret": credentials.secret, "api_pass": api_pass}
    sealed = {
        attr: box.seal(plain[column], row_id=key_row_id, column=column) if plain[column] else None
        for column, attr in SEALED
    }
    row = TradingKey(
        id=key_row_id, exchange_account_id=account.id, key_id=box.current_key_id, **sealed
    )
    session.add(row)
    session.flush()
    log.info("trading key added to exchange account %s", account.id)
    return view_of(row)


def remove_trading_key(session: Session, *, user_id: str, account_id: str) -> None:
    owned_account(session, user_id, account_id)
    session.execute(delete(TradingKey).where(TradingKey.exchange_account_id == account_id))  # type: ignore[arg-type]
    session.flush()


def trading_key_of(session: Session, account_id: str) -> TradingKey | None:
    return session.exec(
        select(TradingKey).where(TradingKey.exchange_account_id == account_id)
    ).first()


def show_trading_key(session: Session, *, user_id: str, account_id: str) -> TradingKeyView | None:
    owned_account(session, user_id, account_id)
    row = trading_key_of(session, account_id)
    return view_of(row) if row else None


def view_of(row: TradingKey) -> TradingKeyView:
    return TradingKeyView(
        account_id=row.exchange_account_id,
        status=row.status,
        problem=row.problem,
        checked_at=row.checked_at,
    )


def trading_credentials(row: TradingKey, box: SecretBox) -> xa.Credentials:
    """The opened key, for placing/following orders only (raises SecretUnreadable)."""
    opened = {
        column: None
        if getattr(row, attr) is None
        else box.open(getattr(row, attr), key_id=row.key_id, row_id=row.id, column=column)
        for column, attr in SEALED
    }
    return xa.Credentials(
        api_key=opened["api_key"] or "",
        secret=opened["api_secret"] or "",
        password=opened["api_pass"],
    )


def mark_checked(row: TradingKey, problem: str | None) -> None:
    """Record the latest check before an order: `refused` with the reason when rights changed."""
    row.status = "refused" if problem else "ok"
    row.problem = problem
    row.checked_at = utcnow()


def reseal_trading_keys(sessions: Callable[[], Session], box: SecretBox) -> int:
    """Re-seal every trading key not sealed with the box's current key (ENCRYPTION_KEY
    rotation, beside the read keys); returns how many. A key no configured key opens is
    left as it is and logged (its owner must add it again). One commit per row."""
    count = 0
    with sessions() as session:
        stale = session.exec(select(TradingKey).where(TradingKey.key_id != box.current_key_id))
        for row in stale.all():
            try:
                credentials = trading_credentials(row, box)
            except SecretUnreadable:
                log.error("trading key %s: no configured key opens it; skipped", row.id)
                continue
            plain = {
                "api_key": credentials.api_key,
                "api_secret": credentials.secret,
                "api_pass": credentials.password,
            }
            for column, attr in SEALED:
                value = plain[column]
                sealed = box.seal(value, row_id=row.id, column=column) if value else None
                setattr(row, attr, sealed)
            row.key_id = box.current_key_id
            session.add(row)
            session.commit()
            count += 1
    return count
