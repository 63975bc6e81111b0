"""A strategy's execution mode: `alert` (the default: never trades), `confirm` or `auto`, and
its paper flag. Changing them needs the password again (`services/auth/reauth.py`): it
decides whether exstrat may sell on the person's behalf. The caller owns the unit of work."""

from __future__ import annotations

from sqlmodel import Session

from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Strategy
from exstrat_app.services.auth.reauth import SensitivePasswordThrottle, confirm_password
from exstrat_app.services.errors import InvalidInput, NotFound
from exstrat_app.services.execution.eur_market import eur_sale_problem
from exstrat_app.services.execution.placement import MODES
from exstrat_app.services.execution.trading_keys import trading_key_of


def set_execution_mode(
    session: Session,
    *,
    user_id: str,
    strategy_id: str,
    mode: str,
    password: str,
    paper: bool | None = None,
    throttle: SensitivePasswordThrottle | None = None,
) -> Strategy:
    """Change the mode (and paper flag) after checking the password again: missing 422,
    wrong 401; with `throttle`, too many wrong passwords (counted with every other change
    that asks for it) answer TooManyRequests (429) before the password is checked."""
    strategy = session.get(Strategy, strategy_id)
    if strategy is None or strategy.user_id != user_id:
        raise NotFound(N_("No such strategy."))
    if mode not in MODES:
        raise InvalidInput(
            N_("Choose alert, confirm or auto."), fields={"mode": N_("alert, confirm or auto")}
        )
    if mode != "alert" and (problem := eur_sale_problem(strategy)) is not None:
        raise InvalidInput(problem, fields={"mode": problem})  # no password can change that
    confirm_password(session, user_id, password, throttle=throttle)
    new_paper = strategy.paper if paper is None else paper
    if mode != "alert" and not new_paper and not _has_trading_key(session, strategy):
        # A real order needs an account with a trading key: say so now, not at 3 a.m.
        message = N_(
            "Add a trading key to this strategy's exchange account first, or use paper mode."
        )
        raise InvalidInput(message, fields={"mode": message})
    strategy.execution_mode = mode
    strategy.paper = new_paper
    strategy.updated_at = utcnow()
    session.add(strategy)
    session.flush()
    return strategy


def _has_trading_key(session: Session, strategy: Strategy) -> bool:
    account_id = strategy.exchange_account_id
    return account_id is not None and trading_key_of(session, account_id) is not None
