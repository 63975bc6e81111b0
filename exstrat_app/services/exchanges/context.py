"""What a running sync step works with, and the progress it publishes.

The per-exchange step modules (`sync_binance`, `sync_coinbase`) depend on this module and on
`store`; the runner depends on them. Nothing here imports the runner, so the steps and the
runner form no cycle.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlmodel import Session

from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.infra.exchanges.throttle import SAFETY_MARGIN
from exstrat_app.infra.exchanges.weights import API_IP_PER_MINUTE
from exstrat_app.models import ExchangeAccount
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

# A sync run, in order. Transfers come before trades: the trades step asks about every
# market of every asset the account has held, and an asset deposited then sold shows up
# only in the deposits.
STEPS = ("balances", "transfers", "trades", "positions")
PROGRESS_CHANNEL = "exstrat:sync-progress"

# New sessions on the app's database (the sync commits page by page, in its own sessions).
SessionFactory = Callable[[], Session]


@dataclass(frozen=True)
class SyncEnv:
    """What a sync needs from outside, built once by its entry point (job, CLI, bench, demo
    seed) from the composition root: the services never reach for a global."""

    sessions: SessionFactory
    box: SecretBox  # opens the stored key
    settings: Settings  # the history start, and the exchange URLs a demo account may use
    redis: Redis | None = None  # market cache, shared throttle, progress; optional
    rate_limit: bool = True  # False only against the local simulator (benchmarks, tests)

    @property
    def history_start(self) -> datetime:
        """Where a first walk of the transfer history starts (`EXSTRAT_HISTORY_START`)."""
        return datetime.fromisoformat(self.settings.history_start).replace(tzinfo=UTC)


@dataclass
class StepContext:
    """What one step works with; `progress` commits and publishes the account's state."""

    session: Session
    account: ExchangeAccount
    env: SyncEnv
    make_instance: Callable[[], Any]
    _instance: Any = None

    @property
    def redis(self) -> Redis | None:
        return self.env.redis

    @property
    def instance(self) -> Any:
        """The ccxt instance, built (and its key decrypted) on first use only."""
        if self._instance is None:
            self._instance = self.make_instance()
        return self._instance

    def progress(
        self, *, done: int | None = None, total: int | None = None, eta_s: int | None = -1
    ) -> None:
        """Record how far the run is; `eta_s` (seconds left, None = unknown) is kept unless
        given."""
        if done is not None:
            self.account.progress_done = done
        if total is not None:
            self.account.progress_total = total
        if eta_s is None or eta_s >= 0:
            self.account.progress_eta_s = eta_s
        self.session.add(self.account)
        self.session.commit()
        publish_progress(self.redis, self.account)

    def markets(self) -> dict[str, Any]:
        return xa.ensure_markets(self.instance, redis=self.redis)


# Binance's IP weight a minute as the shared throttle spends it (`infra.exchanges.throttle`).
IP_BUDGET_PER_MINUTE = API_IP_PER_MINUTE * (1 - SAFETY_MARGIN)


def eta_seconds(
    remaining_weight: float,
    remaining_requests: int,
    seconds_per_request: float,
    budget_per_minute: float = IP_BUDGET_PER_MINUTE,
) -> int:
    """Seconds left: the longer of what the weight budget allows (a minute's budget at once,
    then a minute's worth a minute) and the pace so far (requests left x seconds each)."""
    by_weight = max(0.0, remaining_weight - budget_per_minute) * 60 / budget_per_minute
    by_pace = remaining_requests * seconds_per_request
    return math.ceil(max(by_weight, by_pace))


def progress_payload(account: ExchangeAccount) -> dict[str, Any]:
    return {
        "accountId": account.id,
        "userId": account.user_id,
        "done": account.progress_done,
        "total": account.progress_total,
        "etaSeconds": account.progress_eta_s,
        "status": account.status,
    }


def publish_progress(redis: Redis | None, account: ExchangeAccount) -> None:
    """A small JSON for open pages; best effort (the row in the database is the truth)."""
    if redis is None:
        return
    try:
        redis.publish(PROGRESS_CHANNEL, json.dumps(progress_payload(account)))
    except RedisError:
        log.warning("could not publish sync progress", exc_info=True)
