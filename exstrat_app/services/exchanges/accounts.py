"""Exchange accounts: adding one (key checked with the exchange, sealed at rest), listing,
showing and deleting.

Secrets never leave the context in clear except as credentials handed to ccxt by the sync
(`sealing.py`): they are not returned, not logged, and not part of any error message. Every
query is scoped to the user; another user's account is "not found", never "forbidden" (no id
probing). The caller owns the unit of work: nothing here commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, select

from exstrat_app.i18n import N_
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox, SecretUnreadable
from exstrat_app.models import (
    Balance,
    ExchangeAccount,
    Order,
    Strategy,
    SyncCursor,
    Trade,
    TradingKey,
    Transfer,
    UnvaluedItem,
    new_id,
)
from exstrat_app.services.errors import Conflict, InvalidInput, NotFound
from exstrat_app.services.exchanges.key_check import check_key
from exstrat_app.services.exchanges.sealing import credentials_for, sealed_columns
from exstrat_app.services.portfolio.rebuild import recompute_for_user

log = logging.getLogger(__name__)

NICKNAME_MAX = 100
KEY_MAX = 512  # API key ids are short; this only bounds abuse
SECRET_MAX = 4096  # a PEM EC key is ~230 chars
ACCOUNT_NOT_FOUND = N_("No such exchange account.")
NOT_A_KEY = N_("This is not an API key: paste it exactly as the exchange shows it.")


@dataclass(frozen=True)
class AccountView:
    """An account as the pages and the API show it: never any of its secrets."""

    id: str
    user_id: str
    exchange: str
    nickname: str | None
    status: str  # connected | syncing | error
    last_sync_at: datetime | None
    last_error: str | None  # a sentence for the user, never a stack trace
    progress_done: int
    progress_total: int
    progress_eta_s: int | None  # estimated seconds left while syncing (None: unknown)
    is_demo: bool  # talks only to the simulated exchange
    created_at: datetime

    @classmethod
    def of(cls, account: ExchangeAccount) -> AccountView:
        return cls(**{field.name: getattr(account, field.name) for field in fields(cls)})


# --- adding ---------------------------------------------------------------------------


def account_cap_message(max_accounts: int) -> str:
    return N_(
        "You have reached the limit of {n} exchange accounts; delete one before adding another.",
        n=max_accounts,
    )


def add_account(
    session: Session,
    box: SecretBox,
    *,
    user_id: str,
    exchange: str,
    api_key: str,
    api_secret: str,
    api_pass: str | None = None,
    nickname: str | None = None,
    is_demo: bool = False,
    max_accounts: int | None = None,
) -> AccountView:
    """Check the key with the exchange (it must read, and must not trade or withdraw),
    then add it sealed to the session. Raises InvalidInput (422), Conflict (409),
    ExchangeRejected (422) or ExchangeUnavailable (503); nothing is added unless every
    check passed. `max_accounts` (Settings' EXSTRAT_MAX_ACCOUNTS): a user who already has
    that many is refused (Conflict) before the exchange is asked anything."""
    exchange, api_key, api_secret, api_pass, nickname = _validated(
        exchange, api_key, api_secret, api_pass, nickname
    )
    if max_accounts is not None and len(_accounts_of(session, user_id)) >= max_accounts:
        raise Conflict(account_cap_message(max_accounts))
    _refuse_duplicate(session, box, user_id=user_id, exchange=exchange, api_key=api_key)
    credentials = xa.Credentials(api_key=api_key, secret=api_secret, password=api_pass)
    check_key(exchange, credentials)
    # The id is the associated data of every ciphertext: it must exist before sealing.
    account_id = new_id()
    account = ExchangeAccount(
        id=account_id,
        user_id=user_id,
        exchange=exchange,
        nickname=nickname,
        key_id=box.current_key_id,
        status="connected",
        is_demo=is_demo,
        **sealed_columns(box, account_id=account_id, credentials=credentials),
    )
    session.add(account)
    session.flush()
    log.info("exchange account %s (%s) added for user %s", account.id, exchange, user_id)
    return AccountView.of(account)


def _validated(
    exchange: str, api_key: str, api_secret: str, api_pass: str | None, nickname: str | None
) -> tuple[str, str, str, str | None, str | None]:
    fields: dict[str, str] = {}
    exchange = (exchange or "").strip().lower()
    if exchange not in xa.SUPPORTED_EXCHANGES:
        fields["exchange"] = N_("Choose binance or coinbase.")
    api_key = (api_key or "").strip()
    # A PEM secret has meaningful newlines inside; only the ends are trimmed.
    api_secret = (api_secret or "").strip()
    if not api_key:
        fields["apiKey"] = N_("The API key is required.")
    elif len(api_key) > KEY_MAX:
        fields["apiKey"] = N_("The API key is too long (at most {n} characters).", n=KEY_MAX)
    elif not _header_safe(api_key):
        fields["apiKey"] = NOT_A_KEY
    if not api_secret:
        fields["apiSecret"] = N_("The API secret is required.")
    elif len(api_secret) > SECRET_MAX:
        fields["apiSecret"] = N_(
            "The API secret is too long (at most {n} characters).", n=SECRET_MAX
        )
    api_pass = (api_pass or "").strip() or None
    if api_pass is not None and len(api_pass) > KEY_MAX:
        fields["apiPass"] = N_("The passphrase is too long.")
    elif api_pass is not None and not _header_safe(api_pass):
        fields["apiPass"] = NOT_A_KEY
    nickname = (nickname or "").strip() or None
    if nickname is not None and len(nickname) > NICKNAME_MAX:
        fields["nickname"] = N_("At most {n} characters.", n=NICKNAME_MAX)
    if fields:
        raise InvalidInput(N_("Some fields are invalid."), fields=fields)
    return exchange, api_key, api_secret, api_pass, nickname


def _header_safe(value: str) -> bool:
    """Printable ASCII only. The key (and a passphrase) travel in HTTP headers, which
    http.client encodes as latin-1: "ключ" raised UnicodeEncodeError inside ccxt, a 500.
    Exchange key ids are printable ASCII, so anything else is a paste mistake."""
    return value.isascii() and value.isprintable()


def _refuse_duplicate(
    session: Session, box: SecretBox, *, user_id: str, exchange: str, api_key: str
) -> None:
    """The same key twice would count every trade twice (Conflict, 409). The user's few keys
    are opened to compare: sealed values cannot be compared (each has its own nonce)."""
    for account in _accounts_of(session, user_id):
        if account.exchange != exchange:
            continue
        try:
            same = credentials_for(account, box).api_key == api_key
        except SecretUnreadable:
            continue
        if same:
            message = (
                N_(
                    "This {exchange} key is already connected as '{nickname}'.",
                    exchange=exchange.capitalize(),
                    nickname=account.nickname,
                )
                if account.nickname
                else N_("This {exchange} key is already connected.", exchange=exchange.capitalize())
            )
            raise Conflict(message, fields={"apiKey": message})


# --- reading ------------------------------------------------------------------------------


def _accounts_of(session: Session, user_id: str) -> list[ExchangeAccount]:
    stmt = (
        select(ExchangeAccount)
        .where(ExchangeAccount.user_id == user_id)
        .order_by(ExchangeAccount.created_at, ExchangeAccount.id)  # type: ignore[arg-type]
    )
    return list(session.exec(stmt))


def list_accounts(session: Session, *, user_id: str) -> list[AccountView]:
    """The user's accounts, oldest first."""
    return [AccountView.of(account) for account in _accounts_of(session, user_id)]


def get_account(session: Session, *, user_id: str, account_id: str) -> ExchangeAccount:
    """The user's account row; another user's (or none) is NotFound (404), never Forbidden."""
    account = session.get(ExchangeAccount, account_id)
    if account is None or account.user_id != user_id:
        raise NotFound(ACCOUNT_NOT_FOUND)
    return account


def show_account(session: Session, *, user_id: str, account_id: str) -> AccountView:
    """One of the user's accounts (NotFound for anyone else's)."""
    return AccountView.of(get_account(session, user_id=user_id, account_id=account_id))


# --- deleting -------------------------------------------------------------------------------


def delete_account(session: Session, *, user_id: str, account_id: str) -> None:
    """Delete the account and everything ingested from it, then rebuild the user's positions
    from the remaining accounts.

    The rebuild runs in a savepoint: if it fails, only it is undone and the deletion stands
    (the next sync rebuilds the positions)."""
    account = get_account(session, user_id=user_id, account_id=account_id)
    for model in (Balance, Trade, Transfer, SyncCursor, UnvaluedItem, TradingKey):
        session.execute(delete(model).where(model.exchange_account_id == account.id))  # type: ignore[attr-defined]
    # Its orders stay in the history and the audit trail (issue 15), no longer tied to it.
    session.execute(
        update(Order)
        .where(Order.exchange_account_id == account.id)  # type: ignore[arg-type]
        .values(exchange_account_id=None)
    )
    # A strategy tied to this account stays (it is about an asset), just no longer tied.
    session.execute(
        update(Strategy)
        .where(Strategy.exchange_account_id == account.id)  # type: ignore[arg-type]
        .values(exchange_account_id=None)
    )
    session.delete(account)
    session.flush()
    log.info("exchange account %s deleted for user %s", account_id, user_id)
    try:
        with session.begin_nested():
            recompute_for_user(session, user_id)
    except Exception:
        log.warning("positions not rebuilt after deleting an account", exc_info=True)
