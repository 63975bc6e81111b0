"""Deleting an account (docs/account-data.md): the password (and a second-factor code when
two-factor sign-in is on), then every row of the user, table by table in foreign-key order
(`data_map.erasure_order`), then the user's row, all in the caller's one transaction.

After the commit (`after_deletion`): the user's queued jobs are dropped (their ids name
the user, its accounts, steps, alerts and channels) and a goodbye email goes to the address.
A job already running, or queued after the ids were read, finds nothing: every job looks
its rows up first and stops when they are gone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from redis import Redis
from rq.job import Job, JobStatus
from sqlalchemy import delete, select
from sqlmodel import Session

from exstrat_app.i18n import DEFAULT_LOCALE, N_, Msg, render
from exstrat_app.infra import mail
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.infra.queue import safe_job_id
from exstrat_app.models import ExchangeAccount, User
from exstrat_app.services.account.data_map import erasure_order, owned, table
from exstrat_app.services.auth import totp
from exstrat_app.services.auth.reauth import SensitivePasswordThrottle, confirm_password
from exstrat_app.services.auth.sessions import NOT_SIGNED_IN
from exstrat_app.services.errors import Conflict, InvalidInput, Unauthorized
from exstrat_app.services.exchanges.scheduling import run_job_ids
from exstrat_app.services.notifications.channel_delivery import delivery_job_id, fan_out_job_id
from exstrat_app.services.notifications.channel_tests import test_job_id
from exstrat_app.services.notifications.delivery import email_job_id
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

DEMO_REFUSED = N_("The demo account is shared by every visitor: it cannot be deleted.")
CODE_FIELD = "totpCode"
GOODBYE_SUBJECT = N_("Your exstrat account was deleted")
FETCH_BATCH = 500
# The phases of an order's job (services/execution/placement.py `enqueue_step_order`), and
# the value history's job (services/portfolio/history.py `request_history_build`).
ORDER_JOB_PHASES = ("place-order", "place-confirmed")
HISTORY_JOB_PREFIX = "history"


@dataclass(frozen=True)
class Farewell:
    """What is left to do once the deletion is committed: whom to say goodbye to, and the
    ids of the jobs that were about the user."""

    user_id: str
    email: str
    job_ids: tuple[str, ...]
    locale: str | None = None  # the account's saved language, for the goodbye


def delete_account(
    session: Session,
    box: SecretBox,
    redis: Redis,
    user_id: str,
    *,
    password: str,
    code: str,
    throttle: SensitivePasswordThrottle | None,
) -> Farewell:
    """Check the password (and the code, two-factor on), then delete every row of the user.

    No password: InvalidInput (422); wrong: Unauthorized (401, counted by `throttle`, 429
    once locked); two-factor on and no or a wrong code: Unauthorized (401) on `totpCode`;
    the shared demo user: Conflict (409). The caller commits, then calls `after_deletion`."""
    user = session.get(User, user_id)
    if user is None:
        raise Unauthorized(NOT_SIGNED_IN)
    if user.is_demo:
        raise Conflict(DEMO_REFUSED)
    confirm_password(session, user_id, password, throttle=throttle)
    if totp.is_enabled(user):
        _check_code(session, box, redis, user_id, code)
    # The accepted code's step is written now: the row must not be updated once it is gone.
    session.flush()
    jobs = tuple(queued_job_ids(session, user_id))
    farewell = Farewell(user_id, user.email, jobs, locale=user.locale)
    erase_rows(session, user_id)
    log.info("account %s deleted with all its data", user_id)
    return farewell


def _check_code(session: Session, box: SecretBox, redis: Redis, user_id: str, code: str) -> None:
    """A current code from the app, or an unused recovery code (spent by this check)."""
    if not code.strip():
        raise Unauthorized(totp.CODE_REQUIRED, fields={CODE_FIELD: totp.CODE_REQUIRED})
    try:
        totp.verify_code(session, box, redis, user_id, code)
    except (Unauthorized, InvalidInput) as exc:
        # The same refusal, on this body's field name.
        raise Unauthorized(exc.message, fields={CODE_FIELD: exc.message}) from None


def erase_rows(session: Session, user_id: str) -> int:
    """Delete every row of the user, the user's own last; how many rows went."""
    count = 0
    for name in erasure_order():
        result = session.execute(delete(table(name)).where(owned(name, user_id)))
        count += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    session.flush()
    # Objects loaded before (the user, its accounts) must never be written back.
    session.expunge_all()
    return count


