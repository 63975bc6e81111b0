"""Exchange accounts: adding one (key checked with the exchange, sealed at rest), listing,
deleting, and the decrypted credentials the sync jobs need.

Secrets never leave this module in clear except as `Credentials` handed to ccxt by a job:
they are not returned, not logged, and not part of any error message. Every query is scoped
to the user; another user's account is "not found", never "forbidden" (no id probing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from redis import Redis
from sqlalchemy import delete, update
from sqlmodel import Session, select

from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox, SecretUnreadable
from exstrat_app.models import (
    Balance,
    ExchangeAccount,
    Strategy,
    SyncCursor,
    Trade,
    Transfer,
    new_id,
)
from exstrat_app.services.errors import (
    Conflict,
    ExchangeRejected,
    ExchangeUnavailable,
    InvalidInput,
    NotFound,
)

log = logging.getLogger(__name__)

NICKNAME_MAX = 100
KEY_MAX = 512  # API key ids are short; this only bounds abuse
SECRET_MAX = 4096  # a PEM EC key is ~230 chars
ACCOUNT_NOT_FOUND = "No such exchange account."
NOT_A_KEY = "This is not an API key: paste it exactly as the exchange shows it."

# Sealed columns and the ExchangeAccount attribute holding each.
_SEALED = (
    ("api_key", "api_key_enc"),
    ("api_secret", "api_secret_enc"),
    ("api_pass", "api_pass_enc"),
)

# Builds the ccxt instance used to check a key; tests may pass their own.
ExchangeFactory = Callable[[str, xa.Credentials], object]


# --- adding ---------------------------------------------------------------------------


def add_account(
    session: Session,
    *,
    user_id: str,
    exchange: str,
    api_key: str,
    api_secret: str,
    api_pass: str | None = None,
    nickname: str | None = None,
    redis: Redis | None = None,
) -> ExchangeAccount:
    """Check the key with the exchange (it must read, and must not trade or withdraw),
    then store it sealed. Raises InvalidInput (422), ExchangeRejected (422) or
    ExchangeUnavailable (503); nothing is stored unless every check passed.

    `redis` is accepted for the callers' convenience; the key check needs no cached markets.
    """
    del redis
    exchange, api_key, api_secret, api_pass, nickname = _validated(
        exchange, api_key, api_secret, api_pass, nickname
    )
    _refuse_duplicate(session, user_id=user_id, exchange=exchange, api_key=api_key)
    credentials = xa.Credentials(api_key=api_key, secret=api_secret, password=api_pass)
    check_key(exchange, credentials)
    account = _sealed_account(
        user_id=user_id, exchange=exchange, credentials=credentials, nickname=nickname
    )
    session.add(account)
    session.commit()
    log.info("exchange account %s (%s) added for user %s", account.id, exchange, user_id)
    return account


def _validated(
    exchange: str, api_key: str, api_secret: str, api_pass: str | None, nickname: str | None
) -> tuple[str, str, str, str | None, str | None]:
    fields: dict[str, str] = {}
    exchange = (exchange or "").strip().lower()
    if exchange not in xa.SUPPORTED_EXCHANGES:
        fields["exchange"] = "Choose binance or coinbase."
    api_key = (api_key or "").strip()
    # A PEM secret has meaningful newlines inside; only the ends are trimmed.
    api_secret = (api_secret or "").strip()
    if not api_key:
        fields["apiKey"] = "The API key is required."
    elif len(api_key) > KEY_MAX:
        fields["apiKey"] = f"The API key is too long (at most {KEY_MAX} characters)."
    elif not _header_safe(api_key):
        fields["apiKey"] = NOT_A_KEY
    if not api_secret:
        fields["apiSecret"] = "The API secret is required."
    elif len(api_secret) > SECRET_MAX:
        fields["apiSecret"] = f"The API secret is too long (at most {SECRET_MAX} characters)."
    api_pass = (api_pass or "").strip() or None
    if api_pass is not None and len(api_pass) > KEY_MAX:
        fields["apiPass"] = "The passphrase is too long."
    elif api_pass is not None and not _header_safe(api_pass):
        fields["apiPass"] = NOT_A_KEY
    nickname = (nickname or "").strip() or None
    if nickname is not None and len(nickname) > NICKNAME_MAX:
        fields["nickname"] = f"At most {NICKNAME_MAX} characters."
    if fields:
        raise InvalidInput("Some fields are invalid.", fields=fields)
    return exchange, api_key, api_secret, api_pass, nickname


def _header_safe(value: str) -> bool:
    """Printable ASCII only. The key (and a passphrase) travel in HTTP headers, which
    http.client encodes as latin-1: "ключ" raised UnicodeEncodeError inside ccxt, a 500.
    Exchange key ids are printable ASCII, so anything else is a paste mistake."""
    return value.isascii() and value.isprintable()


def _refuse_duplicate(session: Session, *, user_id: str, exchange: str, api_key: str) -> None:
    """The same key twice would count every trade twice (Conflict, 409). The user's few keys
    are opened to compare: sealed values cannot be compared (each has its own nonce)."""
    for account in list_accounts(session, user_id=user_id):
        if account.exchange != exchange:
            continue
        try:
            same = credentials_for(account).api_key == api_key
        except SecretUnreadable:
            continue
        if same:
            name = f" as '{account.nickname}'" if account.nickname else ""
            message = f"This {exchange.capitalize()} key is already connected{name}."
            raise Conflict(message, fields={"apiKey": message})


def check_key(
    exchange: str, credentials: xa.Credentials, *, factory: ExchangeFactory | None = None
) -> xa.KeyPermissions:
    """One signed call that proves the key works and tells what it may do; refuse keys that
    can move money (V1 never trades, so it must never hold such a key)."""
    instance = (factory or xa.make_exchange)(exchange, credentials)
    try:
        perms = xa.key_permissions(instance)  # type: ignore[arg-type]
    except xa.ExchangeAuthError as exc:
        raise ExchangeRejected(exc.message, fields={"apiKey": exc.message}) from None
    except xa.ExchangeTemporaryError as exc:
        raise ExchangeUnavailable(
            f"{exc.message} Try again in a few minutes: nothing was saved."
        ) from None
    except xa.ExchangeError as exc:
        raise ExchangeRejected(exc.message) from None
    problem = permission_problem(exchange, perms)
    if problem:
        raise ExchangeRejected(problem, fields={"apiKey": problem})
    return perms


def permission_problem(exchange: str, perms: xa.KeyPermissions) -> str | None:
    """The message refusing a key, naming the box to untick; None for a read-only key."""
    where = (
        "Edit it on Binance (API Management)"
        if exchange == "binance"
        else "Edit it in the Coinbase Developer Platform (API keys)"
    )
    if perms.can_trade:
        boxes = _quoted(perms.trade_rights) or "'Trade'"
        return f"This key can trade. {where} and untick {boxes}, then add it again."
    if perms.can_withdraw:
        boxes = _quoted(perms.withdraw_rights) or "'Withdraw'"
        what = "withdraw funds" if exchange == "binance" else "transfer funds"
        return f"This key can {what}. {where} and untick {boxes}, then add it again."
    if not perms.can_read:
        box = "'Enable Reading'" if exchange == "binance" else "'View'"
        return f"This key cannot read the account. {where} and tick {box}."
    return None


def _quoted(labels: tuple[str, ...]) -> str:
    quoted = [f"'{label}'" for label in labels]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _sealed_account(
    *, user_id: str, exchange: str, credentials: xa.Credentials, nickname: str | None
) -> ExchangeAccount:
    # The id is the associated data of every ciphertext: it must exist before sealing.
    account_id = new_id()
    box = SecretBox.from_settings()
    values = {
        "api_key": credentials.api_key,
        "api_secret": credentials.secret,
        "api_pass": credentials.password,
    }
    sealed = {
        attr: box.seal(values[column], row_id=account_id, column=column)
        if values[column] is not None
        else None
        for column, attr in _SEALED
    }
    return ExchangeAccount(
        id=account_id,
        user_id=user_id,
        exchange=exchange,
        nickname=nickname,
        key_id=box.current_key_id,
        status="connected",
        **sealed,
    )


# --- reading ------------------------------------------------------------------------------


def list_accounts(session: Session, *, user_id: str) -> list[ExchangeAccount]:
    stmt = (
        select(ExchangeAccount)
        .where(ExchangeAccount.user_id == user_id)
        .order_by(ExchangeAccount.created_at, ExchangeAccount.id)  # type: ignore[arg-type]
    )
    return list(session.exec(stmt))


def get_account(session: Session, *, user_id: str, account_id: str) -> ExchangeAccount:
    """The user's account; another user's (or none) is NotFound (404), never Forbidden."""
    account = session.get(ExchangeAccount, account_id)
    if account is None or account.user_id != user_id:
        raise NotFound(ACCOUNT_NOT_FOUND)
    return account


def credentials_for(account: ExchangeAccount) -> xa.Credentials:
    """Decrypted credentials, for the sync jobs only (raises SecretUnreadable)."""
    box = SecretBox.from_settings()
    opened: dict[str, str | None] = {}
    for column, attr in _SEALED:
        sealed = getattr(account, attr)
        opened[column] = (
            None
            if sealed is None
            else box.open(sealed, key_id=account.key_id, row_id=account.id, column=column)
        )
    return xa.Credentials(
        api_key=opened["api_key"] or "",
        secret=opened["api_secret"] or "",
        password=opened["api_pass"],
    )


# --- deleting -------------------------------------------------------------------------------


def delete_account(
    session: Session,
    *,
    user_id: str,
    account_id: str,
    recompute: Callable[[Session, str], object] | None = None,
) -> None:
    """Delete the account and everything ingested from it, then rebuild the user's positions
    from the remaining accounts (`recompute(session, user_id)`, the portfolio service's by
    default)."""
    account = get_account(session, user_id=user_id, account_id=account_id)
    for model in (Balance, Trade, Transfer, SyncCursor):
        session.execute(delete(model).where(model.exchange_account_id == account.id))  # type: ignore[attr-defined]
    # A strategy tied to this account stays (it is about an asset), just no longer tied.
    session.execute(
        update(Strategy)
        .where(Strategy.exchange_account_id == account.id)  # type: ignore[arg-type]
        .values(exchange_account_id=None)
    )
    session.delete(account)
    session.commit()
    log.info("exchange account %s deleted for user %s", account_id, user_id)
    _recompute_after_delete(session, user_id, recompute)


def _recompute_after_delete(
    session: Session, user_id: str, recompute: Callable[[Session, str], object] | None
) -> None:
    if recompute is None:
        from exstrat_app.services.portfolio.rebuild import recompute_for_user

        recompute = recompute_for_user
    try:
        recompute(session, user_id)
    except Exception:  # the deletion stands; the next sync rebuilds the positions
        session.rollback()
        log.warning("positions not rebuilt after deleting an account", exc_info=True)


# --- key rotation -------------------------------------------------------------------------


def rotate_all_keys(session: Session | None = None) -> int:
    """Re-seal every account not sealed with the current ENCRYPTION_KEY (i.e. sealed with
    one of ENCRYPTION_OLD_KEYS); returns how many were re-sealed. Rows no configured key
    opens are left as they are and logged (their owner must add the key again)."""
    if session is None:
        from exstrat_app.infra.db.engine import session_scope

        with session_scope() as own:
            return rotate_all_keys(own)
    box = SecretBox.from_settings()
    count = 0
    stale = session.exec(
        select(ExchangeAccount).where(ExchangeAccount.key_id != box.current_key_id)
    ).all()
    for account in stale:
        try:
            credentials = credentials_for(account)
        except SecretUnreadable:
            log.error("account %s: no configured key opens its secrets; skipped", account.id)
            continue
        _reseal(account, credentials, box)
        session.add(account)
        session.commit()  # one row at a time: an interruption leaves every row readable
        count += 1
    return count


def _reseal(account: ExchangeAccount, credentials: xa.Credentials, box: SecretBox) -> None:
    values = {
        "api_key": credentials.api_key,
        "api_secret": credentials.secret,
        "api_pass": credentials.password,
    }
    for column, attr in _SEALED:
        value = values[column]
        setattr(account, attr, box.seal(value, row_id=account.id, column=column) if value else None)
    account.key_id = box.current_key_id
