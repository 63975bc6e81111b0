"""The person's own changes to what can move money, each after the password again
(`services/auth/reauth.py`, docs/sensitive-changes.md): adding, replacing or removing a
trading key, and the guardrails (kill switch, daily cap, paper mode). The API routes and the
pages call these; `trading_keys` and `guardrails` keep the bare operations for the code that
acts on the owner's behalf already (the demo's seed, key rotation, tests' set-ups).

Another user's account is "not found" before any password is asked: nothing is counted
against the owner for a request about an account they do not have. The caller owns the
unit of work.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from exstrat_app.infra.crypto import SecretBox
from exstrat_app.services.auth.reauth import SensitivePasswordThrottle, confirm_password
from exstrat_app.services.execution import guardrails, trading_keys


def set_trading_key(
    session: Session,
    box: SecretBox,
    *,
    user_id: str,
    account_id: str,
    api_key: str,
    api_secret: str,
    api_pass: str | None = None,
    password: str,
    throttle: SensitivePasswordThrottle,
) -> trading_keys.TradingKeyView:
    """Add or replace the account's trading key (checked with the exchange, sealed)."""
    trading_keys.owned_account(session, user_id, account_id)
    confirm_password(session, user_id, password, throttle=throttle)
    return trading_keys.set_trading_key(
        session, box, user_id=user_id, account_id=account_id, api_key=api_key,
        api_secret=api_secret, api_pass=api_pass,
    )  # fmt: skip


def remove_trading_key(
    session: Session,
    *,
    user_id: str,
    account_id: str,
    password: str,
    throttle: SensitivePasswordThrottle,
) -> None:
    trading_keys.owned_account(session, user_id, account_id)
    confirm_password(session, user_id, password, throttle=throttle)
    trading_keys.remove_trading_key(session, user_id=user_id, account_id=account_id)


def update_guardrails(
    session: Session,
    user_id: str,
    *,
    password: str,
    throttle: SensitivePasswordThrottle,
    kill_switch: bool | None = None,
    daily_cap: Decimal | str | None = "keep",
    paper: bool | None = None,
) -> guardrails.GuardrailsView:
    """Change the given guardrails (`daily_cap=None` removes the cap, "keep" keeps it)."""
    confirm_password(session, user_id, password, throttle=throttle)
    return guardrails.update_guardrails(
        session, user_id, kill_switch=kill_switch, daily_cap=daily_cap, paper=paper
    )
