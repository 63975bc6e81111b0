"""Ingestion jobs (queue `ingest`): thin wrappers that take an account id, build the sync's
dependencies from the composition root and call the exchanges context, whose steps open
their own sessions and commit page by page (see `services/exchanges/runner.py`).

    run_step(account_id, step)  one step of a run; enqueues the next one when it succeeds
    sync_account(account_id)    every step in this job (manual runs, benchmarks)
    resync_all()                the periodic re-sync of every account (rq-scheduler)
"""

from __future__ import annotations

from redis import Redis

from exstrat_app import bootstrap
from exstrat_app.services.exchanges import runner, scheduling
from exstrat_app.services.exchanges.context import SyncEnv


def sync_env(*, redis: Redis | None = None, rate_limit: bool = True) -> SyncEnv:
    """The real dependencies of a sync: the app's database, secret box, settings, Redis."""
    return SyncEnv(
        sessions=bootstrap.session_factory(bootstrap.engine()),
        box=bootstrap.secret_box(),
        settings=bootstrap.settings(),
        redis=redis if redis is not None else bootstrap.redis(),
        rate_limit=rate_limit,
    )


def run_step(account_id: str, step: str) -> bool:
    redis = bootstrap.redis()
    env = sync_env(redis=redis)
    ok = runner.run_step(account_id, step, env=env)
    if ok:
        scheduling.continue_run(account_id, step, sessions=env.sessions, redis=redis)
    return ok


def sync_account(account_id: str) -> bool:
    return runner.sync_account(account_id, env=sync_env())


def resync_all() -> int:
    return scheduling.resync_all(
        sessions=bootstrap.session_factory(bootstrap.engine()), redis=bootstrap.redis()
    )
