"""Order execution jobs (issue 15): place one triggered step's order (queue `watch`, enqueued
after the step fires or is confirmed), and the periodic `track-orders` that follows open
orders to filled / cancelled / expired and expires unconfirmed ones."""

from __future__ import annotations

from typing import Any

from exstrat_app import bootstrap
from exstrat_app.services.execution.lifecycle import track_orders as track
from exstrat_app.services.execution.placement import execute_step


def place_step_order(step_id: str) -> dict[str, Any]:
    outcome = execute_step(bootstrap.engine(), bootstrap.redis(), bootstrap.secret_box(), step_id)
    return {"status": outcome.status, "reason": outcome.reason}


def track_orders() -> dict[str, Any]:
    return track(bootstrap.engine(), bootstrap.redis(), bootstrap.secret_box()).as_dict()
