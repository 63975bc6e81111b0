"""One competing worker process of the race test (`python -m tests.alerts.race_worker`).

It waits at a Redis barrier with the others, then evaluates the same crossing `rounds`
times. Mode `full`: even rounds run a full watcher cycle, odd rounds fire the step ids it read
before the barrier (a worker acting on a stale candidate list). Mode `db-only`: no Redis lock
at all, only the conditional UPDATE guards the steps. Prints how many steps it fired.
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

from exstrat_app import bootstrap
from exstrat_app.infra.db.types import utcnow
from exstrat_app.services.portfolio.prices import Quote
from exstrat_app.services.strategies.touches import rest_watch_cycle
from exstrat_app.services.strategies.watcher import _fire_in_transaction, trigger_step


def main(mode: str, barrier: str, rounds: int, price: str, step_ids: list[str]) -> int:
    engine, redis = bootstrap.engine(), bootstrap.redis()
    provider, public_url = bootstrap.price_provider(), bootstrap.settings().public_url
    quote = Quote(Decimal(price), utcnow())
    with engine.connect():
        pass  # connect before the barrier: the race is about firing, not connecting
    redis.incr(f"{barrier}:ready")
    deadline = time.monotonic() + 30
    while not redis.exists(f"{barrier}:go"):
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.001)
    fired = 0
    started = time.monotonic()
    for i in range(rounds):
        if mode == "db-only":
            fired += sum(
                1
                for sid in step_ids
                if _fire_in_transaction(engine, sid, quote, public_url=public_url)
            )
        elif i % 2 == 0:
            cycle = rest_watch_cycle(engine, redis, provider=provider, public_url=public_url)
            fired += len(cycle.fired)
        else:
            fired += sum(
                1
                for sid in step_ids
                if trigger_step(engine, redis, sid, quote, public_url=public_url)
            )
    print(json.dumps({"fired": fired, "seconds": round(time.monotonic() - started, 3)}))
    return 0


if __name__ == "__main__":
    mode, barrier, rounds, price, ids = sys.argv[1:6]
    sys.exit(main(mode, barrier, int(rounds), price, ids.split(",")))
