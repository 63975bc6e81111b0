"""One competing process of the order race (`python -m tests.execution.race_worker`): waits at
a Redis barrier with the others, then runs the step's order job `rounds` times (mode `full`),
or only the conditional update with no Redis lock at all (mode `db-only`). Prints how many
orders it placed (claims it won)."""

from __future__ import annotations

import json
import sys
import time

from sqlmodel import Session, select

from exstrat_app import bootstrap
from exstrat_app.models import Order
from exstrat_app.services.execution.placement import _claim, execute_step, send_claimed


def main(mode: str, barrier: str, rounds: int, step_id: str) -> int:
    engine, redis, box = bootstrap.engine(), bootstrap.redis(), bootstrap.secret_box()
    with engine.connect():
        pass
    redis.incr(f"{barrier}:ready")
    deadline = time.monotonic() + 30
    while not redis.exists(f"{barrier}:go"):
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.001)
    placed = 0
    for _ in range(rounds):
        if mode == "full":
            placed += execute_step(engine, redis, box, step_id).acted
            continue
        with Session(engine, expire_on_commit=False) as session:
            order = session.exec(select(Order).where(Order.step_id == step_id)).one()
            won = _claim(session, order, paper=False)
            session.commit()
        if won:
            placed += send_claimed(engine, redis, box, order).acted
    print(json.dumps({"placed": placed}))
    return 0


if __name__ == "__main__":
    mode, barrier, rounds, step_id = sys.argv[1:5]
    sys.exit(main(mode, barrier, int(rounds), step_id))
