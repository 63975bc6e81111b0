"""Checking an API key with its exchange before it is stored: it must read the account, and
must not trade or withdraw (V1 never trades, so it must never hold such a key).

The refusals name the box to untick on the exchange's own key page.
"""

from __future__ import annotations

from babel.lists import format_list

from exstrat_app.i18n import N_, current_locale
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
            N_("{problem} Try again in a few minutes: nothing was saved.", problem=exc.message)
        ) from None
    except xa.ExchangeError as exc:
        raise ExchangeRejected(exc.message) from None
    problem = permission_problem(exchange, perms)
    if problem:
        raise ExchangeRejected(problem, fields={"apiKey": problem})
    return perms


def permission_problem(exchange: str, perms: xa.KeyPermissions) -> str | None:
    """The message refusing a key, naming the box to untick; None for a read-only key."""
    binance = exchange == "binance"
    if perms.can_trade:
        boxes = _Quoted(perms.trade_rights or ("Trade",))
        if binance:
            return N_("This key can trade. Edit it on Binance (API Management) and untick "
                      "{boxes}, then add it again.", boxes=boxes)  # fmt: skip
        return N_("This key can trade. Edit it in the Coinbase Developer Platform (API keys) "
                  "and untick {boxes}, then add it again.", boxes=boxes)  # fmt: skip
    if perms.can_withdraw:
        boxes = _Quoted(perms.withdraw_rights or ("Withdraw",))
        if binance:
            return N_("This key can withdraw funds. Edit it on Binance (API Management) and "
                      "untick {boxes}, then add it again.", boxes=boxes)  # fmt: skip
        return N_("This key can transfer funds. Edit it in the Coinbase Developer Platform "
                  "(API keys) and untick {boxes}, then add it again.", boxes=boxes)  # fmt: skip
    if not perms.can_read:
        if binance:
            return N_("This key cannot read the account. Edit it on Binance (API Management) "
                      "and tick 'Enable Reading'.")  # fmt: skip
        return N_("This key cannot read the account. Edit it in the Coinbase Developer "
                  "Platform (API keys) and tick 'View'.")  # fmt: skip
    return None


class _Quoted:
    """The exchange's box labels, quoted and listed the reader's way ('A', 'B' and 'C' /
    'A', 'B' et 'C'): `render` writes it in the language it renders in."""

    def __init__(self, labels: tuple[str, ...]) -> None:
        self.labels = labels

    def __str__(self) -> str:
        return format_list([f"'{label}'" for label in self.labels], locale=current_locale())
