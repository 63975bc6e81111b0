"""Running the steps of one exchange account's sync (SPEC §6).

A sync run is four steps (`context.STEPS`), each its own RQ job enqueuing the next when it
succeeds (`scheduling.py`):

    balances -> transfers -> trades -> positions

Every page fetched is committed with its cursor in the same transaction, so a sync killed
at any point resumes where it stopped and never loses what it already stored. That is why a
step takes a session factory (in `SyncEnv`) rather than its caller's unit of work.

The account row carries the run's state for the UI: `status` syncing -> connected | error,
a human `last_error` (never a stack trace, never a secret), `last_sync_at`, and
`progress_done/progress_total`; each change is committed and also published on the Redis
channel `exstrat:sync-progress` (`context.publish_progress`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.i18n import N_, render, use_locale
from exstrat_app.i18n.formats import short_moment
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretUnreadable
from exstrat_app.infra.db.bulk import fast_commits
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import ExchangeAccount, User
from exstrat_app.services.exchanges import sync_binance, sync_coinbase
from exstrat_app.services.exchanges.context import STEPS, StepContext, SyncEnv
from exstrat_app.services.exchanges.demo_guard import DemoOnly, assert_demo_target
from exstrat_app.services.exchanges.sealing import credentials_for
from exstrat_app.services.portfolio.history import request_history_build
from exstrat_app.services.portfolio.rebuild import recompute_for_user

log = logging.getLogger(__name__)

UNEXPECTED_ERROR = N_("The sync failed unexpectedly; the error has been logged. Try again later.")
UNREADABLE_KEY = N_(
    "The stored API key can no longer be decrypted (was ENCRYPTION_KEY changed?). "
    "Delete this account and add the key again."
)

StepFunction = Callable[[StepContext], None]

# Each exchange's module of steps (`sync_balances`, `sync_transfers`, `sync_trades`). The
# step modules import only `context` and `store`: this registry creates no import cycle.
EXCHANGE_STEPS: dict[str, ModuleType] = {"binance": sync_binance, "coinbase": sync_coinbase}


def _step_function(exchange: str, step: str) -> StepFunction:
    if step == "positions":
        return _recompute
    steps = EXCHANGE_STEPS[exchange]
    functions: dict[str, StepFunction] = {
        "balances": steps.sync_balances,
        "transfers": steps.sync_transfers,
        "trades": steps.sync_trades,
    }
    return functions[step]


def _recompute(ctx: StepContext) -> None:
    recompute_for_user(ctx.session, ctx.account.user_id, redis=ctx.redis)
    ctx.session.commit()
    # Issue 16: the value history follows the positions (its own job, from the changed day on).
    request_history_build(ctx.account.user_id, redis=ctx.redis)


def _begin(ctx: StepContext) -> None:
    account = ctx.account
    account.status = "syncing"
    account.last_error = None
    ctx.progress(done=0, total=0, eta_s=None)


def _resume(ctx: StepContext) -> None:
    ctx.account.status = "syncing"
    ctx.account.last_error = None
    ctx.progress()


def _finish(ctx: StepContext) -> None:
    account = ctx.account
    account.status = "connected"
    account.last_error = None
    account.last_sync_at = utcnow()
    ctx.progress(done=account.progress_total, eta_s=None)


def fail(ctx: StepContext, message: str) -> None:
    """Record a failed run on the account; what earlier pages stored stays stored. The words
    are written in the account owner's language (a `Msg` is rendered in it)."""
    ctx.session.rollback()  # only the page in flight: every finished page is committed
    account = ctx.session.get(ExchangeAccount, ctx.account.id)
    if account is None:
        return
    ctx.account = account
    account.status = "error"
    owner = ctx.session.get(User, account.user_id)
    with use_locale(owner.locale if owner else None):
        account.last_error = render(message)[:1000]
    ctx.progress(eta_s=None)


def error_message(exchange: str, exc: BaseException) -> str:
    """What the user reads for a failed sync: what happened and what to do (rendered later,
    in the account owner's language, by `fail`)."""
    name = exchange.capitalize()
    if isinstance(exc, xa.ExchangeAuthError):
        return N_(
            "{problem} Check the key on {exchange}: it may have been deleted, its IP "
            "whitelist may not include this server, or reading may have been disabled.",
            problem=exc.message,
            exchange=name,
        )
    if isinstance(exc, xa.ExchangeTemporaryError):
        return N_(
            "{problem} The sync stopped after several attempts; it resumes at the next sync.",
            problem=exc.message,
        )
    if isinstance(exc, xa.ExchangeError):
        return exc.message  # a Msg when the exchange layer words it
    if isinstance(exc, SecretUnreadable):
        return UNREADABLE_KEY
    if isinstance(exc, PriceUnavailable):
        at = exc.ts if exc.ts.tzinfo else exc.ts.replace(tzinfo=UTC)
        return N_(
            "Could not value {asset} at {moment} UTC: Binance has no price for that minute. "
            "Positions were not updated.",
            asset=exc.asset,
            moment=_Moment(at.astimezone(UTC)),
        )
    return UNEXPECTED_ERROR


class _Moment:
    """A date and time written in the language it is rendered in (`render` calls `str`)."""

    def __init__(self, value: datetime) -> None:
        self.value = value

    def __str__(self) -> str:
        return short_moment(self.value)


def run_step(account_id: str, step: str, *, env: SyncEnv) -> bool:
    """Run one step of an account's sync in its own session; True if it succeeded.

    Exchange, key and price problems end the run with status `error` and a readable
    `last_error`; anything else also does, and is re-raised for RQ's failed registry.
    """
    if step not in STEPS:
        raise ValueError(f"unknown sync step {step!r}")
    with env.sessions() as session:
        fast_commits(session)
        account = session.get(ExchangeAccount, account_id)
        if account is None:  # deleted since the job was queued
            return False

        def make_instance() -> Any:
            if account.is_demo:
                assert_demo_target(env.settings)  # a demo key never reaches a real exchange
            return xa.make_exchange(
                account.exchange,
                credentials_for(account, env.box),
                rate_limit=env.rate_limit,
                redis=env.redis,
            )

        ctx = StepContext(session, account, env, make_instance)
        try:
            if step == STEPS[0]:
                _begin(ctx)
            elif account.status != "syncing":
                # RQ retrying a step that crashed (scheduling.RETRY_INTERVALS): the run is on again.
                _resume(ctx)
            _step_function(account.exchange, step)(ctx)
            if step == STEPS[-1]:
                _finish(ctx)
            return True
        except DemoOnly as exc:
            fail(ctx, exc.args[0])
            return False
        except (xa.ExchangeError, SecretUnreadable, PriceUnavailable) as exc:
            log.warning("sync of account %s failed at %s: %s", account_id, step, type(exc).__name__)
            fail(ctx, error_message(account.exchange, exc))
            return False
        except Exception:
            log.exception("sync of account %s crashed at %s", account_id, step)
            fail(ctx, UNEXPECTED_ERROR)
            raise


def sync_account(account_id: str, *, env: SyncEnv) -> bool:
    """Every step in this process, one after the other (CLI, benchmark, demo seed, tests)."""
    return all(run_step(account_id, step, env=env) for step in STEPS)
