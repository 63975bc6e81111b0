"""Ingestion of one exchange account, as a chain of RQ jobs (SPEC §6).

A sync run is four steps, each its own job, each enqueuing the next when it succeeds:

    balances -> transfers -> trades -> positions

Transfers come before trades because the trades step asks the exchange about every market
of every asset the account has held, and an asset deposited then sold shows up only in the
deposits. Job ids are `ingest-{exchange}-{account}-{step}-0` and are unique in RQ: while any
step of a run is queued or running, asking for a sync returns that run's ids instead of
starting a second one (a double click, or the periodic re-sync meeting a manual one).

Every page fetched is committed with its cursor in the same transaction, so a sync killed
at any point resumes where it stopped and never loses what it already stored. Inserts are
idempotent (`INSERT ... ON CONFLICT DO NOTHING` on the unique keys).

The account row carries the run's state for the UI: `status` syncing -> connected | error,
a human `last_error` (never a stack trace, never a secret), `last_sync_at`, and
`progress_done/progress_total`; each change is committed and also published on the Redis
channel `exstrat:sync-progress`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretUnreadable
from exstrat_app.infra.db.bulk import BulkInsert, bulk_ids, fast_commits, insert_ignore, upsert
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Balance, ExchangeAccount, SyncCursor, Trade, Transfer
from exstrat_app.services.exchanges.demo_guard import DemoOnly, assert_demo_target

log = logging.getLogger(__name__)

STEPS = ("balances", "transfers", "trades", "positions")
PROGRESS_CHANNEL = "exstrat:sync-progress"
JOB_FUNC = "jobs.ingest.run_step"
QUEUE = "ingest"
JOB_CURSOR = "0"  # the jobs resume from the cursors stored in the database
ACTIVE_JOB_STATES = frozenset({"queued", "started", "deferred", "scheduled"})

UNEXPECTED_ERROR = "The sync failed unexpectedly; the error has been logged. Try again later."
# A step that crashes (the database unreachable for a moment, a worker killed mid-step and
# given up by RQ) is run again by RQ after these delays, resuming from the stored cursors.
# Exchange errors are not retried here: they have their own retries and end the run cleanly.
RETRY_INTERVALS = [10, 60, 300]
UNREADABLE_KEY = (
    "The stored API key can no longer be decrypted (was ENCRYPTION_KEY changed?). "
    "Delete this account and add the key again."
)


TRADE_KEYS = ("exchange_account_id", "symbol", "exchange_trade_id")
TRANSFER_KEYS = ("exchange_account_id", "type", "exchange_transfer_id")
CURSOR_KEYS = ("exchange_account_id", "kind", "key")


TRADE_COLUMNS = (
    "id",
    "exchange_account_id",
    "exchange_trade_id",
    "order_id",
    "symbol",
    "base",
    "quote",
    "side",
    "price",
    "amount",
    "cost",
    "fee_asset",
    "fee_cost",
    "ts",
)


def store_trades(session: Session, account_id: str, rows: Sequence[xa.TradeRow]) -> None:
    """Insert a page of trades; ones already stored are left alone (idempotent)."""
    if any(r.side not in ("buy", "sell") for r in rows):
        # A fill whose side the exchange does not tell: nothing can be done with it.
        log.warning("account %s: trades without a side skipped", account_id)
        rows = [r for r in rows if r.side in ("buy", "sell")]
    ids = bulk_ids(len(rows))
    BulkInsert.of(session, Trade.__table__, TRADE_COLUMNS, TRADE_KEYS).run(  # type: ignore[attr-defined]
        session,
        [
            [
                ids[n],
                account_id,
                r.trade_id,
                r.order_id,
                r.symbol,
                r.base,
                r.quote,
                r.side,
                r.price,
                r.amount,
                r.cost,
                r.fee_asset,
                r.fee_cost,
                r.ts,
            ]
            for n, r in enumerate(rows)
        ],
    )


def store_transfers(session: Session, account_id: str, rows: Iterable[xa.TransferRow]) -> None:
    """Insert or refresh transfers: a pending deposit seen again later has become final."""
    upsert(
        session,
        Transfer,
        [
            {
                "exchange_account_id": account_id,
                "exchange_transfer_id": r.transfer_id,
                "type": r.type,
                "asset": r.asset,
                "amount": r.amount,
                "fee_cost": r.fee_cost,
                "fee_asset": r.fee_asset,
                "status": r.status,
                "txid": r.txid,
                "ts": r.ts,
            }
            for r in rows
        ],
        TRANSFER_KEYS,
        update=("amount", "fee_cost", "fee_asset", "status", "txid"),
    )


def replace_balances(
    session: Session, account_id: str, balances: dict[str, tuple[Any, Any]]
) -> None:
    """The account's live balances become exactly `balances` (gone assets are removed)."""
    session.execute(delete(Balance).where(Balance.exchange_account_id == account_id))  # type: ignore[arg-type]
    now = utcnow()
    insert_ignore(
        session,
        Balance,
        [
            {
                "exchange_account_id": account_id,
                "asset": asset,
                "free": free,
                "locked": locked,
                "fetched_at": now,
            }
            for asset, (free, locked) in balances.items()
        ],
        ("exchange_account_id", "asset"),
    )


