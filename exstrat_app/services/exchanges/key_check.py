"""Checking an API key with its exchange before it is stored: it must read the account, and
must not trade or withdraw (V1 never trades, so it must never hold such a key).

The refusals name the box to untick on the exchange's own key page.
"""

from __future__ import annotations

from exstrat_app.infra import exchanges as xa
from exstrat_app.services.errors import ExchangeRejected, ExchangeUnavailable


def check_key(exchange: str, credentials: xa.Credentials) -> xa.KeyPermissions:
    """One signed call that proves the key works and tells what it may do; refuse keys that
    can move money (V1 never trades, so it must never hold such a key)."""
    instance = xa.make_exchange(exchange, credentials)
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
