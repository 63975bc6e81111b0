"""Ingestion jobs (queue `ingest`): thin wrappers that take an account id and call the
sync service, which opens its own database session (see `services/sync.py`).

    run_step(account_id, step)  one step of a run; enqueues the next one when it succeeds
    sync_account(account_id)    every step in this job (manual runs, benchmarks)
    resync_all()                the periodic re-sync of every account (rq-scheduler)
"""

from __future__ import annotations

from redis import Redis

from exstrat_app.services.exchanges import sync


def run_step(account_id: str, step: str) -> bool:
    redis = _redis()
    ok = sync.run_step(account_id, step, redis=redis)
    if ok:
        sync.continue_run(account_id, step, redis=redis)
    return ok


def sync_account(account_id: str) -> bool:
    return sync.sync_account(account_id, redis=_redis())


def resync_all() -> int:
    return sync.resync_all(redis=_redis())


def _redis() -> Redis:
    from exstrat_app.infra.redis import get_redis

    return get_redis()