def _ids(session: Session, name: str, user_id: str) -> list[str]:
    statement = select(table(name).c.id).where(owned(name, user_id))
    return [str(i) for i in session.execute(statement).scalars()]


def queued_job_ids(session: Session, user_id: str) -> list[str]:
    """The ids every job about this user would have (whether queued or not)."""
    accounts = session.execute(
        select(ExchangeAccount).where(ExchangeAccount.user_id == user_id)  # type: ignore[arg-type]
    ).scalars()
    ids = [jid for account in accounts for jid in run_job_ids(account)]
    ids.append(safe_job_id(HISTORY_JOB_PREFIX, user_id))
    ids.append(safe_job_id("refigure", user_id))
    for step_id in _ids(session, "strategy_steps", user_id):
        ids.extend(safe_job_id(phase, step_id) for phase in ORDER_JOB_PHASES)
    for notification_id in _ids(session, "notifications", user_id):
        ids.extend((email_job_id(notification_id), fan_out_job_id(notification_id)))
    ids.extend(delivery_job_id(d) for d in _ids(session, "channel_deliveries", user_id))
    channels = table("channels")
    tests = session.execute(
        select(channels.c.id, channels.c.test_token).where(
            owned("channels", user_id), channels.c.test_token.is_not(None)
        )
    )
    ids.extend(test_job_id(channel_id, token) for channel_id, token in tests)
    return ids


def drop_jobs(redis: Redis, job_ids: Sequence[str]) -> int:
    """Delete the jobs with these ids that are waiting (queued, scheduled for a retry,
    deferred); a running one is left to finish and find nothing. How many were dropped."""
    dropped = 0
    for start in range(0, len(job_ids), FETCH_BATCH):
        batch = list(job_ids[start : start + FETCH_BATCH])
        for job in Job.fetch_many(batch, connection=redis):
            if job is None or job.get_status(refresh=False) == JobStatus.STARTED:
                continue
            job.delete()
            dropped += 1
    return dropped


def goodbye_text(email: str) -> Msg:
    return N_(
        "The exstrat account of {email} was deleted, with all its data: exchange accounts\n"
        "and their API keys, trades, transfers, positions, strategies, alerts, orders,\n"
        "channels and API tokens. Nothing of it can be brought back.\n\n"
        "exstrat forgot your exchange API keys, but they still exist at the exchange: delete\n"
        "them there too (Binance: API Management; Coinbase: Settings, API). Orders left open\n"
        "on the exchange stay open there until you cancel them.\n\n"
        "If you did not ask for this, someone knew your password: change it wherever you\n"
        "use it, and revoke the exchange keys now.\n",
        email=email,
    )


def after_deletion(farewell: Farewell, *, redis: Redis, settings: Settings) -> None:
    """Once the deletion is committed: drop the user's waiting jobs, say goodbye. Both are
    best effort (the account is gone whatever happens here); failures are logged without
    the address."""
    try:
        dropped = drop_jobs(redis, farewell.job_ids)
        log.info("account %s: %d waiting jobs dropped", farewell.user_id, dropped)
    except Exception:  # Redis down: the jobs run, find nothing and stop
        log.warning(
            "account %s: its waiting jobs were not dropped", farewell.user_id, exc_info=True
        )
    try:
        loc = farewell.locale or DEFAULT_LOCALE
        mail.send_email(
            to=farewell.email,
            subject=render(GOODBYE_SUBJECT, loc),
            text=render(goodbye_text(farewell.email), loc),
            settings=settings,
        )
    except Exception:  # the deletion stands whatever the mail server says
        log.warning("account %s: the goodbye email was not sent", farewell.user_id, exc_info=True)
