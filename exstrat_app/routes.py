"""The pages' addresses, in one place: the pages register under these, the states redirect to
them, and links are built from them. Reflex fills a bracketed segment from the path."""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from reflex.vars import Var

HOME = "/"
LOGIN = "/login"
SIGNUP = "/signup"
CONFIRM = "/confirm"  # the sign-up's emailed link (services/auth/confirmation.CONFIRM_PATH)
PORTFOLIO = "/portfolio"
EXCHANGES = "/exchanges"
STRATEGIES = "/strategies"
STRATEGY_DETAIL = "/strategies/[strategy_id]"
ASSET_DETAIL = "/tokens/[symbol]"  # one asset (token) of the portfolio
SECURITY = "/security"  # two-factor sign-in
CHANNELS = "/channels"  # where alerts go: web push, Apprise URLs
ACCOUNT = "/account"  # email, password, take your data, delete the account
FORGOT = "/forgot"  # ask for a password reset link
RESET = "/reset"  # the emailed reset link: a new password

# Signed-out visitors may stay on these; every other page sends them to LOGIN.
PUBLIC = (LOGIN, SIGNUP, CONFIRM, FORGOT, RESET)


@overload
def strategy_href(strategy_id: str) -> str: ...
@overload
def strategy_href(strategy_id: Var[str]) -> Var[str]: ...
def strategy_href(strategy_id: str | Var[str]) -> str | Var[str]:
    """/strategies/<id>, also for a Var (a row field in a foreach)."""
    return f"{STRATEGIES}/" + strategy_id


@overload
def asset_href(symbol: str) -> str: ...
@overload
def asset_href(symbol: Var[str]) -> Var[str]: ...
def asset_href(symbol: str | Var[str]) -> str | Var[str]:
    """/tokens/<symbol>, also for a Var."""
    return "/tokens/" + symbol