def get_cursor(session: Session, account_id: str, kind: str, key: str) -> SyncCursor | None:
    return session.execute(
        select(SyncCursor).where(
            SyncCursor.exchange_account_id == account_id,  # type: ignore[arg-type]
            SyncCursor.kind == kind,  # type: ignore[arg-type]
            SyncCursor.key == key,  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()


def save_cursor(
    session: Session,
    account_id: str,
    kind: str,
    key: str,
    *,
    last_id: str | None = None,
    last_ts: datetime | None = None,
) -> None:
    """Upsert a cursor (the caller commits it with the page it describes)."""
    upsert(
        session,
        SyncCursor,
        [
            {
                "exchange_account_id": account_id,
                "kind": kind,
                "key": key,
                "last_id": last_id,
                "last_ts": last_ts,
                "updated_at": utcnow(),
            }
        ],
        CURSOR_KEYS,
        update=("last_id", "last_ts", "updated_at"),
    )


def clear_cursor(session: Session, account_id: str, kind: str, key: str) -> None:
    session.execute(
        delete(SyncCursor).where(
            SyncCursor.exchange_account_id == account_id,  # type: ignore[arg-type]
            SyncCursor.kind == kind,  # type: ignore[arg-type]
            SyncCursor.key == key,  # type: ignore[arg-type]
        )
    )


# --- a running step ---------------------------------------------------------------------------


@dataclass
class StepContext:
    """What one step works with; `progress` commits and publishes the account's state."""

    session: Session
    account: ExchangeAccount
    redis: Redis | None
    make_instance: Callable[[], Any]
    _instance: Any = None

    @property
    def instance(self) -> Any:
        """The ccxt instance, built (and its key decrypted) on first use only."""
        if self._instance is None:
            self._instance = self.make_instance()
        return self._instance

    def progress(self, *, done: int | None = None, total: int | None = None) -> None:
        if done is not None:
            self.account.progress_done = done
        if total is not None:
            self.account.progress_total = total
        self.session.add(self.account)
        self.session.commit()
        publish_progress(self.redis, self.account)

    def markets(self) -> dict[str, Any]:
        return xa.ensure_markets(self.instance, redis=self.redis)


def progress_payload(account: ExchangeAccount) -> dict[str, Any]:
    return {
        "accountId": account.id,
        "userId": account.user_id,
        "done": account.progress_done,
        "total": account.progress_total,
        "status": account.status,
    }


def publish_progress(redis: Redis | None, account: ExchangeAccount) -> None:
    """A small JSON for open pages; best effort (the row in the database is the truth)."""
    _publish(redis, progress_payload(account))


def _publish(redis: Redis | None, payload: dict[str, Any]) -> None:
    if redis is None:
        return
    try:
        redis.publish(PROGRESS_CHANNEL, json.dumps(payload))
    except RedisError:
        log.warning("could not publish sync progress", exc_info=True)


def _step_functions(exchange: str) -> dict[str, Callable[[StepContext], None]]:
    from exstrat_app.services.exchanges import sync_binance, sync_coinbase

    module = sync_binance if exchange == "binance" else sync_coinbase
    return {
        "balances": module.sync_balances,
        "transfers": module.sync_transfers,
        "trades": module.sync_trades,
        "positions": _recompute,
    }


def _recompute(ctx: StepContext) -> None:
    from exstrat_app.services.portfolio.rebuild import recompute_for_user

    recompute_for_user(ctx.session, ctx.account.user_id, redis=ctx.redis)


def _begin(ctx: StepContext) -> None:
    account = ctx.account
    account.status = "syncing"
    account.last_error = None
    ctx.progress(done=0, total=0)


def _resume(ctx: StepContext) -> None:
    ctx.account.status = "syncing"
    ctx.account.last_error = None
    ctx.progress()


def _finish(ctx: StepContext) -> None:
    account = ctx.account
    account.status = "connected"
    account.last_error = None
    account.last_sync_at = utcnow()
    ctx.progress(done=account.progress_total)


def fail(ctx: StepContext, message: str) -> None:
    """Record a failed run on the account; what earlier pages stored stays stored."""
    ctx.session.rollback()  # only the page in flight: every finished page is committed
    account = ctx.session.get(ExchangeAccount, ctx.account.id)
    if account is None:
        return
    ctx.account = account
    account.status = "error"
    account.last_error = message[:1000]
    ctx.progress()


def error_message(exchange: str, exc: BaseException) -> str:
    """What the user reads for a failed sync: what happened and what to do."""
    name = exchange.capitalize()
    if isinstance(exc, xa.ExchangeAuthError):
        return (
            f"{exc.message} Check the key on {name}: it may have been deleted, its IP "
            "whitelist may not include this server, or reading may have been disabled."
        )
    if isinstance(exc, xa.ExchangeTemporaryError):
        return (
            f"{exc.message} The sync stopped after several attempts; it resumes at the next sync."
        )
    if isinstance(exc, xa.ExchangeError):
        return exc.message
    if isinstance(exc, SecretUnreadable):
        return UNREADABLE_KEY
    if isinstance(exc, PriceUnavailable):
        return (
            f"Could not value {exc.asset} at {exc.ts:%Y-%m-%d %H:%M} UTC: Binance has no "
            "price for that minute. Positions were not updated."
        )
    return UNEXPECTED_ERROR


def run_step(
    account_id: str,
    step: str,
    *,
    engine: Engine | None = None,
    redis: Redis | None = None,
    rate_limit: bool = True,
) -> bool:
    """Run one step of an account's sync in its own session; True if it succeeded.

    Exchange, key and price problems end the run with status `error` and a readable
    `last_error`; anything else also does, and is re-raised for RQ's failed registry.
    """
    from exstrat_app.infra.db.engine import get_engine
    from exstrat_app.services.exchanges.accounts import credentials_for

    if step not in STEPS:
        raise ValueError(f"unknown sync step {step!r}")
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        fast_commits(session)
        account = session.get(ExchangeAccount, account_id)
        if account is None:  # deleted since the job was queued
            return False

        def make_instance() -> Any:
            if account.is_demo:
                assert_demo_target()  # a demo key never reaches a real exchange
            return xa.make_exchange(
                account.exchange, credentials_for(account), rate_limit=rate_limit, redis=redis
            )

        ctx = StepContext(session, account, redis, make_instance)
        try:
            if step == STEPS[0]:
                _begin(ctx)
            elif account.status != "syncing":
                # RQ retrying a step that crashed (RETRY_INTERVALS): the run is on again.
                _resume(ctx)
            _step_functions(account.exchange)[step](ctx)
            if step == STEPS[-1]:
                _finish(ctx)
            return True
        except DemoOnly as exc:
            fail(ctx, str(exc))
            return False
        except (xa.ExchangeError, SecretUnreadable, PriceUnavailable) as exc:
            log.warning("sync of account %s failed at %s: %s", account_id, step, type(exc).__name__)
            fail(ctx, error_message(account.exchange, exc))
            return False
        except Exception:
            log.exception("sync of account %s crashed at %s", account_id, step)
            fail(ctx, UNEXPECTED_ERROR)
            raise


def sync_account(
    account_id: str,
    *,
    engine: Engine | None = None,
    redis: Redis | None = None,
    rate_limit: bool = True,
) -> bool:
    """Every step in this process, one after the other (CLI, benchmark, tests)."""
    for step in STEPS:
        if not run_step(account_id, step, engine=engine, redis=redis, rate_limit=rate_limit):
            return False
    return True


# --- enqueuing ------------------------------------------------------------------------------


def job_id(account: ExchangeAccount, step: str) -> str:
    from exstrat_app.infra.queue import safe_job_id

    return safe_job_id("ingest", account.exchange, account.id, step, JOB_CURSOR)


def run_job_ids(account: ExchangeAccount) -> list[str]:
    return [job_id(account, step) for step in STEPS]


def _job_state(redis: Redis, jid: str) -> str | None:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        status = Job.fetch(jid, connection=redis).get_status(refresh=False)
    except NoSuchJobError:
        return None
    return str(status.value if hasattr(status, "value") else status) if status else None


def _reap_abandoned(redis: Redis) -> None:
    """Move jobs whose worker died (no heartbeat) to the failed registry, so a killed run
    no longer counts as running."""
    from rq.registry import StartedJobRegistry

    from exstrat_app.infra.queue import get_queue

    StartedJobRegistry(queue=get_queue(QUEUE, connection=redis)).cleanup()


def enqueue_step(redis: Redis, account: ExchangeAccount, step: str) -> str | None:
    """Enqueue one step unless a job with its id is queued or running; returns the id, or
    None when it was already there. A finished/failed job of an earlier run is removed first
    (RQ keeps them for a while and their ids would block the new run)."""
    from rq import Retry
    from rq.job import Job

    from exstrat_app.infra.queue import enqueue_unique

    jid = job_id(account, step)
    state = _job_state(redis, jid)
    if state in ACTIVE_JOB_STATES:
        return None
    if state is not None:
        Job.fetch(jid, connection=redis).delete()
    retry = Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)
    job = enqueue_unique(
        QUEUE, JOB_FUNC, account.id, step, job_id=jid, connection=redis, retry=retry
    )
    return jid if job is not None else None


def run_in_progress(redis: Redis, account: ExchangeAccount) -> bool:
    return any(_job_state(redis, jid) in ACTIVE_JOB_STATES for jid in run_job_ids(account))


def request_sync(
    session: Session, *, user_id: str, account_id: str, redis: Redis | None = None
) -> list[str]:
    """Start a sync of the user's account (NotFound for anyone else's) and return the ids of
    the run's jobs; if a run is already queued or running, return its ids instead."""
    from exstrat_app.services.exchanges.accounts import get_account

    account = get_account(session, user_id=user_id, account_id=account_id)
    redis = redis or _default_redis()
    _reap_abandoned(redis)
    _retry_now(redis, account)
    if not run_in_progress(redis, account):
        enqueue_step(redis, account, STEPS[0])
    return run_job_ids(account)


def _retry_now(redis: Redis, account: ExchangeAccount) -> None:
    """A step of this run waiting for its retry (RETRY_INTERVALS) runs now instead: the
    user asked for a sync, the backoff is no reason to make them wait."""
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from exstrat_app.infra.queue import get_queue

    queue = get_queue(QUEUE, connection=redis)
    registry = ScheduledJobRegistry(queue=queue)
    for jid in run_job_ids(account):
        if _job_state(redis, jid) == "scheduled":
            job = Job.fetch(jid, connection=redis)
            registry.remove(job)
            queue.enqueue_job(job)


def resync_all(*, engine: Engine | None = None, redis: Redis | None = None) -> int:
    """The periodic re-sync: request a run for every account; returns how many started."""
    from exstrat_app.infra.db.engine import get_engine

    redis = redis or _default_redis()
    _reap_abandoned(redis)
    started = 0
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        for account in session.execute(select(ExchangeAccount)).scalars():
            if not run_in_progress(redis, account) and enqueue_step(redis, account, STEPS[0]):
                started += 1
    return started


def next_step(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def continue_run(account_id: str, step: str, *, redis: Redis | None = None) -> str | None:
    """After `step` succeeded: enqueue the next step of the run (None after the last)."""
    from exstrat_app.infra.db.engine import get_engine

    following = next_step(step)
    if following is None:
        return None
    with Session(get_engine(), expire_on_commit=False) as session:
        account = session.get(ExchangeAccount, account_id)
        if account is None:
            return None
        return enqueue_step(redis or _default_redis(), account, following)


def _default_redis() -> Redis:
    from exstrat_app.infra.redis import get_redis

    return get_redis()
