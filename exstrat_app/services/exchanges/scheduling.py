"""Starting and chaining sync runs on the RQ queue `ingest`.

Job ids are `ingest-{exchange}-{account}-{step}-0` and are unique in RQ: while any step of a
run is queued or running, asking for a sync returns that run's ids instead of starting a
second one (a double click, or the periodic re-sync meeting a manual one). The job function
is named by its path (`infra.queue.INGEST_STEP_JOB`): the services never import `jobs`.
"""

from __future__ import annotations

from redis import Redis
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import select
from sqlmodel import Session

from exstrat_app.infra.queue import (
    INGEST_QUEUE,
    INGEST_STEP_JOB,
    enqueue_unique,
    get_queue,
    safe_job_id,
)
from exstrat_app.models import ExchangeAccount
from exstrat_app.services.exchanges.accounts import get_account
from exstrat_app.services.exchanges.context import STEPS, SessionFactory

JOB_CURSOR = "0"  # the jobs resume from the cursors stored in the database
ACTIVE_JOB_STATES = frozenset({"queued", "started", "deferred", "scheduled"})
# A step that crashes (the database unreachable for a moment, a worker killed mid-step and
# given up by RQ) is run again by RQ after these delays, resuming from the stored cursors.
# Exchange errors are not retried here: they have their own retries and end the run cleanly.
RETRY_INTERVALS = [10, 60, 300]


def job_id(account: ExchangeAccount, step: str) -> str:
    return safe_job_id(INGEST_QUEUE, account.exchange, account.id, step, JOB_CURSOR)


def run_job_ids(account: ExchangeAccount) -> list[str]:
    return [job_id(account, step) for step in STEPS]


def _job_state(redis: Redis, jid: str) -> str | None:
    try:
        status = Job.fetch(jid, connection=redis).get_status(refresh=False)
    except NoSuchJobError:
        return None
    return status.value if status else None  # a JobStatus: "queued", "started", ...


def _reap_abandoned(redis: Redis) -> None:
    """Move jobs whose worker died (no heartbeat) to the failed registry, so a killed run
    no longer counts as running."""
    StartedJobRegistry(queue=get_queue(INGEST_QUEUE, connection=redis)).cleanup()


def enqueue_step(redis: Redis, account: ExchangeAccount, step: str) -> str | None:
    """Enqueue one step unless a job with its id is queued or running; returns the id, or
    None when it was already there. A finished/failed job of an earlier run is removed first
    (RQ keeps them for a while and their ids would block the new run)."""
    jid = job_id(account, step)
    state = _job_state(redis, jid)
    if state in ACTIVE_JOB_STATES:
        return None
    if state is not None:
        Job.fetch(jid, connection=redis).delete()
    retry = Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)
    job = enqueue_unique(
        INGEST_QUEUE, INGEST_STEP_JOB, account.id, step, job_id=jid, connection=redis, retry=retry
    )
    return jid if job is not None else None


def run_in_progress(redis: Redis, account: ExchangeAccount) -> bool:
    return any(_job_state(redis, jid) in ACTIVE_JOB_STATES for jid in run_job_ids(account))


def request_sync(session: Session, *, user_id: str, account_id: str, redis: Redis) -> list[str]:
    """Start a sync of the user's account (NotFound for anyone else's) and return the ids of
    the run's jobs; if a run is already queued or running, return its ids instead.

    Redis being unreachable raises its own error (redis.exceptions.RedisError): nothing
    here writes to the database, so the caller's unit of work is unaffected."""
    account = get_account(session, user_id=user_id, account_id=account_id)
    _reap_abandoned(redis)
    _retry_now(redis, account)
    if not run_in_progress(redis, account):
        enqueue_step(redis, account, STEPS[0])
    return run_job_ids(account)


def _retry_now(redis: Redis, account: ExchangeAccount) -> None:
    """A step of this run waiting for its retry (RETRY_INTERVALS) runs now instead: the
    user asked for a sync, the backoff is no reason to make them wait."""
    queue = get_queue(INGEST_QUEUE, connection=redis)
    registry = ScheduledJobRegistry(queue=queue)
    for jid in run_job_ids(account):
        if _job_state(redis, jid) == "scheduled":
            job = Job.fetch(jid, connection=redis)
            registry.remove(job)
            queue.enqueue_job(job)


def resync_all(*, sessions: SessionFactory, redis: Redis) -> int:
    """The periodic re-sync: request a run for every account; returns how many started."""
    _reap_abandoned(redis)
    started = 0
    with sessions() as session:
        for account in session.execute(select(ExchangeAccount)).scalars():
            if not run_in_progress(redis, account) and enqueue_step(redis, account, STEPS[0]):
                started += 1
    return started


def next_step(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def continue_run(
    account_id: str, step: str, *, sessions: SessionFactory, redis: Redis
) -> str | None:
    """After `step` succeeded: enqueue the next step of the run (None after the last)."""
    following = next_step(step)
    if following is None:
        return None
    with sessions() as session:
        account = session.get(ExchangeAccount, account_id)
        if account is None:
            return None
        return enqueue_step(redis, account, following)
